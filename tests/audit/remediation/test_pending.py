"""The pending removal record: what `remove` keeps for `attest`, on disk and back."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.inventory import inventory_digest
from audit.model import ActionKind, ActionResult
from audit.remediation import pending
from audit.remediation.pending import PendingFileError, PendingRemoval
from tests.audit.attestation import builders as b

NOW = b.T0 + timedelta(hours=1)


def record(**changes: object) -> PendingRemoval:
    first = b.before().scan
    failed = ActionResult(
        kind=ActionKind.DISABLE,
        device=b.PHONE.id,
        identifier="com.zhiliaoapp.musically",
        user="10",
        ok=False,
        message="TikTok was not disabled for user 10: the phone answered PROTECTED_PACKAGE.",
        advice="Android protects this app.",
        code="PROTECTED_PACKAGE",
        output="Error: java.lang.IllegalArgumentException: Cannot disable a protected package\n",
        at=None,
    )
    made = PendingRemoval.start(
        first,
        b.POLICY,
        exemptions_file="/srv/exemptions 2023.toml",
        person="PS-1042",
        day=b.DAY,
        now=b.T0,
    ).with_actions((*b.actions(), failed), now=NOW)
    return replace(made, **changes)  # type: ignore[arg-type]


def test_a_record_round_trips_through_its_file(tmp_path: Path) -> None:
    saved = replace(record(), audit_id=17, history_file="/home/anna/history.sqlite3")
    path = pending.pending_path(b.PHONE.id, b.POLICY.id, tmp_path)
    pending.save(saved, path)
    loaded = pending.load(path)
    assert loaded == saved
    assert loaded is not None
    assert inventory_digest(loaded.first_scan) == inventory_digest(saved.first_scan)
    assert [a.output for a in loaded.actions][-1].startswith("Error: java.lang")
    assert loaded.actions[-1].at is None and loaded.actions[0].at == b.actions()[0].at


def test_a_second_removal_adds_its_actions_and_keeps_the_first_scan() -> None:
    first = record()
    later = first.with_actions(b.actions()[:1], now=NOW + timedelta(minutes=9))
    assert later.first_scan is first.first_scan
    assert later.actions == (*first.actions, b.actions()[0])
    assert later.created_at == first.created_at and later.updated_at > first.updated_at


def test_there_is_no_record_until_one_is_saved(tmp_path: Path) -> None:
    assert pending.load(pending.pending_path(b.PHONE.id, b.POLICY.id, tmp_path)) is None


def test_a_record_can_be_continued_within_its_age_and_policy() -> None:
    assert record().stale_reason(b.POLICY, now=b.T0 + pending.MAX_AGE) == ""


def test_an_old_record_is_not_continued() -> None:
    reason = record().stale_reason(b.POLICY, now=b.T0 + pending.MAX_AGE + timedelta(minutes=1))
    assert "begun 7 days ago (on 2023-03-28)" in reason


def test_a_record_made_under_another_version_of_the_policy_is_not_continued() -> None:
    changed = replace(b.POLICY, sha256="cd" * 32)
    assert "policy nz-parliament-2023 has changed" in record().stale_reason(changed, now=NOW)


def test_a_record_from_the_future_is_not_continued() -> None:
    reason = record().stale_reason(b.POLICY, now=b.T0 - timedelta(days=1))
    assert "in the future" in reason


def test_file_names_are_safe_and_tell_devices_and_policies_apart() -> None:
    names = {
        pending.file_name("android:127.0.0.1:5555", "nz-parliament-2023"),
        pending.file_name("android:127.0.0.1_5555", "nz-parliament-2023"),
        pending.file_name("android:127.0.0.1:5555", "us-federal-2023"),
    }
    assert len(names) == 3
    assert all(re.fullmatch(r"[A-Za-z0-9._-]+\.json", n) for n in names)
    assert pending.file_name("android:R58M123ABC", "nz-parliament-2023").startswith(
        "android_R58M123ABC--nz-parliament-2023--"
    )


@given(st.text(max_size=300), st.text(max_size=300))
def test_any_ids_give_one_plain_file_name(device: str, policy: str) -> None:
    name = pending.file_name(device, policy)
    assert re.fullmatch(r"[A-Za-z0-9_][A-Za-z0-9._-]*--[A-Za-z0-9._-]+--[0-9a-f]{12}\.json", name)
    assert len(name) < 160
    assert name != pending.file_name(device + "x", policy)


def _broken(tmp_path: Path, change: object) -> Path:
    data = pending.to_dict(record())
    assert callable(change)
    change(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda d: d.update(format="device-audit-inventory"), "key 'format'"),
        (lambda d: d.update(version=99), "version 99 is newer"),
        (lambda d: d.pop("created_at"), "key 'created_at' is not valid: this key is missing"),
        (lambda d: d.update(created_at="yesterday"), "'yesterday' is not an ISO 8601 time"),
        (
            lambda d: d.update(audit_id="17"),
            "key 'audit_id' is not valid: expected a number, found '17'",
        ),
        (lambda d: d["actions"][1].update(ok="yes"), "key 'actions[1].ok'"),
        (lambda d: d["actions"][0].update(kind="explode"), "'explode' is not an action"),
        (lambda d: d["judged"].update(day="31/03/2023"), "key 'judged.day'"),
        (lambda d: d["first_scan"]["apps"][0].update(state="gone"), "(at apps[0].state)"),
        (lambda d: d.update(device_id="android:OTHER"), "a scan of android:R58M123ABC"),
        (lambda d: d.update(actions={}), "key 'actions' is not valid: expected a list"),
    ],
)
def test_a_damaged_record_is_refused_naming_what_is_wrong(
    tmp_path: Path, change: object, words: str
) -> None:
    path = _broken(tmp_path, change)
    with pytest.raises(PendingFileError) as caught:
        pending.load(path)
    assert str(path) in caught.value.message
    assert words in caught.value.message


def test_a_record_that_is_not_json_or_not_text_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "x.json"
    path.write_bytes(b'{"format": "device-audit-pending-removal", ')
    with pytest.raises(PendingFileError, match="it is not JSON"):
        pending.load(path)
    path.write_bytes(b"\xff\xfe{}")
    with pytest.raises(PendingFileError, match="not UTF-8"):
        pending.load(path)


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
    max_leaves=20,
)


@settings(max_examples=60)
@given(st.data())
def test_any_edit_of_a_record_is_read_or_refused_in_words(data: st.DataObject) -> None:
    """A hand-edited or half-written record never crashes `attest` with a traceback."""
    doc = pending.to_dict(record())
    target = data.draw(st.sampled_from(["top", "policy", "judged", "action", "scan", "app"]))
    where = {
        "top": doc,
        "policy": doc["policy"],
        "judged": doc["judged"],
        "action": doc["actions"][0],
        "scan": doc["first_scan"],
        "app": doc["first_scan"]["apps"][0],
    }[target]
    key = data.draw(st.sampled_from(sorted(where)) | st.text(max_size=8))
    where[key] = data.draw(JSON)
    try:
        loaded = pending.loads_pending(json.dumps(doc))
    except PendingFileError as error:
        assert error.message.startswith("The saved removal <pending removal>")
    else:
        assert loaded.device_id == loaded.first_scan.device.id


@given(st.text(max_size=200))
def test_any_text_is_read_or_refused_in_words(text: str) -> None:
    with pytest.raises(PendingFileError):
        pending.loads_pending(text)


def test_a_record_set_aside_keeps_its_bytes_under_a_new_name(tmp_path: Path) -> None:
    path = tmp_path / "r.json"
    path.write_bytes(b"garbage")
    at = datetime(2023, 3, 29, 10, 0, tzinfo=UTC)
    first = pending.set_aside(path, now=at)
    path.write_bytes(b"more garbage")
    second = pending.set_aside(path, now=at)
    assert not path.exists()
    assert first.name == "r.json.damaged-20230329T100000Z"
    assert second.name == "r.json.damaged-20230329T100000Z-1"
    assert (first.read_bytes(), second.read_bytes()) == (b"garbage", b"more garbage")


def test_the_record_lives_in_the_data_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DEVICE_AUDIT_HOME", str(tmp_path))
    path = pending.pending_path(b.PHONE.id, b.POLICY.id)
    assert path.parent == tmp_path / "pending"
    pending.save(record(), path)
    assert [p.name for p in path.parent.iterdir()] == [path.name]  # no temp file left behind
    pending.discard(path)
    assert not path.exists()


def test_judged_values_are_kept() -> None:
    loaded = pending.loads_pending(pending.dumps(record()))
    assert (loaded.exemptions_file, loaded.person, loaded.day) == (
        "/srv/exemptions 2023.toml",
        "PS-1042",
        date(2023, 3, 28),
    )
    assert loaded.policy_title == b.POLICY.title
