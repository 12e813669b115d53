"""Batch writes: each file whole and in place, one flush for all, nothing outside the folder."""

from __future__ import annotations

import stat
from collections.abc import Iterator
from pathlib import Path

import pytest

from seedfeed.errors import OutputError
from seedfeed.fsutil import write_batch_if_changed, write_parts_if_changed


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


def _taken(parts: list[bytes], seen: list[int]) -> Iterator[bytes | memoryview]:
    """Yield the parts (every other one as a memoryview), counting those taken."""
    for index, part in enumerate(parts):
        seen.append(index)
        yield memoryview(part) if index % 2 else part


def test_write_parts_writes_a_file_made_in_parts_only_when_its_bytes_change(tmp_path: Path) -> None:
    seen: list[int] = []
    assert write_parts_if_changed(tmp_path, "ledger.json", _taken([b"{\n", b'  "a": 1', b"\n}\n"], seen))
    path = tmp_path / "ledger.json"
    assert path.read_bytes() == b'{\n  "a": 1\n}\n'
    assert stat.S_IMODE(path.stat().st_mode) == 0o644
    before = path.stat()
    # The same bytes, cut elsewhere: nothing written, the file untouched, every part taken all the same.
    seen.clear()
    assert not write_parts_if_changed(tmp_path, "ledger.json", _taken([b"{", b'\n  "a": 1\n', b"}", b"\n"], seen))
    assert seen == [0, 1, 2, 3]
    after = path.stat()
    assert (after.st_ino, after.st_mtime_ns) == (before.st_ino, before.st_mtime_ns)
    # Longer, shorter, or as long with other bytes: written.
    for text in (b'{\n  "a": 1\n}\n\n', b'{\n  "a": 1\n', b'{\n  "a": 2\n}\n'):
        assert write_parts_if_changed(tmp_path, "ledger.json", _taken([text[:3], text[3:]], []))
        assert path.read_bytes() == text
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.json"]  # no temporary file left


def test_write_parts_refuses_a_path_outside_the_folder_and_leaves_no_temp_file(tmp_path: Path) -> None:
    inside = tmp_path / "out"
    inside.mkdir()
    with pytest.raises(OutputError):
        write_parts_if_changed(inside, "../escape.json", [b"x"])
    assert not (tmp_path / "escape.json").exists()

    def failing() -> Iterator[bytes]:
        yield b"half"
        raise OSError(28, "No space left on device")

    (inside / "kept.json").write_bytes(b"old")
    with pytest.raises(OutputError, match="cannot be written"):
        write_parts_if_changed(inside, "kept.json", failing())
    assert (inside / "kept.json").read_bytes() == b"old"
    assert sorted(p.name for p in inside.iterdir()) == ["kept.json"]
