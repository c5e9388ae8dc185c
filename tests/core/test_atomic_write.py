"""core.atomic_write: the one temp-file-then-replace helper (sessions and every GUI export)."""

from __future__ import annotations

import os

import pytest

from core.atomic_write import TEMP_PREFIX, make_temp_beside, replaced_on_success, write_text_atomic


def test_write_replaces_whole_and_leaves_no_temp(tmp_path) -> None:
    path = tmp_path / "a.txt"
    path.write_text("old " * 1000)
    write_text_atomic(path, "new ünïcode")
    assert path.read_text(encoding="utf-8") == "new ünïcode"
    assert os.listdir(tmp_path) == ["a.txt"]


def test_a_failing_block_keeps_the_old_file_and_removes_the_temp(tmp_path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("previous")
    with pytest.raises(RuntimeError), replaced_on_success(path, ".csv") as temp:
        assert temp.parent == tmp_path and temp.name.startswith(TEMP_PREFIX)
        temp.write_text("half")
        raise RuntimeError("encoder failed")
    assert path.read_text() == "previous"
    assert os.listdir(tmp_path) == ["a.csv"]


def test_temp_name_is_bounded_and_gets_the_usual_mode(tmp_path) -> None:
    old = os.umask(0o022)
    try:
        fd, temp = make_temp_beside(tmp_path / ("x" * 250 + ".png"), ".png")
    finally:
        os.umask(old)
    os.close(fd)
    assert len(temp.name) == len(TEMP_PREFIX) + 8 + len(".png")
    assert temp.stat().st_mode & 0o777 == 0o644
