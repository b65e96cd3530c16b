"""Files a person names are read only when they are files, and never without bound: a FIFO or
/dev/zero given as a receipt, inventory, policy or exemptions file is refused at once with the
reason (it used to hang), and a path too long for the file system is words, not a traceback."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.cli import main
from audit.files import NOT_REGULAR, read_limited
from audit.inventory import save
from tests.audit.store import factory as f

pytestmark = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")

LONG = "a" * 5000


@pytest.fixture
def fifo(tmp_path: Path) -> Path:
    path = tmp_path / "receipt.json"
    os.mkfifo(path)
    return path


@pytest.mark.timeout(30)
@pytest.mark.parametrize("kind", ["fifo", "zero"])
def test_verify_refuses_a_pipe_or_a_device_and_still_checks_the_other_files(
    kind: str, fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    other = tmp_path / "other.json"
    other.write_text("{}")
    target = str(fifo) if kind == "fifo" else "/dev/zero"
    assert main(["verify", target, str(other)]) == 2
    out = capsys.readouterr().out
    assert NOT_REGULAR in out
    assert f"{other}: " in out  # the file after it was checked too


@pytest.mark.timeout(30)
@pytest.mark.parametrize(
    "args",
    [
        ["check", "--policy", "nz-parliament-2023", "--inventory", "{fifo}"],
        ["check", "--policy", "nz-parliament-2023", "--inventory", "/dev/zero"],
        ["check", "--policy", "{fifo_toml}", "--inventory", "{fifo}"],
        [
            "check",
            "--policy",
            "nz-parliament-2023",
            "--inventory",
            "{inv}",
            "--exemptions",
            "{fifo}",
        ],
    ],
)
def test_check_refuses_a_pipe_or_a_device_as_any_input(
    args: list[str], fifo: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo_toml = tmp_path / "policy.toml"
    os.mkfifo(fifo_toml)
    inventory = tmp_path / "inventory.json"
    save(f.scan(f.phone("R58M123ABC"), f.noon(date(2023, 3, 28)), tiktok_there=False), inventory)
    argv = [a.format(fifo=fifo, fifo_toml=fifo_toml, inv=inventory) for a in args]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert NOT_REGULAR in err and "Traceback" not in err


@pytest.mark.parametrize(
    "args",
    [
        ["verify", LONG],
        ["check", "--policy", LONG + ".toml", "--inventory", "x"],
        ["check", "--policy", "nz-parliament-2023", "--inventory", LONG],
        ["check", "--policy", "nz-parliament-2023", "--inventory", "x", "--exemptions", LONG],
        ["import", LONG, "--db", "{tmp}/h.sqlite3"],
        ["history", "--db", LONG],
        ["export", "--db", LONG],
    ],
)
def test_a_path_too_long_for_the_file_system_is_said_in_words(
    args: list[str], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code = main([a.format(tmp=tmp_path) for a in args])
    out, err = capsys.readouterr()
    assert code == 2
    assert "the path is too long" in out + err or "No such file" in err


def test_read_limited_refuses_more_than_its_limit(tmp_path: Path) -> None:
    path = tmp_path / "big"
    path.write_bytes(b"x" * 11)
    with pytest.raises(OSError, match="far too large"):
        read_limited(path, 10)
    assert read_limited(path, 11) == b"x" * 11


@settings(max_examples=50, deadline=None)
@given(st.binary(max_size=200))
def test_read_limited_returns_any_regular_file_exactly(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "f"
        path.write_bytes(data)
        assert read_limited(path) == data
