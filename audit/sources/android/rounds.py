"""Running a scan's commands on a phone: one shell script per round trip, read back section by
section, and the fallbacks for the flags an older or OEM `pm` rejects.

A `PhoneScan` remembers what the phone taught it (the flags it rejects, whether it went away,
whether its shell runs jobs side by side), so a list is retried without a rejected flag and only
the failed lists are sent again.

The programs of a round run side by side on the phone (jobs.py): a real phone charges per
program started, so a round costs about its slowest program instead of their sum. A shell that
cannot (nothing of the round comes back: `&` refused, no scratch files) gets the same commands
one after another in one more round trip, and only that way for the rest of the scan.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from audit.errors import DeviceError, DeviceNotAnswering
from audit.i18n import _
from audit.progress import CancelCheck, raise_if_cancelled
from audit.sources.android import commands
from audit.sources.android.commands import OPTIONAL_FLAGS, Argv
from audit.sources.android.jobs import build_jobs_script
from audit.sources.android.parsers import (
    CommandError,
    ErrorKind,
    PackageEntry,
    Problem,
    Section,
    decode_output,
    find_command_error,
    non_package_text,
    parse_package_list,
    parse_package_names,
    parse_sections,
)
from audit.sources.android.shell import Shell
from audit.text import visible

log = logging.getLogger(__name__)

MAX_ROUNDS = 6
"""Round trips for the package lists: first try plus one per flag an old `pm` may reject."""

DROPPABLE = OPTIONAL_FLAGS | {"-u", "--user"}
"""Options the scan can do without; without -u removed-for-user apps cannot be seen."""


@dataclass(frozen=True)
class ListSpec:
    """One `pm list packages` the scan wants, under the name of its output section."""

    name: str
    flags: Argv
    user: int
    names_only: bool = False  # a plain list: only the names are kept


@dataclass
class ListOutcome:
    entries: list[PackageEntry] | None  # None: could not be read
    reason: str = ""  # why not, in words
    security: bool = False  # the shell may not read this user
    problems: list[Problem] = field(default_factory=list)
    names: set[str] | None = None  # what a names-only list read (then `entries` is [])

    def name_set(self) -> set[str] | None:
        if self.entries is None:
            return None
        return self.names if self.names is not None else {e.name for e in self.entries}


class Scripted(Protocol):
    """A script to send: its text and the nonce of its markers."""

    @property
    def nonce(self) -> str: ...

    @property
    def text(self) -> str: ...


@dataclass
class Cost:
    rounds: int = 0


class PhoneScan:
    """One scan of one phone through a Shell; keeps what the phone taught us (rejected flags)."""

    def __init__(
        self, shell: Shell, serial: str, cancelled: CancelCheck, *, concurrent: bool = True
    ) -> None:
        self.shell = shell
        self.serial = serial
        self.cancelled = cancelled
        self.rejected: set[str] = set()
        self.gone: DeviceError | None = None
        self.cost = Cost()
        self.concurrent = concurrent  # False once the phone's shell showed it cannot

    # --- running scripts -------------------------------------------------------------

    def run_script(self, sections: Sequence[tuple[str, Argv]]) -> dict[str, Section]:
        """Run commands as one shell invocation, side by side where the phone can; {} once
        the phone is gone."""
        concurrent = self.concurrent and len(sections) > 1
        parsed = self._run_once(sections, concurrent)
        if concurrent and not parsed and self.gone is None:
            # Not one section came back: the shell refused the jobs or their scratch files
            # (what it said is logged). The same commands, one after another.
            log.info("phone %s cannot run programs side by side: one by one", self.serial)
            self.concurrent = False
            parsed = self._run_once(sections, False)
        return parsed

    def _run_once(
        self, sections: Sequence[tuple[str, Argv]], concurrent: bool
    ) -> dict[str, Section]:
        if not sections:
            return {}
        script = build_jobs_script(sections) if concurrent else commands.build_script(sections)
        return self.run_text(script, concurrent)

    def run_text(self, script: Scripted, concurrent: bool = True) -> dict[str, Section]:
        """Run a script built elsewhere (onestage.py) and read its sections; {} once the phone
        is gone or when it ran none of them."""
        if self.gone is not None:
            return {}
        raise_if_cancelled(self.cancelled)
        try:
            output = self.shell.run(script.text)
        except DeviceError as error:
            if self.cost.rounds == 0:
                raise  # nothing read yet: the phone is not there, say so plainly
            log.info("phone %s went away mid-scan: %s", self.serial, error.message)
            self.gone = error
            return {}
        finally:
            self.cost.rounds += 1
        text, problems = decode_output(output.output)
        for problem in problems:
            log.info("phone %s: %s", self.serial, problem.message)
        # Bytes that are not UTF-8 become U+FFFD: a package line holding one fails the name
        # grammar and is reported by the list parser, so nothing is lost silently.
        parsed, section_problems = parse_sections(text, script.nonce)
        for problem in section_problems:
            log.info("phone %s: %s", self.serial, problem.message)
        if concurrent and not parsed:
            log.info("phone %s ran no job: %s", self.serial, error_words(text, limit=300))
        return parsed

    def missing_reason(self) -> str:
        if isinstance(self.gone, DeviceNotAnswering):
            return _("the phone stopped answering during the scan")
        if self.gone is not None:
            return _("the phone was disconnected during the scan")
        return _("the phone's answer was cut off")

    # --- package lists with fallbacks --------------------------------------------------

    def list_argv(self, spec: ListSpec) -> Argv | None:
        """The command for a list with the phone's rejected flags removed; None if impossible."""
        if any(flag in self.rejected and flag not in DROPPABLE for flag in spec.flags):
            return None
        flags = tuple(flag for flag in spec.flags if flag not in self.rejected)
        user: int | None = spec.user
        if "--user" in self.rejected:
            if spec.user != 0:
                return None
            user = None  # the default user of an old pm is user 0
        return commands.list_packages(flags, user)

    def outcome(
        self, section: Section | None, names_only: bool = False
    ) -> tuple[ListOutcome, CommandError | None]:
        if section is None:
            return ListOutcome(None, self.missing_reason()), None
        if not section.complete or _cut_mid_line(section.text):
            return ListOutcome(None, _("the phone's answer was cut off")), None
        text = section.text
        if names_only:
            names, problems = parse_package_names(text)
            outcome = ListOutcome([], problems=problems, names=names)
        else:
            entries, problems = parse_package_list(text)
            outcome = ListOutcome(entries, problems=problems)
        # Only output with lines that are not packages can hold an error (a clean list, the
        # usual case, is not searched for one).
        error = find_command_error(non_package_text(text)) if outcome.problems else None
        if error is not None:
            if error.kind is ErrorKind.SECURITY:
                return (
                    ListOutcome(
                        None,
                        _(
                            "the phone does not let USB debugging read this profile ({message})"
                        ).format(message=error.message),
                        security=True,
                    ),
                    error,
                )
            unknown = error.kind is ErrorKind.UNKNOWN_OPTION
            said = error.message if unknown else error_words(text)
            return ListOutcome(None, _("the phone answered: {said}").format(said=said)), error
        if section.exit_code:
            said = error_words(text)
            why = _("pm failed with exit status {status}").format(status=section.exit_code)
            if said:
                # Translators: why a list failed, then what the phone printed.
                why = _("{why}: {said}").format(why=why, said=said)
            return ListOutcome(None, why), None
        return outcome, None

    def run_lists(
        self,
        specs: Sequence[ListSpec],
        extra: Sequence[tuple[str, Argv]] = (),
        answered: Mapping[str, Section] | None = None,
    ) -> tuple[dict[str, ListOutcome], dict[str, Section]]:
        """Run list commands (plus `extra` plain commands in the first round), retrying each
        list whose flags the phone rejects without those flags.

        `answered`: the first round was already run (onestage.py) and these are its sections.
        A list the phone's own script left out (no section at all) is then asked for again,
        never taken as empty: the script's loop is the phone's, and untrusted."""
        results: dict[str, ListOutcome] = {}
        extra_sections: dict[str, Section] = {}
        pending = list(specs)
        first = True
        if answered is not None:
            extra_sections = {
                name: answered[name]
                for name, _ in extra
                if section_text(answered, name)[0] is not None
            }
            pending = self._read_answered(specs, answered, results)
            # Plain commands it left out or cut short are asked again with them.
            extra = [(name, argv) for name, argv in extra if name not in extra_sections]
            first = bool(extra)
        for _round in range(MAX_ROUNDS):
            runnable: list[tuple[ListSpec, Argv]] = []
            for spec in pending:
                argv = self.list_argv(spec)
                if argv is None:
                    results[spec.name] = ListOutcome(None, self._impossible(spec))
                else:
                    runnable.append((spec, argv))
            if not runnable and not (first and extra):
                break
            sections = self.run_script(
                [*(extra if first else ()), *((s.name, argv) for s, argv in runnable)]
            )
            if first:
                extra_sections |= {name: sections[name] for name, _ in extra if name in sections}
                first = False
            retry: list[ListSpec] = []
            for spec, argv in runnable:
                outcome, error = self.outcome(sections.get(spec.name), spec.names_only)
                if self._rejects(error, argv):
                    retry.append(spec)
                else:
                    results[spec.name] = outcome
            if not retry:
                break
            pending = retry
        for spec in specs:
            results.setdefault(spec.name, ListOutcome(None, _("the phone kept rejecting options")))
        return results, extra_sections

    def _read_answered(
        self,
        specs: Sequence[ListSpec],
        answered: Mapping[str, Section],
        results: dict[str, ListOutcome],
    ) -> list[ListSpec]:
        """Read the lists a script already answered into `results`; those it left out, and
        those to retry without a flag the phone rejected, are returned."""
        retry = [spec for spec in specs if spec.name not in answered]
        if retry and self.gone is None:
            log.info(
                "phone %s: its script left out %s: asking again",
                self.serial,
                ", ".join(spec.name for spec in retry),
            )
        for spec in specs:
            if spec.name not in answered:
                continue
            outcome, error = self.outcome(answered[spec.name], spec.names_only)
            # The script asked with every flag (nothing was known yet to have been rejected).
            if self._rejects(error, commands.list_packages(spec.flags, spec.user)):
                retry.append(spec)
            else:
                results[spec.name] = outcome
        return retry

    def _rejects(self, error: CommandError | None, argv: Argv) -> bool:
        """Whether the phone rejected a flag the list can do without (remembered)."""
        if (
            error is not None
            and error.kind is ErrorKind.UNKNOWN_OPTION
            and error.option in DROPPABLE
            and error.option in argv
        ):
            log.info("phone %s rejects %s: falling back", self.serial, error.option)
            self.rejected.add(error.option)
            return True
        return False

    def _impossible(self, spec: ListSpec) -> str:
        if "--user" in self.rejected and spec.user != 0:
            return _("this phone's package manager cannot list other users (it rejects --user)")
        return _("this phone's package manager rejects the options needed: {options}").format(
            options=", ".join(sorted(self.rejected))
        )


ERROR_WORDS_LIMIT = 500
"""Characters of a phone's error shown in a report: the whole message and the first lines of a
Java stack trace, not a page of it."""


def error_words(text: str, limit: int = ERROR_WORDS_LIMIT) -> str:
    """What the phone printed besides package lines, as one bounded line a person can read:
    the first line of a Java error is often only "Exception occurred while executing 'list':",
    and the reason is on the next."""
    lines = [line.strip() for line in non_package_text(text).splitlines()]
    return visible(" ".join(line for line in lines if line), limit=limit)


def _cut_mid_line(text: str) -> bool:
    """Whether a command's output stops inside a line. Every command the scan runs ends its
    output with a newline; text after the last one means the output was cut short, though the
    end marker arrived (a program killed mid-write), so the last line cannot be trusted."""
    return bool(text) and not text.endswith("\n")


def section_text(sections: Mapping[str, Section], name: str) -> tuple[str | None, str]:
    """The text of a plain command's section, or None and why not."""
    section = sections.get(name)
    if section is None:
        return None, _("no answer")
    if not section.complete or _cut_mid_line(section.text):
        return None, _("the answer was cut off")
    return section.text, ""
