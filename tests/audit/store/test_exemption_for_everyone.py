"""An exemption that names no person and no device covers whoever lists it: the helpdesk accepts
one only on purpose (`exemption accept --everyone`), and `exemption list` marks it EVERYONE
(audit.store.blanket; the way in: tests/review_s5/test_exemption_for_everyone.py)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.attestation import Attester, Signer, attest, write_receipt
from audit.cli import main
from audit.errors import StoreError
from audit.model import Exemption
from audit.store import ImportResult, Store
from audit.store.holds import EXEMPTION_NOTE
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import STATEMENT

TODAY = datetime.now(UTC).date()
TEAM = Exemption(
    id="EX-COMMS-TEAM",
    reason="Needed to perform democratic duties",
    approver="Clerk of the House",
    granted=TODAY - timedelta(days=30),
    expires=TODAY + timedelta(days=300),
    policy="nz-parliament-2023",
    rules=("tiktok",),
)
PAT = f.Person("Pat Seven", "PS-7000")


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "scope",
    [
        {},  # policy and rule, as the approver wrote it
        {"policy": "", "rules": (), "apps": ("com.zhiliaoapp.musically",)},
        {"rules": ()},  # every banned app of one policy
        {"person": "   ", "device": " "},  # blanks name nobody
    ],
)
def test_an_exemption_for_everyone_is_refused_with_its_whole_file(
    store: Store, tmp_path: Path, scope: dict[str, Any]
) -> None:
    named = f.exemption(PAT, TODAY + timedelta(days=30))
    path = f.exemptions_file(tmp_path / "ex.toml", named, replace(TEAM, **scope))
    with pytest.raises(StoreError) as caught:
        store.accept_exemptions(path, by="Helpdesk lead")
    words = f"{caught.value.message} {caught.value.next_step}"
    assert "names no person and no device" in words
    assert "EX-COMMS-TEAM covers" in words and "for every person on every device" in words
    assert "--everyone" in words
    assert store.accepted_exemptions() == []  # not even the named one: the file is one decision


@pytest.mark.parametrize(
    "scope",
    [
        {"person": PAT.staff_id},
        {"device": "android:R58M1234"},
        {"device": "R58M1234", "apps": ("com.zhiliaoapp.musically",)},
    ],
)
def test_an_exemption_naming_whom_or_which_device_is_accepted_as_before(
    store: Store, tmp_path: Path, scope: dict[str, Any]
) -> None:
    path = f.exemptions_file(tmp_path / "ex.toml", replace(TEAM, **scope))
    [(_exemption, _digest, added)] = store.accept_exemptions(path, by="Helpdesk lead")
    [accepted] = store.accepted_exemptions()
    assert added and (accepted.everyone, accepted.blanket) == (False, False)


def test_accepted_on_purpose_it_is_marked_everyone(store: Store, tmp_path: Path) -> None:
    path = f.exemptions_file(tmp_path / "ex.toml", TEAM)
    store.accept_exemptions(path, by="Helpdesk lead", everyone=True)
    [accepted] = store.accepted_exemptions()
    assert (accepted.exemption_id, accepted.everyone, accepted.blanket) == (TEAM.id, True, False)


def test_a_blanket_one_needs_blanket_and_an_everyone_one_everyone(
    store: Store, tmp_path: Path
) -> None:
    """Two decisions, two flags: saying "blanket" for one line does not wave another through."""
    wide = Exemption(id="EX-ALL", reason="r", approver="A", granted=TODAY, expires=TODAY)
    path = f.exemptions_file(tmp_path / "ex.toml", wide, TEAM)
    with pytest.raises(StoreError, match="names no person and no device"):
        store.accept_exemptions(path, by="Helpdesk lead", blanket=True)
    with pytest.raises(StoreError, match="covers everything"):
        store.accept_exemptions(path, by="Helpdesk lead", everyone=True)
    assert store.accepted_exemptions() == []
    store.accept_exemptions(path, by="Helpdesk lead", blanket=True, everyone=True)
    marks = {e.exemption_id: (e.blanket, e.everyone) for e in store.accepted_exemptions()}
    assert marks == {"EX-ALL": (True, True), "EX-COMMS-TEAM": (False, True)}


def test_the_command_line_refuses_then_accepts_on_purpose_and_lists_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "h.sqlite3")
    Store(db).close()
    path = str(f.exemptions_file(tmp_path / "team.toml", TEAM))
    code, out, err = run(capsys, "exemption", "accept", path, "--by", "Lead", "--db", db)
    assert code == 2 and "Accepted" not in out
    assert "team.toml was not accepted" in err and "what the rules tiktok ban" in err
    code, out, _ = run(
        capsys, "exemption", "accept", path, "--everyone", "--by", "Lead", "--db", db
    )
    assert code == 0 and "Accepted: exemption EX-COMMS-TEAM for everyone (" in out
    _code, out, _ = run(capsys, "exemption", "list", "--db", db)
    assert "EVERYONE (names no person and no device)" in out and "BLANKET" not in out
    _code, out, _ = run(capsys, "exemption", "list", "--db", db, "--json")
    [listed] = json.loads(out)
    assert (listed["everyone"], listed["blanket"], listed["person"]) == (True, False, None)


def test_a_staff_member_citing_a_refused_one_is_not_counted_compliant(
    store: Store, tmp_path: Path
) -> None:
    """The refusal is what keeps the file from counting: a receipt that lists it is held like
    any receipt resting on an exemption nobody accepted, with TikTok still on the phone."""
    with pytest.raises(StoreError):
        store.accept_exemptions(f.exemptions_file(tmp_path / "ex.toml", TEAM), by="Lead")
    anyone = f.Person("Anyone At All", "PS-9999")
    first, after, _actions = f.audit_inputs(
        f.phone("R58MANYONE"), anyone, f.Outcome.EXCEPTED, day=TODAY
    )
    [finding] = after.findings
    after = replace(after, findings=(replace(finding, exemption=TEAM),), exemptions=(TEAM,))
    envelope = attest(
        before=first,
        after=after,
        actions=(),
        attester=Attester(name=anyone.name, staff_id=anyone.staff_id),
        statement_text=STATEMENT,
        signer=Signer.generate(),
        now=after.scan.finished_at + timedelta(minutes=1),
    )
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(envelope, folder / "anyone.json")
    [outcome] = store.import_folder(folder).outcomes
    assert outcome.result is ImportResult.IMPORTED, outcome.reason
    [row] = store.export_rows()
    assert row.status not in ("compliant", "compliant_with_exceptions"), row
    assert EXEMPTION_NOTE in row.trust_note
