"""An exemption that names no person and no device, only the policy and the TikTok rule, is
accepted without `--blanket` (the confirmation only says "for any person"), and then lets
every staff member keep TikTok.

How a person does it: the approver grants the Speaker's communications team TikTok "to
perform their democratic duties" and writes one entry with `policy` and `rules = ["tiktok"]`
but forgets `person` (or means "the team" and names nobody). The helpdesk runs
`device-audit exemption accept FILE --by NAME`: the blanket guard (audit/store/blanket.py)
refuses only an entry that names no person, policy, rule AND app, so this one is taken
like any other ("Accepted: exemption EX-COMMS-TEAM for any person ..."); `exemption list`
does not mark it BLANKET. A reluctant staff member who gets hold of the file
(it is handed around as "the TikTok exemption") runs `attest --exemptions FILE --person ME`:
the honest app applies it (it names nobody, so it covers everybody) and the helpdesk counts
their phone "compliant with exceptions", TikTok still on it. So does everybody else's.

What the product should do: an exemption that names no person and no device covers everyone
whatever its policy, rule or app, and deserves the same guard as a blanket one: refused by
`exemption accept` unless the helpdesk says so on purpose (`--blanket` or a flag of its own),
and marked in `exemption list`.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit.attestation import Attester, Signer, attest, write_receipt
from audit.cli import main
from audit.model import Exemption
from audit.store import ImportResult, Store
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import POLICY, STATEMENT

TODAY = datetime.now(UTC).date()
FOR_THE_TEAM = Exemption(
    id="EX-COMMS-TEAM",
    reason="Needed to perform democratic duties (Speaker's communications team)",
    approver="Clerk of the House",
    granted=TODAY - timedelta(days=30),
    expires=TODAY + timedelta(days=300),
    policy=POLICY.id,
    rules=("tiktok",),
)


def _accept(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str, Path]:
    db = tmp_path / "helpdesk.sqlite3"
    Store(db).close()
    exemptions = f.exemptions_file(tmp_path / "exemptions.toml", FOR_THE_TEAM)
    capsys.readouterr()
    code = main(["exemption", "accept", str(exemptions), "--by", "Helpdesk lead", "--db", str(db)])
    return code, capsys.readouterr().out, db


def test_exemption_accept_refuses_an_exemption_for_everyone_without_asking(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, out, _db = _accept(tmp_path, capsys)
    # Today: exit 0, accepted like any named exemption.
    assert code == 2, out


def test_any_staff_member_citing_it_is_not_counted_compliant(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _out, db = _accept(tmp_path, capsys)
    if code != 0:
        return  # refused, as it should be (the test above): nothing can cite it then
    somebody = f.Person("Anyone At All", "PS-9999")
    phone = f.phone("R58MANYONE")
    first, after, _actions = f.audit_inputs(phone, somebody, f.Outcome.EXCEPTED, day=TODAY)
    [finding] = after.findings
    after = replace(
        after, findings=(replace(finding, exemption=FOR_THE_TEAM),), exemptions=(FOR_THE_TEAM,)
    )
    envelope = attest(
        before=first,
        after=after,
        actions=(),
        attester=Attester(name=somebody.name, staff_id=somebody.staff_id),
        statement_text=STATEMENT,
        signer=Signer.generate(),
        now=after.scan.finished_at + timedelta(minutes=1),
    )
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(envelope, folder / "anyone.json")
    with Store(db) as helpdesk:
        [outcome] = helpdesk.import_folder(folder).outcomes
        assert outcome.result is ImportResult.IMPORTED, outcome.reason
        [row] = helpdesk.export_rows()
    # Today: "compliant_with_exceptions", no trust note, TikTok on the phone.
    assert row.status not in ("compliant", "compliant_with_exceptions"), row
