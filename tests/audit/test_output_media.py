"""An output named on the command line is tried before the slow work: `attest --out` (and
`scan --json`) into a read-only folder or onto a full disk says so at once, before any scan."""

from __future__ import annotations

import contextlib
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from audit.cli import main

pytestmark = pytest.mark.skipif(
    not hasattr(os, "geteuid") or os.geteuid() != 0,
    reason="mounts a small file system (read-only, or full), which needs root",
)


@contextlib.contextmanager
def _media(where: Path, *, read_only: bool = False, full: bool = False) -> Iterator[Path]:
    where.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(where)], check=False
    )
    if mounted.returncode:
        pytest.skip("cannot mount a file system here")
    try:
        if full:
            with contextlib.suppress(OSError), (where / "filler").open("wb") as filler:
                while True:
                    filler.write(b"\0" * 65536)
                    filler.flush()
        if read_only:
            subprocess.run(["mount", "-o", "remount,ro", str(where)], check=True)
        yield where
    finally:
        subprocess.run(["umount", str(where)], check=True)


ATTEST = [
    "attest",
    "--device",
    "NO-SUCH-PHONE",
    "--adb-port",
    "1",
    "--policy",
    "nz-parliament-2023",
    "--name",
    "Aroha Ngata",
    "--staff-id",
    "PS-1042",
    "--accept-statement",
    "--out",
]


@pytest.mark.parametrize(
    ("media", "words"),
    [({"read_only": True}, "read-only"), ({"full": True}, "is full")],
)
def test_attest_out_on_read_only_or_full_media_is_refused_before_scanning(
    media: dict[str, bool], words: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _media(tmp_path / "media", **media) as folder:
        assert main([*ATTEST, str(folder / "receipt.json")]) == 2
        out, err = capsys.readouterr()
    assert out == ""  # nothing was scanned, no phone was looked for
    assert "The receipt cannot be written" in err and words in err, err
    assert "next step: Choose another file name with --out." in err


def test_scan_json_onto_a_full_disk_is_refused_before_scanning(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    with _media(tmp_path / "media", full=True) as folder:
        code = main(["scan", "--device", "NO-SUCH-PHONE", "--json", str(folder / "inv.json")])
        _, err = capsys.readouterr()
    assert code == 2 and "is full" in err and "Nothing was scanned" in err, err
