"""An app's state from the phone's per-user facts: the pure rule, the parser that reads the facts
from captured `dumpsys package` text, and how the inventory applies them to each user's app."""

from __future__ import annotations

import functools
from dataclasses import replace
from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from audit.errors import PolicyError
from audit.model import (
    NEVER_COMPLIANT,
    AppState,
    Device,
    DeviceKind,
    FindingStatus,
    IdentifierKind,
    InstalledApp,
    ScanResult,
    SourceReport,
    SourceStatus,
)
from audit.policy import evaluate, list_presets, load_policy, loads_policy
from audit.sources.android.dumpsys import parse_dumpsys_package
from audit.sources.android.inventory import UserFacts, state_from_facts, with_details
from tests.audit.android.conftest import capture

TIKTOK = "com.zhiliaoapp.musically"

facts = st.builds(
    UserFacts,
    installed=st.booleans(),
    system=st.booleans(),
    hidden=st.none() | st.booleans(),
    suspended=st.none() | st.booleans(),
    enabled=st.none() | st.integers(min_value=-1, max_value=5),
    data_kept=st.none() | st.booleans(),
)


@functools.cache
def preset_compliant_states() -> list[frozenset[AppState]]:
    return [load_policy(p.id).compliant_states for p in list_presets()]


@given(facts)
def test_an_installed_app_is_never_gone_nor_compliant_under_any_preset(fact: UserFacts) -> None:
    state = state_from_facts(fact)
    if fact.installed:
        assert state.on_device
        assert state not in (AppState.ABSENT, AppState.REMOVED_FOR_USER)
        assert all(state not in states for states in preset_compliant_states())
    else:
        assert not state.on_device


def test_no_preset_accepts_an_app_still_on_the_phone() -> None:
    for states in preset_compliant_states():
        assert not states & {AppState.INSTALLED, AppState.DISABLED, *NEVER_COMPLIANT}


@given(facts)
def test_hidden_and_suspended_win_over_the_enabled_state(fact: UserFacts) -> None:
    """A frozen or paused app is named so whatever its enabled state, and no policy may accept
    it: disabled as well does not make it more acceptable than the words say."""
    state = state_from_facts(fact)
    if fact.installed and fact.hidden:
        assert state is AppState.HIDDEN
    elif fact.installed and fact.suspended:
        assert state is AppState.SUSPENDED
    if state in (AppState.HIDDEN, AppState.SUSPENDED):
        assert state in NEVER_COMPLIANT


def test_each_fact_alone() -> None:
    def state(**kw: object) -> AppState:
        base = {"installed": True, "system": False}
        return state_from_facts(UserFacts(**{**base, **kw}))  # type: ignore[arg-type]

    assert state() is AppState.INSTALLED
    assert state(hidden=True) is AppState.HIDDEN
    assert state(suspended=True) is AppState.SUSPENDED
    assert state(enabled=3) is AppState.DISABLED
    assert state(enabled=4) is AppState.DISABLED
    assert state(enabled=1) is AppState.INSTALLED
    assert state(installed=False, system=True) is AppState.REMOVED_FOR_USER
    assert state(installed=False, data_kept=True) is AppState.REMOVED_FOR_USER
    assert state(installed=False, data_kept=None) is AppState.REMOVED_FOR_USER  # not said
    assert state(installed=False, data_kept=False) is AppState.ABSENT


def test_the_parser_reads_suspended_and_the_data_inode_from_a_real_dump() -> None:
    info, problems = parse_dumpsys_package(capture("dumpsys_package_tiktok_android14.txt"), TIKTOK)
    assert info is not None and not problems
    owner, work = info.users[0], info.users[10]
    assert (owner.installed, owner.hidden, owner.suspended) == (True, False, False)
    assert owner.ce_data_inode == 24791 and owner.data_kept is True
    assert work.enabled == 3


def test_a_frozen_and_a_paused_user_are_read_as_such() -> None:
    """The same real dump with the work profile's app frozen, the owner's paused (the two
    fields as Android prints them)."""
    text = capture("dumpsys_package_tiktok_android14.txt")
    text = text.replace(
        "User 10: ceDataInode=31005 installed=true hidden=false",
        "User 10: ceDataInode=31005 installed=true hidden=true",
    ).replace(
        "User 0: ceDataInode=24791 installed=true hidden=false suspended=false",
        "User 0: ceDataInode=24791 installed=true hidden=false suspended=true",
    )
    info, _ = parse_dumpsys_package(text, TIKTOK)
    assert info is not None
    assert info.users[10].hidden is True and info.users[0].suspended is True
    listed = [
        InstalledApp(TIKTOK, IdentifierKind.ANDROID_PACKAGE, user="0"),
        InstalledApp(TIKTOK, IdentifierKind.ANDROID_PACKAGE, user="10", state=AppState.DISABLED),
        InstalledApp(TIKTOK, IdentifierKind.ANDROID_PACKAGE, user="11"),
    ]
    owner, work, other = with_details(listed, {TIKTOK: info}, None)
    assert (owner.state, owner.state_confirmed) == (AppState.SUSPENDED, True)
    assert (work.state, work.state_confirmed) == (AppState.HIDDEN, True)
    # No record for user 11 in the dump: the lists' state stays, unconfirmed.
    assert (other.state, other.state_confirmed) == (AppState.INSTALLED, False)


def test_a_removed_system_app_is_confirmed_removed() -> None:
    info, _ = parse_dumpsys_package(
        capture("dumpsys_package_facebook_system_android9.txt"), "com.facebook.katana"
    )
    assert info is not None
    app = InstalledApp(
        "com.facebook.katana",
        IdentifierKind.ANDROID_PACKAGE,
        user="0",
        state=AppState.REMOVED_FOR_USER,
        system=True,
    )
    (read,) = with_details([app], {"com.facebook.katana": info}, None)
    assert read == replace(
        app,
        state_confirmed=True,
        version=read.version,
        installed_at=read.installed_at,
        updated_at=read.updated_at,
        installer=read.installer,
        origin=read.origin,
        location=read.location,
        version_code=read.version_code,
    )


POLICY_TEXT = """
id = "lenient"
title = "A lenient TikTok ban"
authority = "Test"
compliant_states = ["removed_for_user", "{state}"]

[[rule]]
id = "tiktok"
title = "TikTok"
catalog = ["tiktok-app"]
"""


@pytest.mark.parametrize("state", ["hidden", "suspended"])
def test_no_policy_file_may_accept_an_app_still_installed(state: str) -> None:
    with pytest.raises(PolicyError) as raised:
        loads_policy(POLICY_TEXT.replace("{state}", state))
    assert f"'{state}' cannot be compliant: a {state} app is still installed" in str(
        raised.value.message
    )


@pytest.mark.parametrize("state", [AppState.HIDDEN, AppState.SUSPENDED])
def test_the_evaluator_never_accepts_them_even_from_a_policy_built_in_code(
    state: AppState,
) -> None:
    policy = loads_policy(POLICY_TEXT.replace(', "{state}"', ""))
    policy = replace(policy, compliant_states=policy.compliant_states | {state})
    app = InstalledApp(TIKTOK, IdentifierKind.ANDROID_PACKAGE, user="10", state=state)
    scan = ScanResult(
        device=Device("android:X", DeviceKind.ANDROID, "phone"),
        started_at=datetime(2023, 3, 20, tzinfo=UTC),
        finished_at=datetime(2023, 3, 20, tzinfo=UTC),
        apps=(app,),
        sources=(SourceReport("user 10", SourceStatus.OK),),
    )
    assessment = evaluate(scan, policy, day=date(2023, 3, 20))
    assert [f.status for f in assessment.findings] == [FindingStatus.VIOLATION]
    assert not assessment.status.compliant
