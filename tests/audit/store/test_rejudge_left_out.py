"""`history rejudge --inventories DIR` names every entry of DIR it does not read, with the
reason, as `import` does (one listing, audit.store.intake, serves both): a link to /dev/zero, a
pipe, a sub-folder and a hidden file are never passed over in silence, nor read."""

from __future__ import annotations

import json
import os
import shutil
from datetime import timedelta
from pathlib import Path

import pytest

from audit.attestation import Attester, Signer, attest, write_receipt
from audit.cli import main
from audit.inventory import save
from audit.store import Store
from tests.audit.store import factory as f
from tests.audit.store import rejudging as r
from tests.audit.store.cli_target import cli_db
from tests.helpers.nz_tiktok import STATEMENT

WITH_CAPCUT = (r.capcut(), *r.everyday_apps(3))


@pytest.fixture
def inventories(store: Store, tmp_path: Path) -> Path:
    """A history holding one imported receipt whose inventory is in the folder, among entries
    that are not files to read; version 2 (CapCut banned) is accepted."""
    v1, second = r.accept_v1(store, tmp_path / "policies")
    before = r.judged(v1, f.phone("R1"), WITH_CAPCUT)
    signed = attest(
        before=before,
        after=before,
        actions=(),
        attester=Attester(f.AROHA.name, f.AROHA.staff_id),
        statement_text=STATEMENT,
        signer=Signer.generate(),
        now=before.scan.finished_at + timedelta(minutes=1),
    )
    (tmp_path / "in").mkdir()
    write_receipt(signed, tmp_path / "in" / "aroha.json")
    assert store.import_folder(tmp_path / "in").imported == 1
    store.accept_policy(second, by="Lead")
    store.close()

    folder = tmp_path / "inventories"
    (folder / "sub").mkdir(parents=True)
    save(before.scan, folder / "aroha.inventory.json")
    shutil.copy(folder / "aroha.inventory.json", folder / "sub" / "x.json")
    shutil.copy(folder / "aroha.inventory.json", folder / ".hidden.json")
    (folder / "zero.json").symlink_to("/dev/zero")
    os.mkfifo(folder / "pipe.json")
    (folder / "to-sub").symlink_to(folder / "sub")
    (folder / "gone.json").symlink_to(tmp_path / "nowhere.json")
    return folder


LEFT_OUT = {
    ".hidden.json": "a hidden file (its name starts with a dot)",
    "sub": "a folder: history rejudge --inventories takes the files of the folder it is given",
    "to-sub": "a link to a folder",
    "zero.json": "a link to a pipe, a device or a socket, not a file",
    "pipe.json": "a pipe, a device or a socket, not a file",
    "gone.json": "a link to a file that is not there",
}


def test_every_entry_left_out_is_listed_with_its_reason_in_json(
    inventories: Path,
    store: Store,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    args = ["history", "rejudge", "--policy", r.POLICY_ID, "--db", db, "--json"]
    assert main([*args, "--inventories", str(inventories)]) == 1  # CapCut found: worse
    document = json.loads(capsys.readouterr().out)
    listed = {Path(i["file"]).name: i for i in document["inventory_files"]}
    assert set(listed) == {p.name for p in inventories.iterdir()}
    assert listed["aroha.inventory.json"]["kept"] is True
    for name, reason in LEFT_OUT.items():
        assert listed[name]["kept"] is False, name
        assert listed[name]["reason"].startswith(reason), (name, listed[name]["reason"])
    (changed,) = document["changed"]
    assert changed["new_violations"] == ["CapCut"]


def test_the_text_report_names_them_too(
    inventories: Path,
    store: Store,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    args = ["history", "rejudge", "--policy", r.POLICY_ID, "--db", db]
    assert main([*args, "--inventories", str(inventories)]) == 1
    out = capsys.readouterr().out
    for name, reason in LEFT_OUT.items():
        assert f"not kept  {name}: {reason}" in out, name
    assert "aroha.inventory.json" not in out  # kept: nothing to say about it


def test_an_inventory_only_in_a_hidden_file_or_a_sub_folder_is_not_read(
    inventories: Path,
    store: Store,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    db = cli_db(store, request)  # its file, or its PostgreSQL address
    (inventories / "aroha.inventory.json").unlink()
    args = ["history", "rejudge", "--policy", r.POLICY_ID, "--db", db, "--json"]
    assert main([*args, "--inventories", str(inventories)]) == 0  # nothing re-judged
    document = json.loads(capsys.readouterr().out)
    assert document["changed"] == [] and len(document["not_rejudged"]) == 1
    assert all(not i["kept"] for i in document["inventory_files"])
