"""An import's report lists every entry of the folder: what it leaves out (hidden files,
folders, pipes, links to nothing) is named with the reason, never silently dropped."""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.store import ImportResult, Store
from tests.audit.store import factory as f


@pytest.mark.timeout(60)
@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs (POSIX)")
def test_every_entry_left_out_of_an_import_is_listed_with_its_reason(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    envelope = f.receipt(signer, f.phone("R58M1"), f.AROHA, f.Outcome.CLEAN, day=date(2023, 3, 28))
    write_receipt(envelope, folder / "aroha.json")
    (folder / ".hidden.json").write_bytes((folder / "aroha.json").read_bytes())
    (folder / "more").mkdir()
    os.mkfifo(folder / "pipe.json")
    (folder / "gone.json").symlink_to(tmp_path / "nowhere.json")
    (folder / "to-folder").symlink_to(folder / "more")
    (folder / "link.json").symlink_to(folder / "aroha.json")

    report = store.import_folder(folder)
    outcomes = {o.path.name: o for o in report.outcomes}
    assert set(outcomes) == {p.name for p in folder.iterdir()}
    assert outcomes["aroha.json"].result is ImportResult.IMPORTED
    assert outcomes["link.json"].result is ImportResult.DUPLICATE  # a link to a receipt is read
    expected = {
        ".hidden.json": "a hidden file",
        "more": "a folder: an import takes the files of the folder it is given",
        "pipe.json": "a pipe, a device or a socket, not a file",
        "gone.json": "a link to a file that is not there",
        "to-folder": "a link to a folder",
    }
    for name, reason in expected.items():
        assert outcomes[name].result is ImportResult.SKIPPED, name
        assert reason in outcomes[name].reason, (name, outcomes[name].reason)
    assert [o.path.name for o in report.outcomes] == sorted(outcomes)
