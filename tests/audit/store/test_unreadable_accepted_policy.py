"""A policy text accepted before this release checked identifiers (audit.policy.grammar) never
counts an audit as compliant once it no longer loads, and `verify --db` shows the holds that
need a policy's rules (this one, and the rule-date hold of audit.store.rule_dates).

How it happens: an older Device Audit accepted the organisation's file with one Cyrillic "а" in
TikTok's package name. The rule matches nothing, so every phone with TikTok was judged compliant
under it, signed and imported. This release refuses to read that text (the grammar check), but
the history still knows its digest: without the hold, it keeps counting those receipts
compliant, on import and after opening (v12 judges every audit again). The accepted row is
written here directly, as the older release wrote it, since this release refuses to accept it.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import replace
from datetime import UTC, date, datetime
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.cli import main
from audit.errors import AuditError
from audit.model import DeviceStatus, Policy
from audit.policy import loads_policy
from audit.store import HistoryFilter, ImportResult, Store
from audit.store.evidence import UNREADABLE_TEXT_NOTE
from audit.store.rule_dates import EARLY_RULE_NOTE
from tests.audit.store import factory as f
from tests.audit.store.cli_target import cli_db
from tests.audit.store.test_rule_dates import DAY_BEFORE, DEEPSEEK, judged, signed

POLICY_ID = "acme-2026"
TIKTOK = "com.zhiliaoapp.musically"
_TEXT = """id = "acme-2026"
title = "Acme: no TikTok"
authority = "Acme Ltd"
deadline = 2099-12-31

[[rule]]
id = "tiktok"
title = "The TikTok app"
identifiers = [ {{ kind = "android_pkg", value = "{value}" }} ]
"""
GOOD = _TEXT.format(value=TIKTOK).encode()
BAD = _TEXT.format(value=TIKTOK.replace("a", "\u0430", 1)).encode()  # one Cyrillic "а"
DAY = date(2026, 11, 2)
# The text that no longer loads is logged as an error where it is read (its traceback says why).
UNREADABLE_LOGGED = pytest.mark.allow_warning_logs
NEXT_STEP = (
    "accept a corrected policy file (device-audit policy accept FILE), then check the device again"
)


def accepted_before_the_check(store: Store, content: bytes = BAD) -> Policy:
    """Write the accepted row as an older Device Audit did; the Policy its receipts name (the
    good text's rules under the accepted text's digest: what a signer's app judged with)."""
    with pytest.raises(AuditError):
        loads_policy(content.decode(), "acme.toml")  # this release refuses the text
    digest = hashlib.sha256(content).hexdigest()
    store._db.execute(
        "INSERT INTO accepted_policies (sha256, policy_id, version, title, deadline, announced,"
        " content, file_name, accepted_by, accepted_at, issuer_key)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            digest,
            POLICY_ID,
            "1",
            "Acme: no TikTok",
            "2099-12-31",
            None,
            content,
            "acme.toml",
            "Helpdesk lead",
            datetime(2026, 10, 1, tzinfo=UTC).isoformat(),
            "",
        ),
    )
    return replace(loads_policy(GOOD.decode(), "acme.toml"), sha256=digest)


def receipt_file(folder: Path, signer: Signer, policy: Policy) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    envelope = f.receipt(signer, f.phone("R5CT1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=policy)
    path = folder / "aroha.json"
    write_receipt(envelope, path)
    return path


def assert_held(store: Store) -> None:
    """Held alike in the history, the export and the dashboard, with the next step."""
    [summary] = store.history(HistoryFilter())
    assert summary.status is DeviceStatus.NON_COMPLIANT, summary
    assert UNREADABLE_TEXT_NOTE in summary.trust_note and NEXT_STEP in summary.trust_note
    assert summary.trust_note.count(UNREADABLE_TEXT_NOTE) == 1
    [row] = store.export_rows(today=DAY)
    assert row.recorded_status == "non_compliant" and row.trust_note == summary.trust_note
    counts = store.dashboard(POLICY_ID, today=DAY).counts
    assert (counts.compliant, counts.excepted) == (0, 0), counts


@UNREADABLE_LOGGED
def test_a_receipt_under_an_accepted_text_that_no_longer_loads_is_held_on_import(
    store: Store, signer: Signer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    target = cli_db(store, request)
    receipt_file(tmp_path / "in", signer, accepted_before_the_check(store))
    report = store.import_folder(tmp_path / "in")
    [outcome] = report.outcomes
    assert outcome.result is ImportResult.IMPORTED, outcome.reason
    assert UNREADABLE_TEXT_NOTE in outcome.reason and NEXT_STEP in outcome.reason
    assert_held(store)
    store.close()
    with Store(target) as again:  # opened again: still held, not released
        assert_held(again)


def test_the_control_an_accepted_text_that_loads_counts_compliant(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    """The same receipt under the correctly typed text counts: the hold is the text, not the
    way the row was written."""
    digest = hashlib.sha256(GOOD).hexdigest()
    store._db.execute(
        "INSERT INTO accepted_policies (sha256, policy_id, version, title, deadline, announced,"
        " content, file_name, accepted_by, accepted_at, issuer_key)"
        " VALUES (?, ?, '1', 'Acme: no TikTok', '2099-12-31', NULL, ?, 'acme.toml', 'Lead',"
        " '2026-10-01T00:00:00+00:00', '')",
        (digest, POLICY_ID, GOOD),
    )
    policy = replace(loads_policy(GOOD.decode(), "acme.toml"), sha256=digest)
    receipt_file(tmp_path / "in", signer, policy)
    store.import_folder(tmp_path / "in")
    [summary] = store.history(HistoryFilter())
    assert summary.status is DeviceStatus.COMPLIANT, summary.trust_note
    assert UNREADABLE_TEXT_NOTE not in summary.trust_note


@UNREADABLE_LOGGED
def test_a_history_that_counted_it_holds_it_once_opened(
    store: Store, signer: Signer, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    """v12: as an older release stored it (compliant, no note), opening judges it again."""
    from audit.store.db import transaction
    from audit.store.schema import recount

    target = cli_db(store, request)
    receipt_file(tmp_path / "in", signer, accepted_before_the_check(store))
    store.import_folder(tmp_path / "in")
    with transaction(store._db) as conn:
        conn.execute("UPDATE audits SET status = 'compliant', trust_note = ''")
        recount(conn)
    assert store.dashboard(POLICY_ID, today=DAY).counts.compliant == 1
    if target.startswith("postgresql://"):
        store._db.execute("UPDATE da_meta SET user_version = 11")
    else:
        store._db.execute("PRAGMA user_version = 11")
    store.close()
    with Store(target) as again:
        assert_held(again)


def _verify(
    path: Path, target: str, capsys: pytest.CaptureFixture[str]
) -> tuple[int, dict[str, object]]:
    capsys.readouterr()
    code = main(["verify", str(path), "--db", target, "--json"])
    [result] = json.loads(capsys.readouterr().out)
    return code, result


@UNREADABLE_LOGGED
def test_verify_with_the_history_shows_the_unreadable_text_hold(
    store: Store,
    signer: Signer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    target = cli_db(store, request)
    path = receipt_file(tmp_path / "in", signer, accepted_before_the_check(store))
    store.close()
    _code, result = _verify(path, target, capsys)
    assert UNREADABLE_TEXT_NOTE in str(result["assurance_note"]), result


def test_verify_with_the_history_shows_the_rule_date_hold(
    store: Store,
    signer: Signer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """A receipt judged the day before DeepSeek's rule began, listing DeepSeek: the history
    holds it (test_rule_dates); `verify --db` says so too, in the plain listing as well."""
    target = cli_db(store, request)
    path = tmp_path / "deepseek.json"
    write_receipt(signed(judged(DAY_BEFORE, (DEEPSEEK,)), signer), path)
    store.close()
    _code, result = _verify(path, target, capsys)
    note = str(result["assurance_note"])
    assert note.count(EARLY_RULE_NOTE) == 1 and "DeepSeek (banned from 2025-02-20)" in note
    main(["verify", str(path), "--db", target])
    assert EARLY_RULE_NOTE in capsys.readouterr().out


def test_verify_holds_nothing_for_a_receipt_after_the_rule_began(
    store: Store,
    signer: Signer,
    tmp_path: Path,
    request: pytest.FixtureRequest,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The control: the same phone judged without DeepSeek carries no rule-date hold."""
    target = cli_db(store, request)
    path = tmp_path / "clean.json"
    write_receipt(signed(judged(DAY_BEFORE, ()), signer), path)
    store.close()
    _code, result = _verify(path, target, capsys)
    assert EARLY_RULE_NOTE not in str(result["assurance_note"] or "")


@UNREADABLE_LOGGED
def test_a_check_recorded_at_a_bench_under_that_text_is_held_too(
    store: Store, request: pytest.FixtureRequest
) -> None:
    """An older release's bench checked phones under the text too: opening holds those."""
    target = cli_db(store, request)
    policy = accepted_before_the_check(store)
    before, after, actions = f.audit_inputs(
        f.phone("R5CT1"), f.AROHA, f.Outcome.CLEAN, day=DAY, policy=policy
    )
    store.record_audit([before, after], actions)
    assert_held(store)
    store.close()
    with Store(target) as again:
        assert_held(again)
