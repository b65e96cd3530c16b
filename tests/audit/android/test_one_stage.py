"""The whole check in one script (onestage.py), and the phone's shell never trusted with it.

The script's loop over the user list and its choice of which apps to describe run on the
phone; here phones whose shell "forgets" a user or a dumpsys, lacks grep or loops, or names a
user with shell text in it. Each is read whole, with one more round trip where the phone left
something out, or marked incomplete: never a user or an app silently gone. Times are the
phone's virtual clock (tests.phonesim.timing), never the wall clock.
"""

from __future__ import annotations

import re
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import ScanResult, SourceStatus
from audit.sources.android.scan import scan_with_shell
from audit.sources.android.shell import ShellOutput
from tests.audit.android.test_side_by_side import TIKTOK, TimedShell, phone, same_reading
from tests.phonesim import SimulatedPhone, list_profiles, load_profile_data

FLAGGED = [TIKTOK, "com.android.chrome", "com.not.there"]


def scan(shell: Any, **options: Any) -> ScanResult:
    return scan_with_shell(shell, "s", name_of=lambda _: "", **options)


def staged(profile: str = "pixel-four-users-slow", **options: Any) -> ScanResult:
    return scan(TimedShell(phone(profile)), one_stage=False, **options)


class RewritingShell(TimedShell):
    """A phone whose shell runs something other than what it was sent: `rewrite` stands for
    its own decisions (a loop that skips a user, a dumpsys that never runs)."""

    def __init__(self, phone: SimulatedPhone, rewrite: Any) -> None:
        super().__init__(phone)
        self.rewrite = rewrite

    def run(self, command: str) -> ShellOutput:
        return super().run(self.rewrite(command, len(self.commands)))


def test_one_script_reads_what_the_stages_read_on_every_profile() -> None:
    for profile in list_profiles():
        one = TimedShell(SimulatedPhone(profile))
        result = scan(one, detail_packages=FLAGGED)
        same_reading(result, scan(TimedShell(SimulatedPhone(profile)), one_stage=False,
                                  detail_packages=FLAGGED))  # fmt: skip
        assert one.phone.state.files == {}, profile  # no scratch file left behind


def test_a_loop_that_forgets_a_user_costs_a_round_trip_never_the_user() -> None:
    def skip_11(command: str, index: int) -> str:
        return command.replace("''|0|*[!0-9]*)", "''|0|11|*[!0-9]*)") if index == 0 else command

    shell = RewritingShell(phone(), skip_11)
    result = scan(shell)
    assert result.complete, result.gaps
    same_reading(result, staged())
    assert len(shell.commands) == 2
    assert "--user 11" in shell.commands[1] and "--user 10" not in shell.commands[1]


def test_a_phone_that_never_lists_a_user_it_names_fails_that_user() -> None:
    def hide_11(command: str, index: int) -> str:
        command = command.replace("''|0|*[!0-9]*)", "''|0|11|*[!0-9]*)")
        return re.sub(r"--user 11\b", "--user 99", command)  # asked again: another answer

    result = scan(RewritingShell(phone(), hide_11))
    assert not result.complete
    report = next(s for s in result.sources if s.name == "user 11 (Secondary user)")
    assert report.status is SourceStatus.FAILED
    assert not [a for a in result.apps if a.user == "11"]


def test_a_dumpsys_the_phone_forgot_is_asked_for_again() -> None:
    def no_tiktok_details(command: str, index: int) -> str:  # its case item left out
        return re.sub(rf"{re.escape(TIKTOK)}\) i=\d+;; ", "", command) if index == 0 else command

    shell = RewritingShell(phone(), no_tiktok_details)
    result = scan(shell, detail_packages=FLAGGED)
    same_reading(result, staged(detail_packages=FLAGGED))
    assert len(shell.commands) == 2 and shell.commands[1].count("dumpsys package") == 1
    tiktok = next(a for a in result.apps if a.identifier == TIKTOK)
    assert tiktok.version and tiktok.installed_at is not None


def test_a_phone_without_grep_gets_the_details_in_one_more_round_trip() -> None:
    p = phone()
    del p._commands["grep"]  # an OEM build without toybox's grep
    shell = TimedShell(p)
    result = scan(shell, detail_packages=FLAGGED)
    same_reading(result, staged(detail_packages=FLAGGED))
    assert len(shell.commands) == 2
    assert "com.not.there" not in shell.commands[1]  # only what the inventory holds


def test_only_the_packages_on_the_phone_are_described() -> None:
    p = phone()
    dumpsys = p._commands["dumpsys"]
    ran: list[list[str]] = []

    def recorded(sh: Any, argv: list[str], stdin: bytes) -> Any:
        ran.append(argv)
        return dumpsys(sh, argv, stdin)

    p._commands["dumpsys"] = recorded
    shell = TimedShell(p)
    scan(shell, detail_packages=FLAGGED)
    assert len(shell.commands) == 1
    assert "-e com.not.there" in shell.commands[0]  # asked about, never described
    assert sorted(argv[2] for argv in ran if argv[1] == "package") == sorted(FLAGGED[:2])


def test_a_shell_without_loops_is_read_stage_by_stage() -> None:
    p = phone(quirks={"loops": "none"})
    shell = TimedShell(p)
    result = scan(shell, detail_packages=FLAGGED)
    same_reading(result, staged(detail_packages=FLAGGED))
    assert len(shell.commands) == 4  # the refused script, then the three stages side by side
    assert shell.elapsed == [0, 200, 400, 200]
    assert " & " in shell.commands[1]


@pytest.mark.parametrize("name", ["$(reboot)", "`reboot`", "x;reboot", "a{1:b", "}\n\tUserInfo{7"])
def test_user_names_are_never_run(name: str) -> None:
    data = load_profile_data("samsung-work-profile")
    data["users"][1]["name"] = name
    p = SimulatedPhone(data)
    result = scan(TimedShell(p))
    assert not p.state.rebooted
    assert "10" in {u.id for u in result.users} or not result.complete


def test_one_stage_timing_two_users() -> None:
    """2 users at 100 ms: the owner's lists beside the user list, then user 10's lists."""
    shell = TimedShell(SimulatedPhone("samsung-work-profile", program_ms=100))
    result = scan(shell, detail_packages=[TIKTOK])
    assert result.complete, result.gaps
    # TikTok is in the work profile only, but the owner's `-u` list names it (the owner has a
    # profile), so its details start beside user 10's lists.
    assert shell.elapsed == [200]
    single = TimedShell(SimulatedPhone("pixel-tiktok-lite", program_ms=100))
    assert scan(single).complete and single.elapsed == [100]  # one user: one program's time


@given(st.text(max_size=40))
@settings(max_examples=40, deadline=None)
def test_whatever_a_user_is_called_the_script_runs_only_its_own_commands(name: str) -> None:
    data = load_profile_data("samsung-work-profile")
    data["users"][1]["name"] = name
    p = SimulatedPhone(data)
    result = scan(TimedShell(p), detail_packages=FLAGGED)
    assert not p.state.rebooted and p.state.files == {}
    if result.complete:  # then every user listed was read, the work profile included
        assert {u.id for u in result.users} >= {"0", "10"}


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (r"echo ===DA:\w+:installed:\$u:rc=\$\?===", "cut off"),  # no exit status
        (r"pm list packages --user \"\$u\"", "cut off"),  # the job killed mid-list (below)
    ],
)
def test_a_users_section_cut_short_in_the_script_is_a_failed_read(change: str, words: str) -> None:
    def cut(command: str, index: int) -> str:
        if index:
            return command
        if "rc" in change:
            return re.sub(change, "true", command)
        # The list printed half a line and the job died: its end marker never written.
        return re.sub(
            change + r" 2>&1; echo ===DA:\w+:installed:\$u:rc=\$\?===",
            "printf package:com.android.ch 2>&1",
            command,
        )

    shell = RewritingShell(phone(), cut)
    result = scan(shell)
    assert not result.complete
    for uid, name in (("10", "Work profile"), ("11", "Secondary user"), ("12", "Guest")):
        report = next(s for s in result.sources if s.name == f"user {uid} ({name})")
        assert report.status is not SourceStatus.OK and words in report.detail
    assert len(shell.commands) == 1  # a cut answer is not asked again: it is a failed read


def test_too_many_candidates_for_an_old_phones_adb_go_in_a_round_of_their_own() -> None:
    from audit.sources.android.onestage import SCRIPT_LIMIT

    many = [*FLAGGED, *(f"com.example.banned{i}.app" for i in range(80))]
    shell = TimedShell(phone())
    result = scan(shell, detail_packages=many)
    assert all(len(command) <= SCRIPT_LIMIT for command in shell.commands)
    assert len(shell.commands) == 2  # the script without details, then the details
    assert "com.example.banned7.app" not in shell.commands[1]  # only what the phone has
    same_reading(result, staged(detail_packages=FLAGGED))
