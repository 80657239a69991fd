"""`python -m bench.timeline PROGRESS.json`: when each step of a build started and ended.

Reads the output of `docker buildx build --progress=rawjson ... 2>PROGRESS.json` and
prints the steps that took longer than `--min` seconds, by start, with their start and
end relative to the first step: the view docs/performance.md uses to find a build's
critical path (which steps waited for which).
"""

from __future__ import annotations

import argparse
import json
from datetime import datetime
from pathlib import Path


def _seconds(stamp: str) -> float:
    """An RFC 3339 time with nanoseconds (which datetime cannot read) as epoch seconds."""
    whole, _, fraction = stamp.rstrip("Z").partition(".")
    return datetime.fromisoformat(whole + "+00:00").timestamp() + float(f"0.{fraction or 0}")


def steps(text: str) -> list[tuple[float, float, str]]:
    """(started, completed, name) of each finished step, from a rawjson progress stream
    (a sequence of JSON objects, one per status update)."""
    decoder, at, found = json.JSONDecoder(), 0, {}
    while True:
        at = text.find("{", at)
        if at < 0:
            break
        status, at = decoder.raw_decode(text, at)
        for vertex in status.get("vertexes") or []:
            entry = found.setdefault(vertex["digest"], {})
            entry["name"] = vertex.get("name", "")
            for key in ("started", "completed"):
                if vertex.get(key):
                    entry[key] = vertex[key]
    return sorted(
        (_seconds(e["started"]), _seconds(e["completed"]), e["name"])
        for e in found.values()
        if "started" in e and "completed" in e
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("progress", type=Path)
    parser.add_argument("--min", type=float, default=0.25, help="shortest step shown (s)")
    args = parser.parse_args()
    found = steps(args.progress.read_text())
    if not found:
        raise SystemExit(f"{args.progress}: no finished steps")
    first = found[0][0]
    print(" start    end  took  step")
    for started, completed, name in found:
        if completed - started >= args.min:
            took = completed - started
            print(f"{started - first:6.2f} {completed - first:6.2f} {took:5.2f}  {name[:90]}")
    print(f"whole build: {max(c for _, c, _ in found) - first:.2f} s")


if __name__ == "__main__":
    main()
