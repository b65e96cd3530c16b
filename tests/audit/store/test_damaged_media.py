"""The history on a full disk, on read-only media and with zeroed pages: each is said in words
with a next step; nothing is written into a damaged file, and a read-only one can be read."""

from __future__ import annotations

import contextlib
import os
import sqlite3
import subprocess
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import audit.store.store as store_module
from audit.attestation import Signer, write_receipt
from audit.cli import main
from audit.store import Store
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)


def _receipts(signer: Signer, folder: Path, count: int, start: int = 0) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index in range(start, start + count):
        envelope = f.receipt(signer, f.phone(f"P{index:04d}"), f.AROHA, f.Outcome.CLEAN, day=DAY)
        write_receipt(envelope, folder / f"{index:04d}.json")
    return folder


def test_a_full_disk_is_said_in_words_and_keeps_what_was_written(
    signer: Signer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = tmp_path / "history.sqlite3"
    assert main(["import", str(_receipts(signer, tmp_path / "first", 3)), "--db", str(db)]) == 0
    opened = store_module.open_database

    def full_disk(path: Path) -> sqlite3.Connection:
        """The history as on a disk with no room left: SQLite's own 'disk is full'."""
        conn = opened(path)
        pages = conn.execute("PRAGMA page_count").fetchone()[0]
        conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    monkeypatch.setattr(store_module, "open_database", full_disk)
    more = _receipts(signer, tmp_path / "more", 40, start=3)
    capsys.readouterr()
    assert main(["import", str(more), "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert "is full" in err and "no transaction is active" not in err
    assert "next step: Free some space" in err
    monkeypatch.undo()
    with Store(db) as store:
        assert store.count() == 3 and store.integrity_check() == "ok"


def _zero_pages(path: Path, first: int, count: int) -> None:
    with path.open("r+b") as file:
        file.seek(first * 4096)
        file.write(b"\0" * 4096 * count)


def test_zeroed_pages_are_found_on_open_and_nothing_is_imported_into_them(
    signer: Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    db = tmp_path / "history.sqlite3"
    with Store(db) as store:
        store.import_folder(_receipts(signer, tmp_path / "in", 60))
        store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    pages = db.stat().st_size // 4096
    assert pages > 30
    _zero_pages(db, pages // 2, 20)
    before = db.read_bytes()
    more = _receipts(signer, tmp_path / "more", 2, start=100)
    for args in (["import", str(more)], ["history"], ["export"]):
        capsys.readouterr()
        assert main([*args, "--db", str(db)]) == 2, args
        err = capsys.readouterr().err
        assert "is damaged" in err and "next step: Move the file aside" in err, (args, err)
    assert db.read_bytes() == before  # nothing written into it


@contextlib.contextmanager
def _read_only_folder(folder: Path) -> Iterator[Path]:
    """A folder on read-only media: a read-only tmpfs where this runs as root (root writes
    through file modes), else a folder and file without write permission."""
    if os.geteuid() != 0:
        for path in (*folder.iterdir(), folder):
            path.chmod(0o555 if path.is_dir() else 0o444)
        try:
            yield folder
        finally:
            for path in (folder, *folder.iterdir()):
                path.chmod(0o755 if path.is_dir() else 0o644)
        return
    media = folder.parent / "media"
    media.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=8m", "tmpfs", str(media)], check=False
    )
    if mounted.returncode:
        pytest.skip("cannot mount a read-only file system here")
    try:
        for path in folder.iterdir():
            (media / path.name).write_bytes(path.read_bytes())
        subprocess.run(["mount", "-o", "remount,ro", str(media)], check=True)
        yield media
    finally:
        subprocess.run(["umount", str(media)], check=True)


@pytest.mark.skipif(not hasattr(os, "geteuid"), reason="POSIX permissions")
def test_a_history_on_read_only_media_can_be_read_and_exported(
    signer: Signer, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = tmp_path / "history"
    with Store(folder / "history.sqlite3") as store:
        store.import_folder(_receipts(signer, tmp_path / "in", 3))
    with _read_only_folder(folder) as media:
        db = str(media / "history.sqlite3")
        capsys.readouterr()
        assert main(["history", "--db", db]) == 0
        assert len(capsys.readouterr().out.strip().splitlines()) == 3
        assert main(["export", "--format", "csv", "--db", db]) == 0
        assert len(capsys.readouterr().out.strip().splitlines()) == 4  # a header and 3 rows
        assert main(["import", str(_receipts(signer, tmp_path / "more", 1, 9)), "--db", db]) == 2
        err = capsys.readouterr().err
        assert "cannot be written" in err or "read-only" in err, err


_HISTORY: dict[str, bytes] = {}


def _small_history() -> bytes:
    """The bytes of a small history of a few imported receipts (made once)."""
    if not _HISTORY:
        import tempfile

        with tempfile.TemporaryDirectory() as folder:
            db = Path(folder) / "history.sqlite3"
            with Store(db) as store:
                store.import_folder(_receipts(Signer.generate(), Path(folder) / "in", 8))
                store._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            _HISTORY["bytes"] = db.read_bytes()
    return _HISTORY["bytes"]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    damage=st.lists(
        st.tuples(st.integers(min_value=0, max_value=200_000), st.binary(min_size=1, max_size=64)),
        min_size=1,
        max_size=4,
    ),
    command=st.sampled_from([["history"], ["export"], ["history", "--latest", "--json"]]),
)
def test_a_damaged_history_is_read_or_refused_in_words_never_a_traceback(
    damage: list[tuple[int, bytes]], command: list[str]
) -> None:
    import io
    import tempfile
    from contextlib import redirect_stderr, redirect_stdout

    data = bytearray(_small_history())
    for offset, chunk in damage:
        at = offset % len(data)
        data[at : at + len(chunk)] = chunk
    with tempfile.TemporaryDirectory() as folder:
        db = Path(folder) / "history.sqlite3"
        db.write_bytes(bytes(data))
        out, err = io.StringIO(), io.StringIO()
        with redirect_stdout(out), redirect_stderr(err):
            code = main([*command, "--db", str(db)])
    assert code in (0, 1, 2)
    if code == 2:
        assert err.getvalue().startswith("error: ") and "next step: " in err.getvalue()
