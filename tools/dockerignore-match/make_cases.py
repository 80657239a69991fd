"""Write the .dockerignore cases (tests/fixtures/dockerignore/cases.json): chosen ones,
then random ones from a fixed seed, so a regeneration gives the same file."""

from __future__ import annotations

import json
import random
import sys

CHOSEN = [
    ("*.txt", ["req.txt", "sub/req.txt"]),
    ("**/*.txt", ["sub/deep/req.txt", "req.txt"]),
    ("sub", ["sub/req.txt", "subx/req.txt"]),
    ("sub/\n/other", ["sub/req.txt", "other/a"]),
    ("*\n!req.txt", ["req.txt", "other.txt"]),
    ("!req.txt\n*", ["req.txt"]),
    ("sub\n!sub/req.txt", ["sub/req.txt", "sub/a"]),
    ("REQ.txt", ["req.txt", "REQ.txt"]),
    ("[a-c].txt\n[^x]y", ["b.txt", "d.txt", "xy", "ay"]),
    ("\\*.txt", ["*.txt", "a.txt"]),
    ("re?.txt", ["req.txt", "re/.txt"]),
    ("# req.txt\n  #x", ["req.txt", "#x"]),
    ("\ufeffreq.txt\r\nx\r\n", ["req.txt", "x"]),
    ("  a /  \n./b/../c", ["a", "c", "b"]),
    ("a/**/b", ["a/b", "a/x/y/b", "a/b/c"]),
    ("**", ["a", "a/b"]),
    ("[", ["a"]),
    ("!", ["a"]),
    ("a\\", ["a", "a\\"]),
    # Where the port and BuildKit part (tests/unit/test_dockerignore_fixtures.py names them):
    ("\\sub", ["sub", " ub"]),  # Go turns \s into a regexp class
    ("a\\R", ["aR"]),  # \R is no Go regexp escape: BuildKit fails the build
    ("*\n/! b", ["b", " b"]),  # the local source keeps the space after "!"
    # Where they agree, though it takes care:
    ("!/", ["a"]),  # cleaned to "!" before the local source reads it: the build fails
    ("/**?\n!*", ["sub/a/b"]),  # fsutil's walk, not MatchesOrParentMatches, decides
]
ATOMS = ["a", "b", "req.txt", "*", "**", "?", "[a-c]", "[^a]", ".", "..", "/", "!", " ",
         "#", "x.txt", "sub", "REQ.TXT"]  # fmt: skip
PATHS = ["a", "b", "req.txt", "sub/req.txt", "sub/a/b", "a/b/c.txt", "x.txt", "*.txt",
         "REQ.TXT", "sub", "a.b", "#a", "b/a", "sub/x.txt", "c"]  # fmt: skip


def main() -> None:
    rng = random.Random(8)
    cases = [{"ignore": text, "paths": paths} for text, paths in CHOSEN]
    for _ in range(400):
        lines = [
            "".join(rng.choice(ATOMS) for _ in range(rng.randint(1, 4)))
            for _ in range(rng.randint(1, 4))
        ]
        text = rng.choice(["\n", "\r\n"]).join(lines)
        cases.append({"ignore": text, "paths": rng.sample(PATHS, 5)})
    json.dump(cases, sys.stdout, indent=1, ensure_ascii=False)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
