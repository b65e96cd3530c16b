"""The review's false-"compliant" paths (issue 13), each as the reviewer ran it, with real keys,
real SQLite histories and the command line: a receipt under an older text of a policy signed
after the newer one was in force, a phone simulator's receipt replacing a technician's witnessed
cabled audit, a network receipt replacing a check on a cable, a rescan made days before the
signing, and another tool's receipt. Each is held (counted not compliant, overdue after the
deadline) with words saying why, in the history, the export, the dashboard and `verify --db`."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Attester, Envelope, Signer, attest, dsse, report_noncompliance
from audit.errors import AttestationRefused
from audit.model import Assessment, Connection, ConnectionKind, Device, Policy
from audit.policy import load_policy, load_policy_file
from audit.store import Store
from audit.store.evidence import (
    LOOPBACK_NOTE,
    NETWORK_NOTE,
    OLDER_TEXT_NOTE,
    RESCAN_NOTE,
    tool_problem,
)
from audit.workflow.device_audit import DeviceAudit, saved_scan
from tests.audit.store import factory as f
from tests.audit.store.test_trust_attacks import (
    LOOPBACK,
    NETWORK,
    USB,
    cabled,
    drop,
    import_json,
    run,
)
from tests.helpers.nz_tiktok import POLICY, STATEMENT

EMULATOR = Connection(ConnectionKind.EMULATOR, address="emulator-5554")
PAT = f.Person("Pat Kim", "PS-7")
# The sha256 of nz-parliament-2023.toml as an earlier release shipped it (earlier-presets.json).
NZ_2023_EARLIER = "b52e7ac1b02d0c774de8f69a8c1bbfc896d5b8103247b0bd97283b1dfdfc2669"

ORG_X = """id = "org-x"
title = "{title}"
authority = "Org X"
announced = 2025-01-01
deadline = 2026-01-31
version = {version}
compliant_states = ["absent"]

[[rule]]
id = "tiktok"
title = "TikTok"
catalog = ["tiktok-app"]
"""
CAPCUT = """
[[rule]]
id = "capcut"
title = "CapCut"
catalog = ["capcut"]
"""


def org_x(tmp_path: Path, version: int) -> Path:
    """Org X's policy: version 1 bans TikTok, version 2 TikTok and CapCut (deadline passed)."""
    title = "Org X: TikTok" if version == 1 else "Org X: TikTok and CapCut"
    text = ORG_X.format(title=title, version=version) + (CAPCUT if version > 1 else "")
    path = tmp_path / f"orgx-v{version}.toml"
    path.write_text(text, "utf-8")
    return path


def signed_at(
    signer: Signer,
    device: Device,
    person: f.Person,
    at: datetime,
    *,
    policy: Policy = POLICY,
    outcome: f.Outcome = f.Outcome.CLEAN,
    technician: str = "",
    rescan_before: timedelta = timedelta(minutes=1),
) -> Envelope:
    """A receipt signed at `at` (a real moment, not the factory's noon), its rescan finished
    `rescan_before` earlier and judged as of the day it was signed."""
    before, after, actions = f.audit_inputs(device, person, outcome, day=at.date(), policy=policy)
    done = at - rescan_before

    def moved(assessment: Assessment, finished: datetime) -> Assessment:
        scan = replace(
            assessment.scan, started_at=finished - timedelta(seconds=20), finished_at=finished
        )
        return replace(assessment, scan=scan)

    first, last = moved(before, done - timedelta(minutes=5)), moved(after, done)
    actions = tuple(replace(x, at=done - timedelta(minutes=2)) for x in actions)
    attester = Attester(name=person.name, staff_id=person.staff_id, technician=technician)
    if outcome is f.Outcome.CLEAN:
        return attest(
            before=first,
            after=last,
            actions=actions,
            attester=attester,
            statement_text=STATEMENT,
            signer=signer,
            now=at,
        )
    return report_noncompliance(
        before=first, after=last, actions=actions, attester=attester, signer=signer, now=at
    )


def export(capsys: pytest.CaptureFixture[str], db: Path) -> list[dict[str, str]]:
    code, out, _ = run(capsys, "export", "--db", str(db))
    assert code == 0, out
    return list(csv.DictReader(io.StringIO(out)))


def now() -> datetime:
    return datetime.now(UTC)


# --- 1. an older text of a policy, signed after the newer one was in force ---------------------


def test_a_receipt_under_an_older_accepted_text_signed_after_the_newer_one_is_held(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    """repro_older_version.sh: v2 (which adds CapCut) accepted, then a receipt under v1."""
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    v1, v2 = org_x(tmp_path, 1), org_x(tmp_path, 2)
    with Store(db) as store:
        store.accept_policy(v1, by="Helpdesk")
        store.accept_policy(v2, by="Helpdesk")
    old = load_policy_file(v1)
    drop(folder, "r.json", signed_at(signer, cabled("CAPCUT1"), PAT, now(), policy=old))
    outcome = import_json(capsys, folder, db)["r.json"]
    assert outcome["result"] == "imported"
    [row] = export(capsys, db)
    assert row["status"] == "overdue"  # held, and the deadline has passed
    assert f"{OLDER_TEXT_NOTE} 1 of policy org-x after version 2" in row["trust_note"]
    assert "check again under the current version" in row["trust_note"]
    with Store(db) as store:
        [summary] = store.history()
        assert str(summary.status) in ("non_compliant", "overdue")  # as recorded: held
        assert OLDER_TEXT_NOTE in summary.trust_note
        board = store.dashboard("org-x", date.today())
        assert (board.counts.compliant, board.counts.overdue) == (0, 1)
    _code, out, _ = run(capsys, "verify", str(folder / "r.json"), "--db", str(db), "--json")
    [verified] = json.loads(out)
    assert OLDER_TEXT_NOTE in (verified["assurance_note"] or "")


def test_a_receipt_under_the_older_text_signed_before_the_newer_one_counts_as_before(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    v1 = org_x(tmp_path, 1)
    with Store(db) as store:
        store.accept_policy(v1, by="Helpdesk")
    signed = now() - timedelta(minutes=30)
    old = load_policy_file(v1)
    drop(folder, "r.json", signed_at(signer, cabled("CAPCUT2"), PAT, signed, policy=old))
    with Store(db) as store:
        store.accept_policy(org_x(tmp_path, 2), by="Helpdesk")  # after the signing
    assert import_json(capsys, folder, db)["r.json"]["result"] == "imported"
    [row] = export(capsys, db)
    assert row["status"] == "compliant"
    assert OLDER_TEXT_NOTE not in row["trust_note"]
    with Store(db) as store:
        [summary] = store.history()
        assert "judged under an older version of the policy" in summary.older_policy


def test_a_receipt_under_an_earlier_preset_text_signed_after_the_current_one_shipped_is_held(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    shipped = load_policy(POLICY.id).last_verified
    assert shipped is not None and shipped <= now().date()
    earlier = replace(POLICY, sha256=NZ_2023_EARLIER)
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "r.json", signed_at(signer, cabled("E1"), PAT, now(), policy=earlier))
    assert import_json(capsys, folder, db)["r.json"]["result"] == "imported"
    [row] = export(capsys, db)
    assert row["status"] == "overdue"
    assert "the text an earlier release of Device Audit shipped" in row["trust_note"]
    assert f"checked on {shipped.isoformat()}" in row["trust_note"]


def test_attest_under_an_older_text_than_the_history_has_in_force_is_refused(
    tmp_path: Path, signer: Signer
) -> None:
    db = tmp_path / "h.sqlite3"
    v1, v2 = org_x(tmp_path, 1), org_x(tmp_path, 2)
    with Store(db) as store:
        store.accept_policy(v1, by="Helpdesk")
        store.accept_policy(v2, by="Helpdesk")
    day = date.today()
    for path, refused in ((v1, True), (v2, False)):
        policy = load_policy_file(path)
        _before, after, _ = f.audit_inputs(f.phone("B1"), PAT, f.Outcome.CLEAN, day=day)
        audit = DeviceAudit(saved_scan(after.scan), policy, day=day, history=db)
        judged = audit.judge_saved(after.scan)
        out = tmp_path / f"{path.stem}.json"
        attester = Attester(name=PAT.name, staff_id=PAT.staff_id)
        if refused:
            with pytest.raises(AttestationRefused) as error:
                audit.sign(audit.proof(judged), attester, STATEMENT, out, signer=signer, pdf=False)
            assert "version 1 of policy org-x" in error.value.message
            assert "version 2" in error.value.message
            assert "current version" in error.value.next_step
            assert not out.exists()
        else:
            receipt = audit.sign(
                audit.proof(judged), attester, STATEMENT, out, signer=signer, pdf=False
            )
            assert receipt.path.is_file()
        audit.close()


# --- 2. a phone reached from a program on this computer, or over the network ------------------


def _bench_then(
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    second: Connection | None,
    *,
    first: f.Outcome = f.Outcome.VIOLATION,
) -> dict[str, str]:
    """repro_loopback_supersedes_witnessed.sh: a technician's witnessed cabled audit of PS-7's
    phone, then PS-7's own receipt of "the same phone" reached by `second`, compliant."""
    db = tmp_path / "h.sqlite3"
    bench, own = Signer.generate(), Signer.generate()
    code, out, _ = run(
        capsys, "technician", "enrol", "Alice Smith", bench.fingerprint, "--by", "Boss", "--db",
        str(db),
    )  # fmt: skip
    assert code == 0, out
    start = now() - timedelta(minutes=20)
    device = cabled("R58M999XYZ")
    envelope = signed_at(bench, device, PAT, start, outcome=first, technician="Alice Smith")
    drop(tmp_path / "bench", "bench.json", envelope)
    assert import_json(capsys, tmp_path / "bench", db)["bench.json"]["result"] == "imported"
    [row] = export(capsys, db)
    assert row["assurance"] == "witnessed"
    clone = cabled("R58M999XYZ", second)
    drop(tmp_path / "staff", "staff.json", signed_at(own, clone, PAT, now()))
    outcome = import_json(capsys, tmp_path / "staff", db)["staff.json"]
    assert outcome["result"] == "imported"
    [latest] = export(capsys, db)
    with Store(db) as store:
        board = store.dashboard(POLICY.id, date.today())
        latest["dashboard_compliant"] = str(board.counts.compliant)
    return latest


@pytest.mark.parametrize("connection", [LOOPBACK, EMULATOR], ids=["loopback", "emulator"])
def test_a_simulators_receipt_does_not_replace_a_witnessed_cabled_audit(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, connection: Connection
) -> None:
    row = _bench_then(capsys, tmp_path, connection)
    assert row["status"] == "overdue"
    assert row["dashboard_compliant"] == "0"
    assert row["trust_note"].startswith(LOOPBACK_NOTE) or f"; {LOOPBACK_NOTE}" in row["trust_note"]
    assert "check the phone again on a cable" in row["trust_note"]


# An earlier Device Audit read only 127.0.0.1 and localhost as loopback and signed these as
# "network": the address alone shows they reached the signer's own computer.
SPELT = [
    Connection(ConnectionKind.NETWORK, address=address)
    for address in ("127.1:5555", "[::1]:5555", "0.0.0.0:5555", "2130706433:5555", "0:5555")
]


@pytest.mark.parametrize(
    "connection",
    [LOOPBACK, *SPELT],
    ids=["loopback", *(c.address for c in SPELT)],
)
def test_a_simulators_receipt_is_held_even_with_nothing_before_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer, connection: Connection
) -> None:
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "r.json", signed_at(signer, cabled("L1", connection), PAT, now()))
    outcome = import_json(capsys, folder, db)["r.json"]
    assert outcome["result"] == "imported" and LOOPBACK_NOTE in outcome["reason"]  # said at once
    [row] = export(capsys, db)
    assert row["status"] == "overdue" and LOOPBACK_NOTE in row["trust_note"]
    _code, out, _ = run(capsys, "verify", str(folder / "r.json"), "--db", str(db), "--json")
    assert LOOPBACK_NOTE in (json.loads(out)[0]["assurance_note"] or "")


@pytest.mark.parametrize("connection", [NETWORK, None], ids=["network", "not-recorded"])
def test_a_network_receipt_does_not_replace_a_witnessed_audit_that_found_the_app(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, connection: Connection | None
) -> None:
    row = _bench_then(capsys, tmp_path, connection)
    assert row["status"] == "overdue"
    assert row["dashboard_compliant"] == "0"
    assert NETWORK_NOTE in row["trust_note"] and "found it overdue" in row["trust_note"]


def test_a_network_receipt_after_a_clean_cabled_audit_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    row = _bench_then(capsys, tmp_path, NETWORK, first=f.Outcome.CLEAN)
    assert row["status"] == "compliant" and row["dashboard_compliant"] == "1"
    assert NETWORK_NOTE not in row["trust_note"]


def test_a_network_receipt_with_no_cabled_audit_before_it_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "r.json", signed_at(signer, cabled("N1", NETWORK), PAT, now()))
    import_json(capsys, folder, db)
    [row] = export(capsys, db)
    assert row["status"] == "compliant" and row["trust_note"] == ""


def test_a_cabled_receipt_after_a_network_one_is_the_latest_as_before(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(
        folder, "a.json", signed_at(signer, cabled("N2", NETWORK), PAT, now() - timedelta(hours=1))
    )
    drop(folder, "b.json", signed_at(signer, cabled("N2", USB), PAT, now()))
    import_json(capsys, folder, db)
    [row] = export(capsys, db)
    assert row["status"] == "compliant" and row["connection"] == "usb"


# --- 3. what else a receipt only claims ----------------------------------------------------


def test_a_rescan_finished_days_before_the_signing_is_held(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    """repro_receipt_claims.sh: the check a receipt rests on was made long before it."""
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    signed = now()
    envelope = signed_at(signer, cabled("S1"), PAT, signed, rescan_before=timedelta(days=3))
    drop(folder, "r.json", envelope)
    assert import_json(capsys, folder, db)["r.json"]["result"] == "imported"
    [row] = export(capsys, db)
    made = (signed - timedelta(days=3)).date().isoformat()
    assert row["status"] == "overdue"
    assert f"{RESCAN_NOTE} {made}, 3 days before it was signed" in row["trust_note"]


def test_a_rescan_a_few_hours_before_the_signing_counts(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    envelope = signed_at(signer, cabled("S2"), PAT, now(), rescan_before=timedelta(hours=20))
    drop(folder, "r.json", envelope)
    import_json(capsys, folder, db)
    [row] = export(capsys, db)
    assert row["status"] == "compliant" and RESCAN_NOTE not in row["trust_note"]


def resigned(envelope: Envelope, signer: Signer, **tool: str) -> Envelope:
    """The receipt with its tool changed and signed again by the same key."""
    statement = json.loads(envelope.payload)
    statement["predicate"]["tool"].update(tool)
    payload = json.dumps(statement, sort_keys=True, separators=(",", ":")).encode()
    return dsse.sign(payload, signer)


@pytest.mark.parametrize("name", ["not-device-audit", "", "Device-Audit"])
def test_a_receipt_of_another_tool_is_refused_on_import_and_by_verify(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer, name: str
) -> None:
    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    genuine = signed_at(signer, cabled("T1"), PAT, now())
    drop(folder, "r.json", resigned(genuine, signer, name=name))
    outcome = import_json(capsys, folder, db)["r.json"]
    assert outcome["result"] == "refused"
    assert "not by device-audit" in outcome["reason"]
    _code, out, _ = run(capsys, "verify", str(folder / "r.json"), "--json")
    [verified] = json.loads(out)
    assert verified["valid"] is False and "not by device-audit" in verified["reason"]


def test_the_holds_stay_put_when_the_history_is_judged_again(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, signer: Signer
) -> None:
    """One place decides held statuses: judging the audits again changes nothing, and the
    note is not doubled."""
    from audit.store.holds import rejudge

    folder, db = tmp_path / "in", tmp_path / "h.sqlite3"
    drop(folder, "r.json", signed_at(signer, cabled("J1", LOOPBACK), PAT, now()))
    import_json(capsys, folder, db)
    [before] = export(capsys, db)
    with Store(db) as store, store._write() as conn:
        assert rejudge(conn) == 0
    [after] = export(capsys, db)
    assert after == before and after["trust_note"].count(LOOPBACK_NOTE) == 1


KEYS = st.sampled_from(["predicate", "tool", "name", "x"])


@settings(max_examples=300, deadline=None)
@given(
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.just("device-audit") | st.text(max_size=30),
        lambda inner: st.lists(inner, max_size=3) | st.dictionaries(KEYS, inner, max_size=3),
        max_leaves=12,
    )
)
def test_the_tool_check_reads_any_statement_without_a_traceback(statement: object) -> None:
    data = statement if isinstance(statement, dict) else {"predicate": {"tool": statement}}
    problem = tool_problem(data)
    predicate = data.get("predicate")
    tool = predicate.get("tool") if isinstance(predicate, dict) else None
    genuine = isinstance(tool, dict) and tool.get("name") == "device-audit"
    assert (problem == "") == genuine
    assert len(problem) < 400  # a huge name is cut, not pasted into the report
