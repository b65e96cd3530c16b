"""The whole check in ONE shell command: identity, every user's lists and the flagged apps'
details, each program a background job as soon as what it needs is known.

A real phone charges per program (100-400 ms each), and the scan's programs depend on each
other in three stages: the user list names the users whose apps are listed, and the lists say
which of the policy's packages are on the phone, whose details are read. Sent as three round
trips (jobs.py), a check pays the three stages and three round trips; here the phone's shell
chains them itself, so a check is one round trip:

- at once: getprop, `pm list users`, `dumpsys device_policy`, the built-in apps and the lists of
  user 0 (every phone has user 0, so they need not wait for the user list);
- when `pm list users` is done: a `while read` loop over its output starts the lists of every
  other user it names (the user number must be digits, checked by `case`, before it goes into
  a command);
- when user 0's lists are done: `dumpsys package` for each candidate package (the client's
  names, validated and quoted here, never a name the phone printed) that grep finds in them;
  when the other users' lists are done, for the candidates found only there.

Each job writes its own section to its own file (jobs.py), and the files are printed at the
end. The phone's shell is untrusted, and so are its decisions: the client reads the user list
itself and asks again (rounds.PhoneScan.run_lists, `answered`) for any user whose sections the
loop left out, and reads the details of any flagged app in the inventory the script did not
describe (scan.py). A shell without `while`, `case` or `read`, jobs or scratch files runs none
of it (a syntax error runs nothing): the scan falls back to one round trip per stage.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Sequence
from dataclasses import dataclass

from audit.sources.android import commands
from audit.sources.android.commands import Argv, build_script, quote
from audit.sources.android.hints import NO_HINT, Hint
from audit.sources.android.jobs import SCRATCH
from audit.sources.android.packages import is_valid_package_name
from audit.sources.android.parsers import Section
from audit.sources.android.rounds import PhoneScan

log = logging.getLogger(__name__)

USER_LISTS: tuple[tuple[str, Argv, bool], ...] = (
    ("apps", commands.THIRD_PARTY_FLAGS, False),
    ("installed", (), True),
    ("disabled", ("-d",), True),
)
"""Each user's lists: section prefix, `pm list packages` flags, names only."""


SCRIPT_LIMIT = 4000
"""Bytes of script an old phone's adb takes in one request: before Android 7 an adb packet
holds at most 4096 bytes (MAX_PAYLOAD_V1), and the adb server refuses (some versions abort on)
a service name longer than the phone's packets."""


@dataclass(frozen=True)
class OneStage:
    nonce: str
    text: str
    candidates: tuple[str, ...]  # section detail:i is candidates[i]


def _job(nonce: str, name: str, command: str, path: str) -> str:
    begin = f"echo ===DA:{nonce}:{name}:begin==="
    end = f"echo ===DA:{nonce}:{name}:rc=$?==="
    return f"({begin}; {command} 2>&1; {end}) >{path} 2>&1 &"


def build_one_stage(
    first: Sequence[tuple[str, Argv]],
    candidates: Collection[str],
    user0: int = 0,
    hint: Hint = NO_HINT,
) -> OneStage:
    """The script: `first` (identity, users as section "users", built-in apps, user 0's
    lists) at once, then the other users' lists, then the candidates' details. A `hint`
    (hints.py) starts its users' lists and its candidates' details at once as well; the user
    list still decides which users' lists are read, the lists which details count."""
    nonce = build_script(()).nonce
    wanted = tuple(sorted({name for name in candidates if is_valid_package_name(name)}))
    if hint:
        text = _build(nonce, first, wanted, user0, hint)
        if len(text) <= SCRIPT_LIMIT:
            return OneStage(nonce, text, wanted)
        log.info("the hint makes the script too long for an old phone: not used")
    return _plain(nonce, first, wanted, user0)


def _plain(
    nonce: str, first: Sequence[tuple[str, Argv]], wanted: tuple[str, ...], user0: int
) -> OneStage:
    text = _build(nonce, first, wanted, user0, NO_HINT)
    if len(text) > SCRIPT_LIMIT:
        # Too many candidates for an old phone's adb: their details in a round of their own.
        return OneStage(nonce, _build(nonce, first, (), user0, NO_HINT), ())
    return OneStage(nonce, text, wanted)


def _build(
    nonce: str,
    first: Sequence[tuple[str, Argv]],
    wanted: tuple[str, ...],
    user0: int,
    hint: Hint,
) -> str:
    d = f"{SCRATCH}/.da-{nonce}"
    users_file = next(f"$D-{i}" for i, (name, _) in enumerate(first) if name == "users")
    parts = [f"D={d}"]
    files: list[str] = []
    for index, (name, argv) in enumerate(first):
        path = f"$D-{index}"
        parts.append(_job(nonce, name, quote(argv), path))
        files.append(path)
        if name == "users":
            parts.append("U=$!")
        else:
            parts.append(f"P{index}=$!")
    first_lists = [
        f"$D-{i}" for i, (name, _) in enumerate(first) if name.startswith(("system", "apps:"))
    ] + [f"$D-{i}" for i, (name, _) in enumerate(first) if name.startswith("installed:")]
    pids = " ".join(f"$P{i}" for i, (name, _) in enumerate(first) if f"$D-{i}" in first_lists)
    jobs = []
    for prefix, flags, _names_only in USER_LISTS:
        listing = quote(commands.list_packages(flags, None)) + ' --user "$u"'
        jobs.append(_job(nonce, f"{prefix}:$u", listing, f"$D-{prefix}-$u"))
    user_files = " ".join(f"$D-{prefix}-$u" for prefix, _, _ in USER_LISTS)
    # A hint's users (plain numbers, hints.checked) and details start now; their files are
    # always printed and removed, but a user's lists are grepped for details only once the
    # user list names the user (the loop's second case item), and read only if it does.
    hinted = [uid for uid in hint.users if uid != user0]
    if hinted:
        numbers = " ".join(str(uid) for uid in hinted)
        parts.append(
            f'F="{" ".join(files)}"; for u in {numbers}; do {" ".join(jobs)} '
            f'F="$F {user_files}"; done'
        )
        files = ["$F"]
    early = [index for index, name in enumerate(wanted) if name in set(hint.present)]
    for index in early:
        path = f"$D-d{index}"
        parts.append(
            _job(nonce, f"detail:{index}", quote(commands.dumpsys_package(wanted[index])), path)
        )
        files.append(path)
    started = "".join(f" {index}" for index in early)
    parts.append(f'F="{" ".join(files)}"; L0="{" ".join(first_lists)}"; L=; R="{started}"')
    named = 'L="$L $D-apps-$u $D-installed-$u"'
    known = f"{'|'.join(str(uid) for uid in hinted)}) {named};; " if hinted else ""
    parts.append(
        "wait $U; while IFS='{:' read -r a u r; do case $a in *UserInfo) case $u in "
        f"''|{user0}|*[!0-9]*) ;; {known}*) {' '.join(jobs)} "
        f'F="$F {user_files}"; {named};; esac;; esac; done <{users_file}'
    )
    return _text([*parts, *_details(nonce, wanted, pids)])


def _details(nonce: str, wanted: Sequence[str], pids: str) -> list[str]:
    """The details part: twice (once user 0's lists are done, then once every list is), grep
    prints the candidates the lists name; `case` maps each to its number, so the dumpsys runs
    only for a name equal to one of the client's own (a phone's output never becomes a
    command) and at most once (R: the numbers started)."""
    if not wanted:
        return []
    patterns = " ".join(f"-e {quote([name])}" for name in wanted)
    numbers = " ".join(f"{quote([name])}) i={index};;" for index, name in enumerate(wanted))
    job = _job(nonce, "detail:$i", 'dumpsys package "$p"', "$D-d$i")
    return [
        f"for S in 1 2; do case $S in 1) wait {pids}; G=$L0;; *) wait; G=$L;; esac; "
        f"for p in $(grep -h -o -F {patterns} $G); do case $p in {numbers} *) i=;; esac; "
        f'case $i:" $R " in :*|*" $i "*) ;; *) R="$R $i"; F="$F $D-d$i"; {job} ;; esac; '
        "done; done"
    ]


def _text(parts: Sequence[str]) -> str:
    """The parts as one command line; `&` ends a command as `;` does (`a &; b` is a syntax
    error in sh)."""
    lines = [*parts, "wait; cat $F 2>/dev/null; rm -f $F"]
    return "".join(p + (" " if p.endswith("&") else "; ") for p in lines[:-1]) + lines[-1]


def run_one_stage(
    scan: PhoneScan | None,
    first: Sequence[tuple[str, Argv]],
    candidates: Collection[str],
    hint: Hint = NO_HINT,
) -> tuple[dict[str, Section] | None, tuple[str, ...]]:
    """Run the whole check as one script; (None, ()) when the phone's shell could run none of
    it (then the caller goes stage by stage) or `scan` is None (not wanted), else its
    sections and the candidates asked."""
    if scan is None or not scan.concurrent:
        return None, ()
    stage = build_one_stage(first, candidates, hint=hint)
    sections = scan.run_text(stage)
    if not sections:
        if scan.gone is None:
            log.info("phone %s cannot run the check in one script: stage by stage", scan.serial)
        return None, ()
    return sections, stage.candidates
