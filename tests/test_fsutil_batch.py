"""Batch writes: each file whole and in place, one flush for all, nothing outside the folder."""

from __future__ import annotations

import stat
from pathlib import Path

import pytest

from seedfeed.errors import OutputError
from seedfeed.fsutil import write_batch_if_changed


def test_write_batch_writes_new_and_changed_files_only(tmp_path: Path) -> None:
    (tmp_path / "articles").mkdir()
    (tmp_path / "articles" / "same.html").write_bytes(b"same")
    (tmp_path / "articles" / "old.html").write_bytes(b"old")
    items = [("articles/same.html", b"same"), ("articles/old.html", b"new"), ("deep/er/page.html", b"fresh")]
    assert write_batch_if_changed(tmp_path, items) == [False, True, True]
    assert (tmp_path / "articles" / "old.html").read_bytes() == b"new"
    assert (tmp_path / "deep" / "er" / "page.html").read_bytes() == b"fresh"
    assert stat.S_IMODE((tmp_path / "deep" / "er" / "page.html").stat().st_mode) == 0o644
    assert sorted(p.name for p in tmp_path.rglob(".*.tmp")) == []


def test_write_batch_refuses_a_path_outside_the_folder_and_leaves_no_temp_files(tmp_path: Path) -> None:
    out = tmp_path / "out"
    out.mkdir()
    with pytest.raises(OutputError, match="outside the output folder"):
        write_batch_if_changed(out, [("a.html", b"a"), ("../escape.html", b"x")])
    assert not (tmp_path / "escape.html").exists()
    assert not (out / "a.html").exists()
    assert list(out.iterdir()) == []


def test_write_batch_of_nothing_changes_nothing(tmp_path: Path) -> None:
    assert write_batch_if_changed(tmp_path, []) == []
    assert list(tmp_path.iterdir()) == []


def test_write_batch_refuses_symlinks_out_of_the_folder(tmp_path: Path) -> None:
    out = tmp_path / "out"
    (out / "articles").mkdir(parents=True)
    secret = tmp_path / "secret.txt"
    secret.write_bytes(b"keep")
    (out / "articles" / "page.html").symlink_to(secret)
    (out / "linked").symlink_to(tmp_path, target_is_directory=True)
    for relative in ("articles/page.html", "linked/page.html"):
        with pytest.raises(OutputError, match="outside the output folder"):
            write_batch_if_changed(out, [("articles/ok.html", b"ok"), (relative, b"x")])
    assert secret.read_bytes() == b"keep"
    assert not (tmp_path / "page.html").exists()
    assert not (out / "articles" / "ok.html").exists()
