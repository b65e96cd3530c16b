"""One rule for every audit in a history: "compliant with exceptions" counts only with the
exemptions that history accepted (docs/security.md, "Exemptions"). An audit signed on this
computer (a helpdesk bench, a staff member's own laptop) with an exemptions file nobody accepted
is held as an imported receipt is, the person is told what to do, and the plain-text history
says why, as the JSON does. Real phones simulated through the real adb server, real keys in a
memory keyring backend, real history files."""

from __future__ import annotations

import copy
import json
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest

from audit.attestation import Signer
from audit.cli import main
from audit.model import DeviceStatus
from audit.store import Store
from audit.store.evidence import LOOPBACK_NOTE
from audit.store.holds import EXEMPTION_NOTE
from audit.workflow.history import exemption_notice
from tests.audit.store import factory as f
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim.profiles import PROFILES_DIR

NZ = "nz-parliament-2023"
TIKTOK = "com.zhiliaoapp.musically"
KIM = f.Person("Kim Exempt", "PS-5100")


def tiktok_only_phone() -> dict[str, Any]:
    data: dict[str, Any] = json.loads((PROFILES_DIR / "pixel-tiktok-lite.json").read_text())
    data = copy.deepcopy(data)
    banned = ("musically", "trill", "capcut", "lemon", "lvoverseas", "aweme")
    data["packages"] = [p for p in data["packages"] if not any(b in p["package"] for b in banned)]
    data["packages"].append(
        {
            "package": TIKTOK,
            "label": "TikTok",
            "installer": "com.android.vending",
            "users": {"0": "installed"},
        }
    )
    return data


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def history_json(capsys: pytest.CaptureFixture[str], db: Path) -> list[dict[str, Any]]:
    code, out, _ = run(capsys, "history", "--db", str(db), "--json")
    assert code == 0
    found: list[dict[str, Any]] = json.loads(out)
    return found


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
def test_an_audit_signed_here_with_an_exemption_nobody_accepted_is_held_and_says_what_to_do(
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    phone = sim_phone(tiktok_only_phone())
    db, out = tmp_path / "bench.sqlite3", tmp_path / "out" / "kim.json"
    out.parent.mkdir()
    granted = f.exemption(KIM, date.today() + timedelta(days=40))  # in force today
    exemptions = f.exemptions_file(tmp_path / "kim-exemption.toml", granted)
    code, said, err = run(
        capsys,
        "attest",
        "--device",
        phone.address,
        "--adb-port",
        str(adb_server.port),
        "--policy",
        NZ,
        "--exemptions",
        str(exemptions),
        "--db",
        str(db),
        "--name",
        KIM.name,
        "--staff-id",
        KIM.staff_id,
        "--accept-statement",
        "--out",
        str(out),
    )
    assert out.exists(), said + err
    # The receipt says what was signed; the history counts it only once the exemption is
    # accepted here, and the person is told plainly what to do, with the file's own path.
    assert "Ask your helpdesk to accept this exemption file" in err
    assert f"device-audit exemption accept {exemptions} --by NAME" in err
    [row] = history_json(capsys, db)
    assert row["recorded_status"] == DeviceStatus.NON_COMPLIANT.value
    assert EXEMPTION_NOTE in row["trust_note"] and "EX-PS-5100" in row["trust_note"]
    code, text, _ = run(capsys, "history", "--db", str(db))
    assert code == 0 and EXEMPTION_NOTE in text and "ask your helpdesk" in text
    with Store(db) as store:
        board = store.dashboard(NZ, date.today())
        counts = board.counts  # past the preset's 2023 deadline: not compliant is overdue
        assert (counts.excepted, counts.non_compliant + counts.overdue) == (0, 1)

    # `exemption list` says what the held device waits for, and the next step.
    code, listed, _ = run(capsys, "exemption", "list", "--db", str(db))
    assert "Waiting for your decision" in listed
    assert "EX-PS-5100 for PS-5100 (approver Clerk of the House" in listed
    assert "1 device held until it is accepted" in listed

    # The helpdesk (or the person, in their own history) accepts the file: it counts now.
    code, said, _ = run(
        capsys, "exemption", "accept", str(exemptions), "--by", "Lead", "--db", str(db)
    )
    assert code == 0 and "Accepted: exemption EX-PS-5100" in said
    [row] = history_json(capsys, db)
    # The exemption's hold is released, no part of it left behind. The phone itself (the
    # simulator, reached by `adb connect 127.0.0.1:PORT`) stays held as every phone reached
    # from a program on this computer is (audit.store.evidence); counted once that goes:
    assert "helpdesk" not in (row["trust_note"] or "")
    assert row["trust_note"].startswith(LOOPBACK_NOTE), row["trust_note"]
    assert row["recorded_status"] == DeviceStatus.NON_COMPLIANT.value
    code, text, _ = run(capsys, "history", "--db", str(db))
    assert EXEMPTION_NOTE not in text
    code, listed, _ = run(capsys, "exemption", "list", "--db", str(db))
    assert "Waiting for your decision" not in listed

    # Revoked, it is held again.
    code, said, _ = run(
        capsys, "exemption", "revoke", "EX-PS-5100", "--by", "Lead", "--db", str(db)
    )
    assert code == 0
    [row] = history_json(capsys, db)
    assert row["recorded_status"] == DeviceStatus.NON_COMPLIANT.value
    assert EXEMPTION_NOTE in row["trust_note"]


def test_a_local_audit_is_held_by_the_same_rule_as_an_import(tmp_path: Path) -> None:
    """Recorded through the Store as the window's recorder does (scan, then the receipt file):
    held while the exemption is not accepted, released when it is, and the workflow's notice
    (what the window shows) says what to do."""
    day = date.today()
    phone = f.phone("LOCAL1")
    before, after, actions = f.audit_inputs(phone, KIM, f.Outcome.EXCEPTED, day=day)
    key = Signer.generate()
    envelope = f.receipt(key, phone, KIM, f.Outcome.EXCEPTED, day=day)
    db = tmp_path / "own.sqlite3"
    with Store(db) as store:
        audit_id = store.record_audit([before, after], actions, staff_id=KIM.staff_id)
        unsigned = store.audit(audit_id)
        assert unsigned.status is DeviceStatus.NON_COMPLIANT  # held before any receipt
        assert EXEMPTION_NOTE in unsigned.trust_note
        store.record_receipt(audit_id, envelope)
        signed = store.audit(audit_id)
        assert signed.status is DeviceStatus.NON_COMPLIANT
        assert EXEMPTION_NOTE in signed.trust_note
        notice = exemption_notice(store, audit_id, "kim.toml")
        assert notice is not None and notice.warning
        assert "device-audit exemption accept kim.toml --by NAME" in notice.next_step
        [granted] = after.exemptions
        store.accept_exemptions(f.exemptions_file(tmp_path / "kim.toml", granted), by="Kim")
        released = store.audit(audit_id)
        assert released.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
        assert EXEMPTION_NOTE not in released.trust_note
        assert exemption_notice(store, audit_id) is None
        # A later scan of the same audit is held or released by the same rule.
        store.revoke_exemption(granted.id, by="Kim")
        store.record_assessment(audit_id, after)
        assert store.audit(audit_id).status is DeviceStatus.NON_COMPLIANT


def test_a_person_scoped_exemption_on_an_unnamed_scan_is_held_until_the_person_is_named(
    tmp_path: Path,
) -> None:
    day = date.today()
    phone = f.phone("LOCAL2")
    _before, after, _ = f.audit_inputs(phone, KIM, f.Outcome.EXCEPTED, day=day)
    [granted] = after.exemptions
    with Store(tmp_path / "h.sqlite3") as store:
        store.accept_exemptions(f.exemptions_file(tmp_path / "kim.toml", granted), by="Lead")
        audit_id = store.record_audit([after])  # the bench scans before asking whose it is
        held = store.audit(audit_id)
        assert held.status is DeviceStatus.NON_COMPLIANT
        assert "not for an audit that names nobody" in held.trust_note
        store.set_person(audit_id, person_name=KIM.name, staff_id=KIM.staff_id)
        assert store.audit(audit_id).status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
        store.set_person(audit_id, person_name="Someone Else", staff_id="PS-9999")
        other = store.audit(audit_id)
        assert other.status is DeviceStatus.NON_COMPLIANT
        assert "accepted for PS-5100, not for PS-9999" in other.trust_note


def test_a_re_judgement_neither_releases_a_held_audit_nor_skips_the_hold(tmp_path: Path) -> None:
    """Re-judging (audit.store.rejudge) reads the audit as the history counts it: a held
    audit stays held under the new version, and once the exemption is accepted and a new
    version finds the device worse, the derived row says so without the old hold."""
    from audit.policy import evaluate
    from tests.audit.store import rejudging as r

    with Store(tmp_path / "h.sqlite3") as store:
        v1, second = r.accept_v1(store, tmp_path / "policies")
        granted = f.exemption(KIM, r.DAY + timedelta(days=30))
        scan = r.phone_scan(f.phone("RJ1"), r.DAY, (f.tiktok(), *r.everyday_apps(2)))
        kept = evaluate(scan, v1, (granted,), day=r.DAY, person=KIM.staff_id)
        assert kept.status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
        audit_id = store.record_audit([kept], person_name=KIM.name, staff_id=KIM.staff_id)
        assert store.audit(audit_id).status is DeviceStatus.NON_COMPLIANT  # held
        store.accept_policy(second, by="Lead")
        report, _ = store.rejudge(r.POLICY_ID, today=r.DAY + timedelta(days=1))
        (verdict,) = report.verdicts
        assert not verdict.changed  # nothing worse than the hold: no derived row
        [row] = store.history()
        assert row.id == audit_id and row.status is DeviceStatus.NON_COMPLIANT
        assert EXEMPTION_NOTE in row.trust_note
        f.accept_exemptions(store, granted)
        assert store.audit(audit_id).status is DeviceStatus.COMPLIANT_WITH_EXCEPTIONS
