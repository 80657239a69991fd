"""Our word splitting is dockerfile-parse's, with a linear shortcut for plain text."""

from __future__ import annotations

from dockerfile_parse.util import WordSplitter
from hypothesis import given
from hypothesis import strategies as st

from buildkit_frontend.buildargs import dequoted, shell_words

TEXT = st.text(alphabet=st.sampled_from(list("ab $={}-\t\n\r\x0b\x0c\xa0\u2028'\"\\")), max_size=40)


@given(TEXT)
def test_words_are_wordsplitters(text):
    assert shell_words(text) == list(WordSplitter(text).split(dequote=False))


@given(TEXT)
def test_dequoting_is_wordsplitters(text):
    assert dequoted(text) == WordSplitter(text).dequote()


def test_a_megabyte_word_is_split_in_linear_time():
    word = "r" * (1 << 20)
    assert shell_words(f"PYENV 3.12 e {word}.txt") == ["PYENV", "3.12", "e", word + ".txt"]
