"""Our word splitting is BuildKit's parseWords (tests/unit/test_buildargs.py compares it
with BuildKit's own results); here, what follows from it for any text."""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from buildkit_frontend.buildargs import shell_words
from buildkit_frontend.dockerfile import _GO_SPACE

TEXT = st.text(alphabet=st.sampled_from(list("ab $={}-\t\n\r\x0b\x0c\xa0\u2028'\"\\")), max_size=40)


@given(TEXT)
def test_text_without_quotes_or_escapes_splits_at_white_space(text):
    if not re.search(r"['\"\\]", text):
        assert shell_words(text) == [w for w in re.split(f"[{_GO_SPACE}]+", text) if w]


def test_a_megabyte_word_is_split_in_linear_time():
    word = "r" * (1 << 20)
    assert shell_words(f"PYENV 3.12 e {word}.txt") == ["PYENV", "3.12", "e", word + ".txt"]
    quoted = "'" + "a b " * (1 << 18) + "'"
    assert shell_words(f"A={quoted} B") == [f"A={quoted}", "B"]
