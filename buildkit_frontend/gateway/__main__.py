"""Entry point of the frontend image: `python -m buildkit_frontend.gateway`."""

from __future__ import annotations

import os
import sys
import traceback

from .stdio import open_channel


def main() -> None:
    """Serve one build over stdio, then exit at once (no thread may keep us alive)."""
    channel = open_channel()  # before anything else may print
    from .client import Bridge, FrontendEnv
    from .errors import UNKNOWN
    from .frontend import run
    from .protos import errdefs_pb2

    bridge = Bridge(channel)
    try:
        run(bridge, FrontendEnv.from_environ(os.environ))
    except Exception as error:  # a bug of ours: tell the user, log the traceback
        traceback.print_exc(file=sys.stderr)
        message = f"buildkit-pyenv frontend failed: {type(error).__name__}: {error}"
        try:
            bridge.return_error(errdefs_pb2.Status(code=UNKNOWN, message=message))
        finally:
            os._exit(1)
    os._exit(0)


if __name__ == "__main__":
    main()
