"""The network rule across a policy and the one that replaces it (audit.store.succession), on
both backends: a check on a cable under nz-parliament-2023 (superseded_by nz-parliament-2025)
that found TikTok holds a receipt from a phone reached over the network under either id, as a
check under the receipt's own id would; a check that found only an app the receipt's policy
does not ban holds nothing, and neither does one a later cabled check under the receipt's own
policy answered.

How a staff member tries it: the bench found TikTok on the cable; they switch to the policy
that replaced the one the bench used, and hand in a receipt made on a "phone" reached over the
network (their own simulator) under it.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, write_receipt
from audit.model import (
    AppState,
    Connection,
    ConnectionKind,
    IdentifierKind,
    InstalledApp,
    Policy,
    ScanResult,
)
from audit.policy import evaluate, load_policy, load_policy_file
from audit.store import ImportResult, Store
from audit.store.evidence import NETWORK_NOTE
from audit.store.succession import SeenApp, Succession
from audit.store.trust import KnownPolicies
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import phone_sources

CABLE = Connection(ConnectionKind.USB, usb_path="1-1.2", model="Pixel_7")
WIFI = Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555", model="Pixel_7")
OLD, NEW = "nz-parliament-2023", "nz-parliament-2025"  # OLD says superseded_by = NEW
UNRELATED = "uk-government-2023"  # bans TikTok too, replaces nothing here
SERIAL = "R58MFAMILY1"
DEEPSEEK = InstalledApp(
    identifier="com.deepseek.chat",
    kind=IdentifierKind.ANDROID_PACKAGE,
    name="DeepSeek",
    user="0",
)


def _bench(store: Store, policy: str | Policy, hours_ago: int, *apps: InstalledApp) -> None:
    """A check of the phone on a cable at the bench under `policy` (a preset's id, or a
    policy), judged by the policy itself, `hours_ago` hours ago (before any receipt the test
    imports)."""
    at = datetime.now(UTC) - timedelta(hours=hours_ago)
    scan = ScanResult(
        device=replace(f.phone(SERIAL), connection=CABLE),
        started_at=at,
        finished_at=at + timedelta(seconds=20),
        apps=apps,
        users=f.USERS,
        sources=phone_sources(),
    )
    judged = evaluate(scan, _policy(policy), day=at.date())
    store.record_audit([judged], person_name=f.AROHA.name, staff_id=f.AROHA.staff_id)


def _policy(policy: str | Policy) -> Policy:
    return load_policy(policy) if isinstance(policy, str) else policy


def _network_receipt(store: Store, tmp_path: Path, policy: str | Policy) -> tuple[str, str]:
    """(status in the export, trust note) of a clean receipt under `policy` from a phone
    reached over the network, imported now."""
    policy = _policy(policy)
    folder = tmp_path / f"in-{policy.id}"
    folder.mkdir()
    envelope = f.receipt(
        Signer.generate(),
        replace(f.phone(SERIAL), connection=WIFI),
        f.AROHA,
        f.Outcome.CLEAN,
        day=datetime.now(UTC).date(),
        policy=policy,
    )
    write_receipt(envelope, folder / "aroha.json")
    [outcome] = store.import_folder(folder).outcomes
    assert outcome.result is ImportResult.IMPORTED, outcome.reason
    [row] = [r for r in store.export_rows() if r.policy_id == policy.id]
    return row.status, row.trust_note


@pytest.mark.parametrize(("bench", "receipt"), [(OLD, NEW), (NEW, OLD)], ids=["newer", "older"])
def test_a_cabled_check_under_a_related_policy_that_found_tiktok_holds_the_receipt(
    store: Store, tmp_path: Path, bench: str, receipt: str
) -> None:
    _bench(store, bench, 2, f.tiktok())
    status, note = _network_receipt(store, tmp_path, receipt)
    assert status == "overdue"  # both deadlines passed long ago
    assert note.startswith(NETWORK_NOTE) and f"under policy {bench}" in note, note
    assert "check the phone again on a cable" in note


def test_the_import_report_says_why_it_is_held(store: Store, tmp_path: Path) -> None:
    _bench(store, OLD, 2, f.tiktok())
    folder = tmp_path / "in"
    folder.mkdir()
    envelope = f.receipt(
        Signer.generate(),
        replace(f.phone(SERIAL), connection=WIFI),
        f.AROHA,
        f.Outcome.CLEAN,
        day=datetime.now(UTC).date(),
        policy=load_policy(NEW),
    )
    write_receipt(envelope, folder / "aroha.json")
    [outcome] = store.import_folder(folder).outcomes
    assert f"{NETWORK_NOTE} on " in outcome.reason and f"under policy {OLD}" in outcome.reason


def test_an_app_only_the_other_policy_bans_holds_nothing(store: Store, tmp_path: Path) -> None:
    """The bench's check under the 2025 policy found DeepSeek, which the 2023 policy does not
    ban: it says nothing of what a 2023 receipt attests."""
    _bench(store, NEW, 2, DEEPSEEK)
    status, note = _network_receipt(store, tmp_path, OLD)
    assert (status, note) == ("compliant", "")


def test_the_same_check_holds_a_receipt_under_its_own_policy(store: Store, tmp_path: Path) -> None:
    """The control of the test above: the check that found DeepSeek is not ignored."""
    _bench(store, NEW, 2, DEEPSEEK)
    status, note = _network_receipt(store, tmp_path, NEW)
    assert status == "overdue" and note.startswith(NETWORK_NOTE), note


def test_a_later_clean_cabled_check_under_the_receipts_policy_answers_it(
    store: Store, tmp_path: Path
) -> None:
    _bench(store, OLD, 3, f.tiktok())
    _bench(store, NEW, 2)  # the bench checked again under the new policy: nothing there
    assert _network_receipt(store, tmp_path, NEW) == ("compliant", "")


def test_a_later_clean_cabled_check_under_the_old_policy_answers_it(
    store: Store, tmp_path: Path
) -> None:
    _bench(store, OLD, 3, f.tiktok())
    _bench(store, OLD, 2)  # TikTok removed at the bench, checked on the cable
    assert _network_receipt(store, tmp_path, NEW) == ("compliant", "")


def test_a_clean_check_under_its_own_policy_does_not_hide_a_later_finding_under_the_old(
    store: Store, tmp_path: Path
) -> None:
    """The order is the history's: the 2025 check was clean, then a 2023 check on the cable
    found TikTok again; the network receipt under 2025 cannot replace the later finding."""
    _bench(store, NEW, 3)
    _bench(store, OLD, 2, f.tiktok())
    status, note = _network_receipt(store, tmp_path, NEW)
    assert status == "overdue" and f"under policy {OLD}" in note, note


def test_a_policy_outside_the_chain_is_not_taken_as_its_successor(
    store: Store, tmp_path: Path
) -> None:
    """What the rule covers: policies linked by superseded_by, as the history's texts say.
    A check under another organisation's policy is not taken as one of this policy's."""
    assert not load_policy(UNRELATED).superseded_by
    _bench(store, UNRELATED, 2, f.tiktok())
    assert _network_receipt(store, tmp_path, NEW) == ("compliant", "")


def test_a_receipt_on_a_cable_is_not_held_by_an_earlier_check_under_the_old_policy(
    store: Store, tmp_path: Path
) -> None:
    """The rule is about phones reached over the network; a cabled receipt replaces the
    bench's check as before."""
    _bench(store, OLD, 2, f.tiktok())
    folder = tmp_path / "in"
    folder.mkdir()
    envelope = f.receipt(
        Signer.generate(),
        replace(f.phone(SERIAL), connection=CABLE),
        f.AROHA,
        f.Outcome.CLEAN,
        day=datetime.now(UTC).date(),
        policy=load_policy(NEW),
    )
    write_receipt(envelope, folder / "aroha.json")
    store.import_folder(folder)
    [row] = [r for r in store.export_rows() if r.policy_id == NEW]
    assert (row.status, row.trust_note) == ("compliant", "")


# --- policies this helpdesk accepted ---------------------------------------------------------

_ACME = """id = "{id}"
title = "Acme: banned apps on phones that read company mail"
authority = "Acme Ltd, Chief Information Security Officer"
deadline = 2099-12-31
{superseded}compliant_states = ["absent", "removed_for_user"]

[[rule]]
id = "tiktok"
title = "The TikTok app"
identifiers = [{{ kind = "android_pkg", value = "com.zhiliaoapp.musically", app = "TikTok" }}]
"""


def _accepted_pair(store: Store, folder: Path) -> tuple[Policy, Policy]:
    """acme-2025 (superseded by acme-2026) and acme-2026, both banning TikTok, accepted."""
    folder.mkdir()
    old, new = folder / "acme-2025.toml", folder / "acme-2026.toml"
    old.write_text(
        _ACME.format(
            id="acme-2025", superseded='status = "superseded"\nsuperseded_by = "acme-2026"\n'
        ),
        "utf-8",
    )
    new.write_text(_ACME.format(id="acme-2026", superseded=""), "utf-8")
    for path in (old, new):
        store.accept_policy(path, by="Helpdesk lead")
    return load_policy_file(old), load_policy_file(new)


def test_a_chain_among_accepted_policies_holds_the_same_way(store: Store, tmp_path: Path) -> None:
    old, new = _accepted_pair(store, tmp_path / "policies")
    _bench(store, old, 2, f.tiktok())
    status, note = _network_receipt(store, tmp_path, new)
    assert status != "compliant" and "under policy acme-2025" in note, note


def test_a_clean_bench_check_under_the_accepted_old_policy_holds_nothing(
    store: Store, tmp_path: Path
) -> None:
    old, new = _accepted_pair(store, tmp_path / "policies")
    _bench(store, old, 2)
    assert _network_receipt(store, tmp_path, new) == ("compliant", "")


def test_the_presets_chain_is_read_from_the_shipped_texts(db_path: Path) -> None:
    with Store(db_path) as opened:
        succession = Succession.load(opened._db, KnownPolicies.load(opened._db))
    assert succession.related(OLD, NEW) and succession.related(NEW, OLD)
    assert succession.related("australia-2023", "australia-deepseek-2025")  # one successor
    assert not succession.related(NEW, UNRELATED)
    tiktok = SeenApp("com.zhiliaoapp.musically", "android_pkg", "TikTok", "installed")
    removed = SeenApp("com.zhiliaoapp.musically", "android_pkg", "TikTok", "removed_for_user")
    deepseek = SeenApp("com.deepseek.chat", "android_pkg", "DeepSeek", "installed")
    assert succession.bans_any(OLD, [tiktok]) and succession.bans_any(NEW, [deepseek])
    assert not succession.bans_any(OLD, [deepseek])
    assert not succession.bans_any(NEW, [removed])  # a state the policy accepts
    assert not succession.bans_any(NEW, [])


@settings(max_examples=60, deadline=None)
@given(
    identifier=st.text(max_size=40),
    id_kind=st.one_of(st.sampled_from([k.value for k in IdentifierKind]), st.text(max_size=12)),
    name=st.text(max_size=20),
    state=st.one_of(st.none(), st.text(max_size=20), st.sampled_from(["installed", "hidden"])),
)
def test_a_finding_read_back_from_any_history_never_stops_the_rule(
    identifier: str, id_kind: str, name: str, state: str | None
) -> None:
    """What a history changed outside the app may hold in findings: never a traceback, and a
    finding that cannot be read back counts as banned (a hold, never a silent pass)."""
    succession = Succession({NEW: load_policy(NEW)})
    seen = SeenApp(identifier, id_kind, name, state)
    answer = succession.bans_any(NEW, [seen])
    readable = id_kind in {k.value for k in IdentifierKind} and (
        not state or state in {s.value for s in AppState}
    )
    if not readable:
        assert answer
