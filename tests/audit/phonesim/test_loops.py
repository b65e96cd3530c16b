"""The simulated phone's loops, `case`, `read` and grep on files do what a real sh does.

Each line runs in the simulator and in the real shells on this machine (mksh, the phone's sh,
when installed; dash, a POSIX sh, as a second opinion), over the same scratch files. Then the
scan's whole one-stage script (audit/sources/android/onestage.py) runs in both, with `pm`,
`getprop` and `dumpsys` standing in as shell functions there and as commands here: the sections
must come back the same.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.sources.android import commands
from audit.sources.android.jobs import SCRATCH
from audit.sources.android.onestage import build_one_stage
from audit.sources.android.parsers import parse_sections
from tests.phonesim.commands import _PLAIN_COMMANDS, FILE_COMMANDS
from tests.phonesim.shell import Output, Shell
from tests.phonesim.timing import Timing

SHELLS = [name for name in ("mksh", "dash") if shutil.which(name)]
pytestmark = pytest.mark.skipif(not SHELLS, reason="no real sh (mksh or dash) to compare with")

USERS = "Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:1030} running\n"
_ESCAPED = USERS.replace("\t", "\\t").replace("\n", "\\n")
SETUP = f"printf '{_ESCAPED}' >{SCRATCH}/u; "

LINES = [
    "for x in a b c; do echo $x; done",
    "X='a  b'; for x in $X c; do echo [$x]; done; echo last=$x",
    "for x in; do echo never; done; echo rc=$?",
    "case abc in a*) echo yes;; *) echo no;; esac",
    "case 10x in ''|*[!0-9]*) echo bad;; *) echo ok;; esac",
    "case '' in ''|*[!0-9]*) echo bad;; *) echo ok;; esac",
    "case 150 in ''|0|*[!0-9]*) echo bad;; *) echo ok;; esac",
    "case a.b in a?b) echo q;; esac; case axb in a.b) echo dot;; *) echo nodot;; esac",
    "case x in (x) echo paren;; esac",
    "case y in x) echo x;; esac; echo rc=$?",
    'X=q; case $X in "$X") echo quoted;; esac',
    "while false; do echo x; done; echo rc=$?",
    "i=a; while case $i in aaaa) false;; esac; do i=${i}a; done; echo $i",
    "until true; do echo never; done; echo done",
    f"while IFS='{{:' read -r a u r; do echo \"[$a][$u][$r]\"; done <{SCRATCH}/u",
    f"while IFS='{{:' read -r a u r; do case $a in *UserInfo) echo u=$u;; esac; done <{SCRATCH}/u",
    f'while read -r l; do echo "<$l>"; done <{SCRATCH}/u; echo rc=$?',
    f'while read a b; do echo "$a|$b"; done <{SCRATCH}/u',
    f"n=0; while read -r l; do n=x$n; done <{SCRATCH}/u; echo $n",
    f"read -r first <{SCRATCH}/u; echo $first",
    f"grep -q -F UserInfo {SCRATCH}/u; echo rc=$?",
    f"grep -q -F -e nothing -e Owner {SCRATCH}/u {SCRATCH}/none 2>/dev/null; echo rc=$?",
    f"grep -q -F nothing {SCRATCH}/u {SCRATCH}/none 2>/dev/null; echo rc=$?",
    f"grep -h -o -F -e Owner -e Work {SCRATCH}/u {SCRATCH}/u",
    f"for w in $(grep -h -o -F -e Owner -e Work {SCRATCH}/u); do echo w=$w; done",
    f"grep -c -F -e User {SCRATCH}/u",
    f"grep -x -F Users: {SCRATCH}/u",
    f"for f in {SCRATCH}/u {SCRATCH}/none; do cat $f 2>/dev/null | grep -c Info; done",
    f"for x in 1 2; do (echo job$x) >{SCRATCH}/j$x & done; wait; cat {SCRATCH}/j2 {SCRATCH}/j1",
]


def simulated(line: str, files: dict[str, bytes] | None = None) -> Output:
    table = {**_PLAIN_COMMANDS, **FILE_COMMANDS}
    return Shell(table, {} if files is None else files, Timing.of(0, 8)).run(line)


def real(shell: str, line: str, tmp: Path) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [shell, "-c", line.replace(SCRATCH, str(tmp))], capture_output=True, timeout=20, check=False
    )


@pytest.mark.parametrize("shell", SHELLS)
@pytest.mark.parametrize("line", LINES)
def test_a_line_does_what_a_real_sh_does(shell: str, line: str, tmp_path: Path) -> None:
    ours = simulated(SETUP + line)
    theirs = real(shell, SETUP + line, tmp_path)
    assert (ours.stdout.decode(), ours.status) == (theirs.stdout.decode(), theirs.returncode)


FIELD = st.text(alphabet="ab {:\t\\", max_size=12)


@given(FIELD, st.integers(1, 4))
@settings(max_examples=60, deadline=None)
def test_read_splits_a_line_as_mksh_does(text: str, names: int) -> None:
    shell = SHELLS[0]
    variables = " ".join(f"v{i}" for i in range(names))
    shown = "".join(f"[${{v{i}}}]" for i in range(names))
    show = f"printf '%s\\n' \"{shown}\""  # not echo: mksh's echo reads backslashes
    line = f"printf '%s\\n' \"$L\" | {{ IFS='{{: ' read -r {variables}; {show}; }}"
    ours_line = f"while IFS='{{: ' read -r {variables}; do {show}; done"
    ours = Shell({**_PLAIN_COMMANDS, **FILE_COMMANDS}, {}, Timing.of(0, 8))
    ours.variables["L"] = text
    got = ours.run(f"printf '%s\\n' \"$L\" | {ours_line}").stdout.decode()
    theirs = subprocess.run(
        [shell, "-c", line], capture_output=True, timeout=20, check=False, env={"L": text}
    )
    assert got == theirs.stdout.decode()


# --- the scan's whole script ------------------------------------------------------------------

PRELUDE = r"""
getprop() { echo '[ro.build.version.sdk]: [34]'; }
dumpsys() { echo "Packages:"; echo "  Package [$2] (1a2b3c):"; }
pm() {
  if [ "$1 $2" = "list users" ]; then
    printf 'Users:\n\tUserInfo{0:Owner:c13} running\n\tUserInfo{10:Work profile:1030} running\n'
    printf '\tUserInfo{11:$(reboot) `x`;y:0}\n\tUserInfo{1x:bad:0}\n'
    return 0
  fi
  for a; do :; done
  echo "package:com.user$a.app"
  case $a in 10) echo package:com.zhiliaoapp.musically;; 11) return 3;; esac
}
"""


def _getprop(_shell: Shell, _argv: list[str], _stdin: bytes) -> Output:
    return Output.of(stdout="[ro.build.version.sdk]: [34]\n")


def _dumpsys(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    return Output.of(stdout=f"Packages:\n  Package [{argv[2]}] (1a2b3c):\n")


def _pm(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
    if argv[1:3] == ["list", "users"]:
        users = USERS + "\tUserInfo{11:$(reboot) `x`;y:0}\n\tUserInfo{1x:bad:0}\n"
        return Output.of(stdout=users)
    user = argv[-1]
    text = f"package:com.user{user}.app\n"
    text += "package:com.zhiliaoapp.musically\n" if user == "10" else ""
    return Output.of(stdout=text, status=3 if user == "11" else 0)


@pytest.mark.parametrize("shell", SHELLS)
def test_the_one_stage_script_reads_the_same_in_a_real_sh(shell: str, tmp_path: Path) -> None:
    first = [
        ("props", commands.getprop()),
        ("users", commands.list_users()),
        ("system", commands.list_packages(commands.SYSTEM_FLAGS, 0)),
        ("apps:0", commands.list_packages(commands.THIRD_PARTY_FLAGS, 0)),
        ("installed:0", commands.list_packages((), 0)),
    ]
    stage = build_one_stage(first, ["com.zhiliaoapp.musically", "com.user0.app", "not.there"])
    table = {**_PLAIN_COMMANDS, **FILE_COMMANDS, "pm": _pm, "getprop": _getprop}
    files: dict[str, bytes] = {}
    ours = Shell({**table, "dumpsys": _dumpsys}, files, Timing.of(10, 8)).run(stage.text)
    theirs = real(shell, PRELUDE + stage.text, tmp_path)
    assert theirs.returncode == ours.status == 0, theirs.stderr
    mine, _ = parse_sections(ours.merged.decode(), stage.nonce)
    real_sections, _ = parse_sections(theirs.stdout.decode(), stage.nonce)
    assert mine == real_sections
    assert set(mine) >= {"apps:10", "installed:10", "disabled:10", "apps:11", "detail:0"}
    assert mine["apps:11"].exit_code == 3
    assert not any(":1x" in name for name in mine)  # not a user number: never asked about
    detail = dict(enumerate(stage.candidates))
    described = {detail[int(n.split(":")[1])] for n in mine if n.startswith("detail:")}
    assert described == {"com.zhiliaoapp.musically", "com.user0.app"}
    assert files == {} and not list(tmp_path.iterdir())  # every scratch file removed


LOOP_SOUP = ["while", "until", "for", "x", "in", "do", "done", "case", "esac", ";;", ")", "(",
             "|", "read", "-r", "IFS=:", "echo", "$x", "*", "''", ";", "&", "\n", "true",
             "false", "getprop", f"<{SCRATCH}/u", "$(echo a b)", "wait", "grep", "-q"]  # fmt: skip


@given(st.lists(st.sampled_from(LOOP_SOUP), max_size=30))
@settings(max_examples=300, deadline=None)
def test_any_mix_of_loop_words_never_crashes_or_hangs(tokens: list[str]) -> None:
    out = Shell({**_PLAIN_COMMANDS, **FILE_COMMANDS}, {}, Timing.of(1, 2)).run(" ".join(tokens))
    assert 0 <= out.status <= 255


def test_a_shell_without_loops_refuses_the_whole_line() -> None:
    timing = Timing.of(0, 8, loops=False)
    for line in ("for x in a; do echo $x; done", "case a in a) echo a;; esac", "echo a; while"):
        out = Shell(dict(_PLAIN_COMMANDS), {}, timing).run(line)
        assert out.status == 1 and out.stdout == b"" and b"syntax error" in out.stderr
