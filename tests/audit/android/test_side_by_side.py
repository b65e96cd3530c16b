"""The scan runs each round's programs side by side on the phone, and reads exactly as before.

Against the simulated phone's own shell (tests.phonesim): its jobs, scratch files and cost model
are those of a phone's sh (tests/audit/phonesim/test_jobs.py). Times are the phone's virtual
clock (what its programs would take), never the wall clock.
"""

from __future__ import annotations

import functools
import re
from dataclasses import replace
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.model import ScanResult, SourceStatus
from audit.sources.android.jobs import build_jobs_script
from audit.sources.android.parsers import parse_sections
from audit.sources.android.scan import details_with_shell, scan_phone, scan_with_shell
from audit.sources.android.shell import ShellOutput
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim import SimulatedPhone, list_profiles, load_profile_data
from tests.phonesim.shell import Output, Shell
from tests.phonesim.timing import Timing

TIKTOK = "com.zhiliaoapp.musically"


class TimedShell:
    """The Shell protocol onto a SimulatedPhone, keeping what each command cost the phone."""

    def __init__(self, phone: SimulatedPhone) -> None:
        self.phone = phone
        self.commands: list[str] = []
        self.elapsed: list[float] = []

    def run(self, command: str) -> ShellOutput:
        self.commands.append(command)
        out = self.phone.run(command)
        self.elapsed.append(out.elapsed_ms)
        return ShellOutput(out.merged, out.status)


def scanned(phone: SimulatedPhone, **options: Any) -> tuple[ScanResult, TimedShell]:
    shell = TimedShell(phone)
    result = scan_with_shell(shell, "s", name_of=lambda _: "", **options)
    return result, shell


def phone(profile: str = "pixel-four-users-slow", **changes: Any) -> SimulatedPhone:
    data = load_profile_data(profile)
    quirks = changes.pop("quirks", {})
    data.update(changes)
    data.setdefault("quirks", {}).update(quirks)
    return SimulatedPhone(data)


def same_reading(a: ScanResult, b: ScanResult) -> None:
    assert a.apps == b.apps
    assert a.users == b.users
    assert a.sources == b.sources
    assert replace(a.device, connection=None) == replace(b.device, connection=None)
    assert a.complete == b.complete


def test_a_round_costs_its_slowest_program_not_their_sum() -> None:
    """4 users at 200 ms a program: identity, users and user 0's lists (7 programs), then 3
    lists per other user, all in one script (onestage.py: the point of issue 15's one stage)."""
    together, shell = scanned(phone())
    assert together.complete, together.gaps
    assert shell.elapsed == [600]  # 9 lists on 8 cores once the users are known: two turns
    staged, rounds = scanned(phone(), one_stage=False)
    assert rounds.elapsed == [200, 400]  # 12 lists on 8 cores: two turns
    one_by_one, sequential = scanned(phone(), concurrent=False)
    assert sequential.elapsed == [4 * 200, 12 * 200]
    same_reading(together, one_by_one)
    same_reading(staged, one_by_one)
    _, wide = scanned(phone(cores=16))
    assert wide.elapsed == [400]


@pytest.mark.parametrize("program_ms", [1, 7, 100, 333.3])
def test_whole_answers_whatever_a_program_costs(program_ms: float) -> None:
    """Every job's file is read once the job is done, to its last byte (the files are read on
    the phone's clock: a file read too early would be cut off)."""
    together, shell = scanned(phone(program_ms=program_ms, cores=3))
    assert together.complete, together.gaps
    assert shell.elapsed == [pytest.approx(6 * program_ms)]  # 16 programs on 3 cores, 1 script
    two_users, shell = scanned(SimulatedPhone("samsung-work-profile", program_ms=program_ms))
    assert two_users.complete, two_users.gaps
    assert shell.elapsed == [2 * program_ms]  # user 10's lists wait for the user list


def test_the_flagged_apps_details_are_read_side_by_side() -> None:
    p = phone()
    result, shell = scanned(p, detail_packages=[TIKTOK, "com.android.chrome"])
    # One script: the details start once user 0's lists show the packages (they list every
    # user's apps on a phone with profiles), beside the other users' lists.
    assert shell.elapsed == [600]
    assert shell.commands[-1].count('dumpsys package "$p"') == 1 and " & " in shell.commands[-1]
    _, staged = scanned(p, detail_packages=[TIKTOK, "com.android.chrome"], one_stage=False)
    assert staged.elapsed == [200, 400, 200]
    tiktok = next(a for a in result.apps if a.identifier == TIKTOK)
    assert tiktok.user == "11" and tiktok.version == "35.1.3" and tiktok.installed_at
    details = details_with_shell(TimedShell(p), "s", [TIKTOK, "com.android.chrome"])
    assert set(details) == {TIKTOK, "com.android.chrome"}


@pytest.mark.parametrize("profile", list_profiles())
def test_side_by_side_reads_exactly_what_one_by_one_reads(profile: str) -> None:
    together, _ = scanned(SimulatedPhone(profile))
    one_by_one, _ = scanned(SimulatedPhone(profile), concurrent=False)
    same_reading(together, one_by_one)


@pytest.mark.parametrize(
    "quirk", [{"background_jobs": "none"}, {"tmp": "read-only"}], ids=["no-jobs", "no-scratch"]
)
def test_a_shell_that_cannot_run_jobs_is_read_one_by_one(quirk: dict[str, str]) -> None:
    p = phone(quirks=quirk)
    result, shell = scanned(p, detail_packages=[TIKTOK, "com.android.chrome"])
    assert result.complete, result.gaps
    same_reading(result, scanned(phone(), detail_packages=[TIKTOK, "com.android.chrome"])[0])
    # The one-stage script and the first round side by side got nothing; from then on one
    # after another (one more refused round trip since the one-stage script, issue 15).
    assert len(shell.commands) == 5
    assert " & " in shell.commands[0] and " & " in shell.commands[1]
    assert all(" & " not in command for command in shell.commands[2:])
    assert p.state.files == {}


def test_no_scratch_file_is_left_on_the_phone() -> None:
    p = phone()
    scanned(p, detail_packages=[TIKTOK, "com.android.chrome"])
    assert p.state.files == {}


def test_every_job_writes_its_own_file() -> None:
    script = build_jobs_script([(f"s{i}", ("getprop", str(i))) for i in range(20)])
    files = re.findall(r">(/data/local/tmp/\S+) 2>&1 &", script.text)
    assert len(files) == len(set(files)) == 20
    assert all(script.nonce in path for path in files)


class DroppingShell(TimedShell):
    """A phone that loses one job of a round (its file never written): the rest come back."""

    def __init__(self, phone: SimulatedPhone, lost: str) -> None:
        super().__init__(phone)
        self.lost = lost

    def run(self, command: str) -> ShellOutput:
        pattern = rf"\(echo ===DA:\w+:{re.escape(self.lost)}:begin===[^)]*\) >\S+ 2>&1 & "
        return super().run(re.sub(pattern, "", command))


@pytest.mark.parametrize(
    ("lost", "source"),
    [
        ("installed:11", "user 11 (Secondary user)"),
        ("apps:11", "user 11 (Secondary user)"),
        ("users", "user list"),
        ("system", "user 0 (Owner)"),
    ],
)
def test_a_job_lost_on_the_phone_is_a_failed_read_never_a_clean_user(
    lost: str, source: str
) -> None:
    dropping = DroppingShell(phone(), lost)
    result = scan_with_shell(dropping, "s", name_of=lambda _: "", one_stage=False)
    assert not result.complete
    report = next(s for s in result.sources if s.name == source)
    assert report.status is not SourceStatus.OK and "could not" in report.detail
    assert len(dropping.commands) == 2  # not mistaken for a shell without jobs


class ImpatientShell(TimedShell):
    """A shell whose `wait` returns at once: the files are printed while the jobs still run."""

    def run(self, command: str) -> ShellOutput:
        return super().run(command.replace(" wait; cat ", " cat "))


def test_files_printed_before_their_jobs_finished_are_never_a_whole_answer() -> None:
    impatient = ImpatientShell(phone())
    result = scan_with_shell(impatient, "s", name_of=lambda _: "", one_stage=False)
    assert not result.complete
    assert {s.name for s in result.gaps} >= {"phone identity", "user list"}
    # In one script, what ran before an earlier `wait` is whole; the lists still running are
    # cut off, so their users are failed reads.
    result = scan_with_shell(ImpatientShell(phone()), "s", name_of=lambda _: "")
    assert not result.complete
    assert {s.name for s in result.gaps} >= {"user 10 (Work profile)", "user 11 (Secondary user)"}


def test_the_small_fake_phone_without_jobs_reads_the_same() -> None:
    from tests.audit.android.fakephone import samsung_with_work_profile

    without = samsung_with_work_profile()
    without.jobs = False
    one_by_one = scan_with_shell(without, "s", name_of=lambda _: "")
    together = scan_with_shell(samsung_with_work_profile(), "s", name_of=lambda _: "")
    same_reading(one_by_one, together)
    assert len(without.commands) == 4  # the refused one-stage and first round, then one by one


class CuttingShell(TimedShell):
    """A phone whose answer to one round stops at some byte (a cable pulled, a killed shell)."""

    def __init__(self, phone: SimulatedPhone, round_: int, keep: float) -> None:
        super().__init__(phone)
        self.round = round_
        self.keep = keep

    def run(self, command: str) -> ShellOutput:
        answer = super().run(command)
        if len(self.commands) - 1 != self.round:
            return answer
        return ShellOutput(answer.output[: int(len(answer.output) * self.keep)], answer.exit_code)


@functools.cache
def truth() -> ScanResult:
    return scanned(SimulatedPhone("samsung-work-profile"))[0]


@given(st.integers(0, 1), st.floats(0, 0.999))
@settings(max_examples=40, deadline=None)
def test_an_answer_cut_anywhere_is_never_a_whole_scan(round_: int, keep: float) -> None:
    """Whole and exactly the phone's reading, or marked incomplete: never a shorter list
    passed off as whole (the worst bug: a false "compliant")."""
    cut = scan_with_shell(
        CuttingShell(SimulatedPhone("samsung-work-profile"), round_, keep),
        "s",
        name_of=lambda _: "",
    )
    if cut.complete:
        same_reading(cut, truth())


# Any program output comes back in its own section, whole, with its exit status.
OUTPUT = st.text(st.characters(blacklist_characters="\x00\r", blacklist_categories=["Cs"]))


@given(st.lists(st.tuples(OUTPUT, st.integers(0, 255)), min_size=2, max_size=6), st.integers(1, 3))
@settings(max_examples=100, deadline=None)
def test_concurrent_sections_come_back_whole_and_in_order(
    outputs: list[tuple[str, int]], cores: int
) -> None:
    def program(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        text, status = outputs[int(argv[1])]
        return Output.of(stdout=text + "\n", status=status)

    script = build_jobs_script([(f"p{i}", ("pm", str(i))) for i in range(len(outputs))])
    files: dict[str, bytes] = {}
    out = Shell({"pm": program, **_file_tools()}, files, Timing.of(10, cores)).run(script.text)
    sections, _ = parse_sections(out.merged.decode("utf-8", "replace"), script.nonce)
    assert list(sections) == [f"p{i}" for i in range(len(outputs))]
    for i, (text, status) in enumerate(outputs):
        assert sections[f"p{i}"].text == (text + "\n").encode().decode("utf-8", "replace")
        assert sections[f"p{i}"].exit_code == status
    assert files == {}


def _file_tools() -> dict[str, Any]:
    from tests.phonesim.commands import FILE_COMMANDS

    def echo(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
        return Output.of(stdout=" ".join(argv[1:]) + "\n")

    return {**FILE_COMMANDS, "echo": echo}


@pytest.mark.adb
def test_the_real_adb_server_carries_the_jobs(
    adb_server: AdbServer, sim_phone: PhoneFactory
) -> None:
    p = sim_phone("pixel-four-users-slow", program_ms=1)
    flagged = [TIKTOK, "com.android.chrome"]
    result = scan_phone(p.address, adb_port=adb_server.port, detail_packages=flagged)
    assert result.complete, result.gaps
    assert [u.id for u in result.users] == ["0", "10", "11", "12"]
    assert len(p.commands) == 1  # the whole check in one script (issue 15)
    assert all(" & " in command and " wait; cat " in command for command in p.commands)
    assert p.state.files == {}
