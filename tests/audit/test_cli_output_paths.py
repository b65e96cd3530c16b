"""Output files named on the command line are checked before the slow work they would hold."""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.cli import main


@pytest.mark.parametrize(
    ("target", "problem"),
    [
        ("{tmp}/nonexistent/dir/x.json", "the folder {tmp}/nonexistent/dir does not exist"),
        ("{tmp}", "{tmp} is a folder; give the name of a file to write in it"),
        ("{tmp}/a-file/x.json", "{tmp}/a-file is not a folder"),
    ],
)
@pytest.mark.parametrize("where", [["--local"], ["--device", "SERIAL-NOT-THERE"]])
def test_scan_refuses_an_output_path_that_cannot_work_before_scanning(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    target: str,
    problem: str,
    where: list[str],
) -> None:
    (tmp_path / "a-file").write_text("not a folder")
    path = target.format(tmp=tmp_path)
    assert main(["scan", *where, "--json", path]) == 2
    out, err = capsys.readouterr()
    assert out == ""  # no scan summary: nothing was scanned (and no phone was asked for)
    assert err == (
        f"error: The inventory cannot be written to {path}: {problem.format(tmp=tmp_path)}.\n"
        "next step: Nothing was scanned. Give --json a file in a folder that exists (for "
        "example --json inventory.json) and run the scan again.\n"
    )
