"""The image provider's interpreter finds the libraries it bundles through its own RPATH:
python-image-finish.sh turns the official image's RUNPATH entry into an RPATH, in place,
instead of fetching patchelf. These tests run that step on ELF files made here."""

from __future__ import annotations

import os
import re
import struct
import subprocess
import sys
from pathlib import Path

import pytest

from buildkit_frontend.templates import script

DT_NULL, DT_NEEDED, DT_RPATH, DT_RUNPATH, PT_LOAD, PT_DYNAMIC = 0, 1, 15, 29, 1, 2


def _step() -> str:
    """The Python the finishing script runs for the switch."""
    found = re.search(
        r"<<'PYENV_RPATH_EOF'\n(.*?)\nPYENV_RPATH_EOF", script("python-image-finish.sh"), re.S
    )
    assert found, "python-image-finish.sh no longer has the RUNPATH step"
    return found.group(1)


def _elf(tags: list[int], *, wide: bool = True, order: str = "<") -> bytes:
    """An ELF file with a PT_LOAD header, then a PT_DYNAMIC header whose entries carry
    `tags` (each with the value 1) and a DT_NULL."""
    header_size, phentsize = (64, 56) if wide else (52, 32)
    dynamic = header_size + 2 * phentsize
    ident = b"\x7fELF" + bytes([2 if wide else 1, 1 if order == "<" else 2, 1]) + bytes(9)
    if wide:
        header = ident + struct.pack(order + "HHIQQQIHHHHHH", 2, 62, 1, 0, header_size, 0, 0,
                                     header_size, phentsize, 2, 0, 0, 0)  # fmt: skip
        load = struct.pack(order + "IIQQQQQQ", PT_LOAD, 5, 0, 0, 0, dynamic, dynamic, 4096)
        table = struct.pack(order + "IIQQQQQQ", PT_DYNAMIC, 6, dynamic, 0, 0, 0, 0, 8)
        entries = b"".join(struct.pack(order + "qQ", tag, 1) for tag in [*tags, DT_NULL])
    else:
        header = ident + struct.pack(order + "HHIIIIIHHHHHH", 2, 3, 1, 0, header_size, 0, 0,
                                     header_size, phentsize, 2, 0, 0, 0)  # fmt: skip
        load = struct.pack(order + "IIIIIIII", PT_LOAD, 0, 0, 0, dynamic, dynamic, 5, 4096)
        table = struct.pack(order + "IIIIIIII", PT_DYNAMIC, dynamic, 0, 0, 0, 0, 6, 4)
        entries = b"".join(struct.pack(order + "iI", tag, 1) for tag in [*tags, DT_NULL])
    assert len(header) == header_size
    return header + load + table + entries


def _tags(data: bytes, *, wide: bool = True, order: str = "<") -> list[int]:
    start, size, entry = (64 + 2 * 56, 16, "qQ") if wide else (52 + 2 * 32, 8, "iI")
    tags = []
    for at in range(start, len(data), size):
        tags.append(struct.unpack_from(order + entry, data, at)[0])
        if tags[-1] == DT_NULL:
            return tags
    raise AssertionError("no DT_NULL")


def _switch(tmp_path: Path, data: bytes) -> tuple[int, bytes]:
    binary = tmp_path / "python3.13"
    binary.write_bytes(data)
    binary.chmod(0o755)
    done = subprocess.run([sys.executable, "-c", _step(), str(binary)], check=False)
    return done.returncode, binary.read_bytes()


@pytest.mark.parametrize(("wide", "order"), [(True, "<"), (False, "<"), (True, ">"), (False, ">")])
def test_runpath_becomes_rpath_in_place(tmp_path, wide, order):
    before = _elf([DT_NEEDED, DT_RUNPATH, DT_NEEDED], wide=wide, order=order)
    code, after = _switch(tmp_path, before)
    assert code == 0
    assert _tags(after, wide=wide, order=order) == [DT_NEEDED, DT_RPATH, DT_NEEDED, DT_NULL]
    # Nothing else moves: only the tag's bytes differ.
    changed = [i for i, (a, b) in enumerate(zip(before, after, strict=True)) if a != b]
    assert len(changed) == 1
    assert os.stat(tmp_path / "python3.13").st_mode & 0o777 == 0o755


def test_an_rpath_is_left_as_it_is(tmp_path):
    before = _elf([DT_RPATH, DT_NEEDED])
    assert _switch(tmp_path, before) == (0, before)


@pytest.mark.parametrize(
    "data", [_elf([DT_NEEDED]), b"#!/bin/sh\necho not a binary\n"], ids=["no-runpath", "script"]
)
def test_without_a_runpath_it_says_so_and_changes_nothing(tmp_path, data):
    """Exit 3 sends the finishing script to patchelf, which sets each file's RPATH."""
    assert _switch(tmp_path, data) == (3, data)


def test_the_finishing_step_falls_back_to_patchelf_only_when_the_switch_fails():
    text = script("python-image-finish.sh")
    switch = text.index('runpath_to_rpath "$prefix/bin/python$minor" && extensions_import')
    assert switch < text.index('"$patchelf" --force-rpath')
