"""Hints (audit/sources/android/hints.py): what the last check of a phone found starts early in
the next one, and a wrong hint costs time at most, never a wrong reading.

Each way a hint can be wrong (a user added or removed since, an app removed or added since,
another phone's hint, a hostile or damaged file, a FIFO, a read-only data folder) is checked
against a scan of the same phone without any hint: the readings must be the same. Times are the
simulated phone's virtual clock (tests.phonesim.timing), never the wall clock.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.model import ScanResult
from audit.sources.android import hints
from audit.sources.android.hints import NO_HINT, Hint, checked, hint_of, recall, remember
from audit.sources.android.scan import scan_phone, scan_with_shell
from tests.audit.android.test_side_by_side import TIKTOK, TimedShell, phone, same_reading
from tests.phonesim import SimulatedPhone, list_profiles, load_profile_data
from tests.phonesim.shell import Output

LITE = "com.zhiliaoapp.musically.go"
ASKED = [TIKTOK, LITE, "com.android.chrome"]


def scan(
    p: SimulatedPhone, hint: Hint = NO_HINT, asked: list[str] = ASKED
) -> tuple[ScanResult, TimedShell]:
    shell = TimedShell(p)
    result = scan_with_shell(shell, "s", name_of=lambda _: "", detail_packages=asked, hint=hint)
    return result, shell


def reading_without_hint(p: Any) -> ScanResult:
    return scan(p() if callable(p) else p)[0]


# --- a right hint ------------------------------------------------------------------------------


def test_a_right_hint_removes_the_wait_for_the_user_list() -> None:
    """Two users at 100 ms with cores to spare: without a hint the work profile's lists wait for
    `pm list users` (two programs' time); with it, everything starts at once (one)."""
    fresh, first = scan(phone("samsung-work-profile", program_ms=100, cores=16))
    assert first.elapsed == [200]
    hint = hint_of(fresh, ASKED)
    assert hint == Hint((10,), ("com.android.chrome", TIKTOK))
    known, again = scan(phone("samsung-work-profile", program_ms=100, cores=16), hint)
    assert again.elapsed == [100] and len(again.commands) == 1
    same_reading(known, fresh)
    assert known.complete


def test_a_right_hint_removes_the_wait_for_the_lists_on_a_one_user_phone() -> None:
    """One user, a flagged app: its details waited for the lists; now they start with them."""
    fresh, first = scan(phone("pixel-tiktok-lite", program_ms=100), asked=[LITE])
    assert first.elapsed == [200]
    hint = hint_of(fresh, [LITE])
    known, again = scan(phone("pixel-tiktok-lite", program_ms=100), hint, [LITE])
    assert again.elapsed == [100]
    same_reading(known, fresh)
    lite = next(a for a in known.apps if a.identifier == LITE)
    assert lite.state_confirmed and lite.installed_at is not None


def test_on_eight_cores_a_right_hint_never_costs_time() -> None:
    """Four users on 8 cores: 17 programs, so the cores, not the user list, set the time (three
    turns of 100 ms with or without the hint: the issue's goal cannot be met by hints there)."""
    fresh, first = scan(phone(program_ms=100))
    known, again = scan(phone(program_ms=100), hint_of(fresh, ASKED))
    assert first.elapsed == again.elapsed == [300]
    same_reading(known, fresh)


# --- a wrong hint: time at most -----------------------------------------------------------


def test_a_user_added_since_the_hint_is_still_read() -> None:
    known, shell = scan(phone(), Hint((10,), ()))
    same_reading(known, reading_without_hint(phone))
    assert known.complete and {u.id for u in known.users} == {"0", "10", "11", "12"}
    assert len(shell.commands) == 1


def test_a_user_removed_since_the_hint_is_never_read() -> None:
    p = SimulatedPhone("samsung-work-profile")
    known, shell = scan(p, Hint((10, 11, 12, 13), (TIKTOK,)))
    assert "for u in 10 11 12 13;" in shell.commands[0]  # their lists ran: time, not evidence
    assert {u.id for u in known.users} == {"0", "10"}
    same_reading(known, BASELINE)
    assert known.complete and p.state.files == {}


def test_a_user_the_user_list_leaves_out_is_never_read_even_if_hinted() -> None:
    """The phone's lists for a hinted user 11 come back, but its user list no longer names it
    (a profile deleted as the check ran): `pm list users` is the authority."""
    data = load_profile_data("pixel-four-users-slow")
    p = SimulatedPhone(data)
    p._commands["pm"] = _hiding_user(p._commands["pm"], "11")
    known, shell = scan(p, Hint((10, 11, 12), (TIKTOK,)))
    assert "--user 11" not in "".join(shell.commands[1:])
    assert "11" not in {u.id for u in known.users}
    assert not [a for a in known.apps if a.user == "11"]


def _hiding_user(pm: Any, uid: str) -> Any:
    def run(sh: Any, argv: list[str], stdin: bytes) -> Any:
        out = pm(sh, argv, stdin)
        if argv[1:3] != ["list", "users"]:
            return out
        lines = out.stdout.splitlines(keepends=True)
        kept = b"".join(line for line in lines if f"UserInfo{{{uid}:".encode() not in line)
        return Output.of(kept, out.stderr, out.status)

    return run


def test_an_app_removed_since_the_hint_is_not_described() -> None:
    data = load_profile_data("pixel-four-users-slow")
    data["packages"] = [p for p in data["packages"] if p["package"] != TIKTOK]
    known, shell = scan(SimulatedPhone(data), Hint((10, 11, 12), (TIKTOK,)))
    assert "dumpsys package com.zhiliaoapp.musically 2>&1" in shell.commands[0]  # ran early
    assert not [a for a in known.apps if a.identifier == TIKTOK]
    same_reading(known, reading_without_hint(SimulatedPhone(data)))


def test_an_app_added_since_the_hint_is_still_described() -> None:
    known, shell = scan(phone(), Hint((10, 11, 12), ()))
    tiktok = next(a for a in known.apps if a.identifier == TIKTOK)
    assert tiktok.state_confirmed and tiktok.installed_at is not None
    assert len(shell.commands) == 1
    same_reading(known, reading_without_hint(phone))


def test_a_hinted_package_the_policy_does_not_ask_about_never_reaches_the_phone() -> None:
    _, shell = scan(phone(), Hint((), ("com.example.not.asked",)))
    assert "com.example.not.asked" not in shell.commands[0]


@pytest.mark.parametrize(
    ("users", "present"),
    [
        ([0, -1, True, "11", 1.5, 2**31, None, [10]], ["$(reboot)", "a;b", "", "x" * 300, 7]),
        ([10] * 50 + list(range(1, 40)), [f"com.x{i}.app" for i in range(200)]),
    ],
)
def test_a_hostile_hint_is_cut_to_plain_numbers_and_names(
    users: list[Any], present: list[Any]
) -> None:
    hint = checked(users, present)
    assert all(type(u) is int and 0 < u < 2**31 for u in hint.users)
    assert len(hint.users) <= hints.MAX_USERS and len(hint.present) <= hints.MAX_PACKAGES
    assert not {"$(reboot)", "a;b", ""} & set(hint.present)


def test_a_hint_for_many_users_is_dropped_before_the_script_grows_too_long() -> None:
    from audit.sources.android.onestage import SCRIPT_LIMIT

    many = [*ASKED, *(f"com.example.banned{i}.app" for i in range(70))]
    p = phone()
    shell = TimedShell(p)
    big = Hint(tuple(range(10, 18)), tuple(many))
    result = scan_with_shell(shell, "s", name_of=lambda _: "", detail_packages=many, hint=big)
    assert all(len(command) <= SCRIPT_LIMIT for command in shell.commands)
    same_reading(result, reading_without_hint(phone))


# --- the hint file ----------------------------------------------------------------------------


def test_the_hint_file_round_trips_and_is_one_phones_own(tmp_path: Path) -> None:
    hint = Hint((10, 11), (TIKTOK,))
    remember("R58M123", hint, tmp_path)
    assert recall("R58M123", tmp_path) == hint
    assert recall("R58M999", tmp_path) == NO_HINT
    # Another phone's file copied under this phone's name: its serial is not this one.
    (only,) = (tmp_path / hints.FOLDER).iterdir()
    os.replace(only, hints._path(tmp_path, "R58M999"))
    assert recall("R58M999", tmp_path) == NO_HINT


def test_a_fifo_in_place_of_the_hint_file_never_blocks(tmp_path: Path) -> None:
    path = hints._path(tmp_path, "s")
    path.parent.mkdir(parents=True)
    os.mkfifo(path)
    assert recall("s", tmp_path) == NO_HINT


def test_an_unreadable_huge_or_damaged_file_is_no_hint(tmp_path: Path) -> None:
    path = hints._path(tmp_path, "s")
    path.parent.mkdir(parents=True)
    path.mkdir()  # a folder where the file should be
    assert recall("s", tmp_path) == NO_HINT
    path.rmdir()
    path.write_bytes(b"[" * 10_000)
    assert recall("s", tmp_path) == NO_HINT
    path.write_bytes(b" " * (hints.FILE_LIMIT + 1))
    assert recall("s", tmp_path) == NO_HINT
    path.write_bytes(b"\xff\xfe{")
    assert recall("s", tmp_path) == NO_HINT


def test_a_data_folder_that_cannot_be_written_costs_only_the_hint(tmp_path: Path) -> None:
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    remember("s", Hint((10,), ()), blocked)  # no exception
    assert recall("s", blocked) == NO_HINT


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=5) | st.dictionaries(st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=20,
)


@given(
    users=st.lists(JSON, max_size=12),
    present=st.lists(st.one_of(st.sampled_from(ASKED), st.text(max_size=30), JSON), max_size=8),
    serial=st.sampled_from(["s", "other"]),
    raw=st.one_of(st.none(), st.binary(max_size=200)),
)
@settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
def test_whatever_the_hint_file_holds_the_reading_is_the_same(
    tmp_path: Path, users: list[Any], present: list[Any], serial: str, raw: bytes | None
) -> None:
    path = hints._path(tmp_path, "s")
    path.parent.mkdir(parents=True, exist_ok=True)
    record = {"format": hints.FORMAT, "version": 1, "serial": serial, "users": users,
              "present": present}  # fmt: skip
    path.write_bytes(raw if raw is not None else json.dumps(record).encode())
    hint = recall("s", tmp_path)
    assert all(0 < u < 2**31 for u in hint.users)
    known, _ = scan(SimulatedPhone("samsung-work-profile"), hint)
    same_reading(known, BASELINE)


BASELINE = reading_without_hint(SimulatedPhone("samsung-work-profile"))


# --- through the adb server: the file across checks, the rescan in one process ------------


def test_a_phone_seen_before_gets_its_hint_from_the_data_folder(
    adb_server: Any, sim_phone: Any, tmp_path: Path
) -> None:
    p = sim_phone("pixel-four-users-slow", program_ms=0)
    first = scan_phone(p.address, adb_port=adb_server.port, detail_packages=ASKED,
                       hint_folder=tmp_path)  # fmt: skip
    assert recall(p.address, tmp_path) == Hint((10, 11, 12), ("com.android.chrome", TIKTOK))
    assert "for u in" not in p.commands[-1]
    second = scan_phone(p.address, adb_port=adb_server.port, detail_packages=ASKED,
                        hint_folder=tmp_path)  # fmt: skip
    assert "for u in 10 11 12;" in p.commands[-1]
    assert first.apps == second.apps and second.complete


def test_the_rescan_reuses_the_first_checks_hint_without_a_data_folder(
    adb_server: Any, sim_phone: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from audit.workflow.device_audit import phone as reach_phone

    blocked = tmp_path / "a-file"
    blocked.write_text("the data folder cannot be made here")
    monkeypatch.setenv("DEVICE_AUDIT_HOME", str(blocked))
    p = sim_phone("samsung-work-profile", program_ms=0)
    reach = reach_phone(p.address, adb_server.port)
    assert reach.scan_asking is not None
    first = reach.scan_asking(lambda *_: None, lambda: False, ASKED)
    assert "for u in" not in p.commands[-1]
    again = reach.scan_asking(lambda *_: None, lambda: False, ASKED)
    assert (
        "for u in 10;" in p.commands[-1]
        and "dumpsys package com.zhiliaoapp.musically 2>&1" in p.commands[-1]
    )
    assert first.apps == again.apps


def test_past_the_limit_the_least_recently_checked_phones_hints_go(tmp_path: Path) -> None:
    for index in range(5):
        remember(f"phone-{index}", Hint((10,), ()), tmp_path, most=3)
        os.utime(hints._path(tmp_path, f"phone-{index}"), (index, index))
    remember("phone-5", Hint((10,), ()), tmp_path, most=3)
    kept = {s for s in (f"phone-{i}" for i in range(6)) if recall(s, tmp_path)}
    assert kept == {"phone-3", "phone-4", "phone-5"}


def test_a_check_cut_short_keeps_what_the_earlier_hint_knew() -> None:
    from dataclasses import replace

    from audit.model import SourceReport, SourceStatus

    full, _ = scan(phone())
    cut = replace(
        full,
        users=full.users[:1],
        apps=(),
        sources=(*full.sources, SourceReport("user list", SourceStatus.FAILED, "cut")),
    )
    assert not cut.complete
    earlier = hint_of(full, ASKED)
    assert hint_of(cut, ASKED, earlier) == earlier
    assert hint_of(full, ASKED, Hint((13,), ())) == earlier  # a whole check replaces it


def test_another_phones_hint_never_changes_the_verdict(
    adb_server: Any, sim_phone: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A clean phone whose hint file (a serial is only a claim) says TikTok and four users: the
    check through the workflow reads and judges it as it would without any hint."""
    from datetime import date

    from audit.policy import load_policy
    from audit.workflow import DeviceAudit
    from audit.workflow import phone as reach_phone

    data = load_profile_data("samsung-work-profile")
    data["packages"] = [p for p in data["packages"] if p["package"] != TIKTOK]
    p = sim_phone(data)
    policy = load_policy("nz-parliament-2023")

    def verdict() -> tuple[str, list[str], bool]:
        with DeviceAudit(
            reach_phone(p.address, adb_server.port), policy, day=date(2023, 3, 20)
        ) as a:
            judged = a.check()
        apps = sorted(f"{x.identifier}@{x.user}:{x.state.value}" for x in judged.scan.apps)
        return judged.status.value, apps, judged.scan.complete

    without = verdict()  # also leaves this phone's own (right) hint
    remember(p.address, Hint((10, 11, 12, 13), (TIKTOK, LITE)))
    assert verdict() == without
    assert "for u in 10 11 12 13;" in p.commands[-1] and TIKTOK in p.commands[-1]
    assert without[0] == "compliant" and without[2]


@pytest.mark.parametrize("profile", list_profiles())
def test_a_right_hint_reads_the_same_and_is_never_slower(profile: str) -> None:
    fresh, first = scan(SimulatedPhone(profile))
    known, again = scan(SimulatedPhone(profile), hint_of(fresh, ASKED))
    same_reading(known, fresh)
    assert again.elapsed[0] <= first.elapsed[0]
    assert len(again.commands) <= len(first.commands)


FOUR_USERS = reading_without_hint(phone())


@given(
    users=st.lists(st.sampled_from([10, 11, 12, 13, 95, 150]), max_size=6),
    present=st.lists(st.sampled_from(ASKED), max_size=3),
)
@settings(max_examples=25, deadline=None)
def test_any_mix_of_right_and_wrong_users_and_apps_reads_the_same(
    users: list[int], present: list[str]
) -> None:
    known, shell = scan(phone(), checked(users, present))
    same_reading(known, FOUR_USERS)
    assert shell.phone.state.files == {}
