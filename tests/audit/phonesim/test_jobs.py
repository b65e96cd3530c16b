"""The simulated phone charges per program and runs background jobs as a phone's sh does.

Times here are the phone's virtual clock (`Output.elapsed_ms`), never the wall clock: a command
line's answer says when its last program would have ended on the phone.
"""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.phonesim import ProfileError, SimulatedPhone, load_profile_data, load_state
from tests.phonesim.timing import PIPE_CHUNK, Cores

TMP = "/data/local/tmp"


def phone(program_ms: float = 100, cores: int = 8, **quirks: str) -> SimulatedPhone:
    data = load_profile_data("samsung-work-profile")
    data["program_ms"] = program_ms
    data["cores"] = cores
    data.setdefault("quirks", {}).update(quirks)
    return SimulatedPhone(data)


def test_programs_one_after_another_add_up_and_builtins_cost_nothing() -> None:
    p = phone(100)
    assert p.run("echo a; true; printf x").elapsed_ms == 0
    assert p.run("getprop ro.product.model").elapsed_ms == 100
    out = p.run("getprop ro.product.model; pm list users; dumpsys device_policy")
    assert out.elapsed_ms == 300
    assert p.run("getprop a && getprop b || getprop c").elapsed_ms == 200


def test_background_jobs_overlap_up_to_the_cores_and_queue_beyond() -> None:
    jobs = " ".join(["getprop ro.product.model &"] * 5) + " wait"
    assert phone(100, cores=8).run(jobs).elapsed_ms == 100
    assert phone(100, cores=2).run(jobs).elapsed_ms == 300  # 2 + 2 + 1
    assert phone(100, cores=1).run(jobs).elapsed_ms == 500
    # A job of two programs takes two turns; the other jobs fill the cores meanwhile.
    out = phone(100, cores=2).run("(getprop a; getprop b) & getprop c & getprop d & wait")
    assert out.elapsed_ms == 200


def test_the_answer_waits_for_jobs_that_were_not_waited_for() -> None:
    """adbd closes the stream when the last holder of the shell's output is done."""
    out = phone(100).run("getprop ro.product.model & echo now")
    assert out.elapsed_ms == 100
    assert out.stdout == b"now\nSM-S911B\n"  # the job printed after the shell's echo


def test_a_job_writing_only_to_files_runs_on_after_the_answer() -> None:
    p = phone(100)
    assert p.run(f"getprop a >{TMP}/d 2>&1 & echo now").elapsed_ms == 0
    assert p.run(f"getprop a >{TMP}/d 2>&1 & wait").elapsed_ms == 100  # unless waited for
    assert p.run(f"getprop a 2>&1 >{TMP}/d & echo now").elapsed_ms == 100  # stderr still out
    assert p.run(f"(getprop a; getprop b) >{TMP}/d 2>/dev/null & echo now").elapsed_ms == 0
    assert p.run("echo $(getprop a & echo b)").elapsed_ms == 100  # $(...) waits for its pipe


def test_wait_for_one_job_gives_its_exit_status() -> None:
    p = phone(100)
    out = p.run("pm list packages --user 99x & J=$!; getprop a & wait $J; echo rc=$?")
    assert out.stdout.endswith(b"\nrc=255\n")  # pm's status for a bad user number
    assert p.run("true & J=$!; false & K=$!; wait $K; echo $?; wait $J; echo $?").stdout == (
        b"1\n0\n"
    )
    assert p.run("wait 12345; echo rc=$?").stdout == b"rc=127\n"
    assert p.run("false & wait; echo rc=$?").stdout == b"rc=0\n"  # plain wait: 0


def test_subshells_keep_their_variables_and_exit_to_themselves() -> None:
    p = phone(0)
    assert p.run("X=1; (X=2; echo in$X); echo out$X").stdout == b"in2\nout1\n"
    assert p.run("(exit 3); echo rc=$?").stdout == b"rc=3\n"
    out = p.run(f"(echo a; foo) >{TMP}/s 2>&1; cat {TMP}/s")
    assert out.stdout == b"a\n/system/bin/sh: foo: inaccessible or not found\n"


@pytest.mark.parametrize(
    ("line", "stdout", "status"),
    [
        ("X=1 & wait; echo x$X", "x\n", 0),  # a job's assignment stays in the job
        ("exit 2 & wait; echo rc=$?", "rc=0\n", 0),  # so does its exit
        ("(echo a) | grep a", "a\n", 0),
        ("( (echo a) )", "a\n", 0),
        ("((echo a))", "", 1),  # ksh arithmetic, not two subshells: refused
        ("echo a &; echo b", "", 1),  # as in mksh: ';' unexpected
        ("(echo a) b", "", 1),
        ("()", "", 1),
    ],
)
def test_job_and_subshell_grammar_as_mksh(line: str, stdout: str, status: int) -> None:
    out = phone(0).run(line)
    assert (out.stdout.decode(), out.status) == (stdout, status)


def test_a_file_read_before_its_job_wrote_it_is_not_yet_whole() -> None:
    p = phone(100)
    out = p.run(f"getprop ro.product.model >{TMP}/m & cat {TMP}/m; echo -; wait; cat {TMP}/m")
    assert out.stdout == b"-\nSM-S911B\n"  # at first the file is there, but empty
    assert p.run(f"rm -f {TMP}/m; cat {TMP}/m").status == 1


def test_two_jobs_printing_to_one_stream_mix_mid_line() -> None:
    """Why each of the scan's jobs writes its own file: pm writes in pipe-sized pieces."""
    out = phone(100).run("pm list packages --user 0 & pm list packages --user 10 & wait")
    lines = out.stdout.decode().splitlines()
    assert len(out.stdout) > 2 * PIPE_CHUNK
    assert any(not line.startswith("package:") for line in lines)


def test_a_shell_without_jobs_refuses_them_and_runs_nothing() -> None:
    p = phone(100, background_jobs="none")
    out = p.run("reboot & wait")
    assert out.status == 1 and b"syntax error" in out.stderr
    assert p.run("(reboot)").status == 1
    assert not p.state.rebooted
    assert p.run("getprop a; getprop b").elapsed_ms == 200  # the rest works as before


def test_a_phone_whose_scratch_directory_is_read_only() -> None:
    out = phone(0, tmp="read-only").run(f"echo x >{TMP}/f; echo rc=$?")
    assert out.stdout == b"rc=1\n"
    assert b"can't create" in out.stderr


@pytest.mark.parametrize(
    ("field", "value"), [("program_ms", -1), ("program_ms", "100"), ("cores", 0), ("cores", True)]
)
def test_a_mistyped_cost_is_refused(field: str, value: Any) -> None:
    data = load_profile_data("demo-phone")
    data[field] = value
    with pytest.raises(ProfileError, match=field):
        load_state(data)


def test_the_slow_four_user_phone() -> None:
    state = load_state("pixel-four-users-slow")
    assert (state.program_ms, state.cores, len(state.users)) == (200, 8, 4)
    assert SimulatedPhone("pixel-four-users-slow", program_ms=0).run("getprop").elapsed_ms == 0


def test_cores_calendar_starts_each_program_at_the_first_free_core() -> None:
    cores = Cores(2)
    assert [cores.book(0, 100) for _ in range(3)] == [0, 0, 100]
    assert cores.book(50, 10) == 100  # both cores busy until 100
    assert cores.book(250, 100) == 250


SOUP = ["getprop", "pm", "list", "users", "echo", "x", "&", ";", "&&", "||", "|", "(", ")",
        "wait", "$!", "$?", ">", f"{TMP}/f", "cat", "2>&1", "exit", "1", "\n"]  # fmt: skip


@given(st.lists(st.sampled_from(SOUP), max_size=30), st.integers(1, 4))
@settings(max_examples=200, deadline=None)
def test_any_mix_of_jobs_never_crashes_and_costs_at_most_its_programs(
    tokens: list[str], cores: int
) -> None:
    line = " ".join(tokens)
    out = phone(10, cores=cores).run(line)
    assert 0 <= out.status <= 255
    programs = sum(token in ("getprop", "pm") for token in tokens)
    assert 0 <= out.elapsed_ms <= programs * 10
