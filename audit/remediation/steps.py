"""What a removal plan is made of: steps a person can follow, one confirmation each.

A step is data, not code: the GUI shows its title and confirmation, the CLI prints them, and an
executor (execute.py) carries out the AUTOMATIC ones. Everything here that came from a device
(app names, paths, device names) is untrusted text: show it as plain text.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from enum import StrEnum

from audit.i18n import _
from audit.model import ActionKind, Device, Finding, IdentifierKind, RunningProcess


class StepKind(StrEnum):
    AUTOMATIC = "automatic"  # Device Audit does it, after the person confirms
    MANUAL = "manual"  # the person does it, then clicks "I've done this"


class Operation(StrEnum):
    """How an executor carries out a step."""

    PHONE = "phone"  # an adb action on the phone (Step.action says which)
    IPHONE = "iphone"  # installation_proxy on an iPhone (audit.sources.ios.removal)
    CLOSE_PROCESSES = "close_processes"  # end the app's running processes on this computer
    RUN_COMMAND = "run_command"  # run an uninstaller or package manager (Step.command)
    MOVE_TO_TRASH = "move_to_trash"  # macOS: move the app bundle (Step.path) to the Trash
    DELETE_FILE = "delete_file"  # delete a single file (an AppImage, Step.path)
    BY_HAND = "by_hand"  # a manual step


@dataclass(frozen=True)
class Target:
    """The app a step acts on: on which device, for which user."""

    device_id: str
    device_name: str
    identifier: str
    id_kind: IdentifierKind
    user: str  # Android user id, or a user name / "system" on a computer
    user_label: str  # what a person calls that user: "Work profile", "everyone on this computer"
    app_name: str  # what to call the app in a sentence
    # The phone's user or profile after a preposition, for the result's words ("removed from
    # the Work profile"); "" on this computer, or when the scan did not name the user.
    user_words: str = ""


@dataclass(frozen=True)
class Step:
    """One thing to do, with the exact words the person agrees to before it is done."""

    id: str  # stable and unique on its device: the session records results under it
    kind: StepKind
    action: ActionKind  # what the ActionResult will record (MANUAL for manual steps)
    operation: Operation
    target: Target
    title: str  # short, for a page heading or a list: "Remove TikTok from the Work profile"
    confirmation: str  # what will happen, in full, shown before it happens
    restorable: bool = False  # can it be undone (restore, enable, Put Back from the Trash)?
    instructions: tuple[str, ...] = ()  # what to do by hand, one sentence per step
    command: tuple[str, ...] = ()  # RUN_COMMAND: the argument list run (never through a shell)
    copy_command: str = ""  # MANUAL: a command the person can copy and run themselves
    path: str = ""  # MOVE_TO_TRASH / DELETE_FILE: the file or bundle
    processes: tuple[RunningProcess, ...] = ()  # CLOSE_PROCESSES: what was seen running
    why_manual: str = ""  # MANUAL: why Device Audit cannot do it itself

    @property
    def automatic(self) -> bool:
        return self.kind is StepKind.AUTOMATIC


def automatic_step(
    action: ActionKind,
    operation: Operation,
    target: Target,
    title: str,
    confirmation: str,
    *,
    way: str = "",
    restorable: bool = False,
    command: tuple[str, ...] = (),
    path: str = "",
    processes: tuple[RunningProcess, ...] = (),
) -> Step:
    """A step Device Audit does itself. Its id is "action[/way]/user/identifier": one form for
    every plan, because the session and the pending-removal record key results by it. `way`
    tells apart two steps with the same action for the same app ("trash", "delete")."""
    prefix = f"{action.value}/{way}" if way else action.value
    return Step(
        id=f"{prefix}/{target.user}/{target.identifier}",
        kind=StepKind.AUTOMATIC,
        action=action,
        operation=operation,
        target=target,
        title=title,
        confirmation=confirmation,
        restorable=restorable,
        command=command,
        path=path,
        processes=processes,
    )


def manual_step(
    target: Target,
    way: str,
    title: str,
    instructions: tuple[str, ...],
    *,
    confirmation: str,
    why: str = "",
    copy_command: str = "",
) -> Step:
    """A step the person does by hand; its id is "manual/way/user/identifier"."""
    return Step(
        id=f"{StepKind.MANUAL.value}/{way}/{target.user}/{target.identifier}",
        kind=StepKind.MANUAL,
        action=ActionKind.MANUAL,
        operation=Operation.BY_HAND,
        target=target,
        title=title,
        confirmation=confirmation,
        instructions=instructions,
        copy_command=copy_command,
        why_manual=why,
    )


@dataclass(frozen=True)
class RemovalPlan:
    """How to bring one finding into compliance: steps in order, and other ways if one fails."""

    finding: Finding
    device: Device
    steps: tuple[Step, ...]
    # Other ways to the same end, offered when a step fails or cannot be done: "disable
    # instead", "remove it on the phone yourself". Any one of them done settles the plan.
    alternatives: tuple[Step, ...] = ()
    # For apps that came with a phone: which states the policy accepts, and what they mean.
    policy_note: str = ""

    @property
    def title(self) -> str:
        if self.steps:
            return self.steps[-1].title
        return _("Remove {app}").format(app=self.finding.app.label)

    @property
    def key(self) -> tuple[str, str, str]:
        return self.finding.key

    @property
    def all_steps(self) -> tuple[Step, ...]:
        return (*self.steps, *self.alternatives)

    @property
    def automatic(self) -> bool:
        """True when Device Audit can do every step itself (after confirmation)."""
        return all(step.automatic for step in self.steps)


@dataclass(frozen=True)
class Rights:
    """What the person running Device Audit may do on this computer without a password prompt.

    Device Audit never asks for a sudo or administrator password: what needs rights the person
    does not have becomes a manual step with the command to copy.
    """

    admin: bool  # root on Linux and macOS; an elevated administrator on Windows

    @classmethod
    def current(cls) -> Rights:
        if sys.platform == "win32":
            try:
                import ctypes

                return cls(admin=bool(ctypes.windll.shell32.IsUserAnAdmin()))  # type: ignore[attr-defined,unused-ignore]
            except (AttributeError, OSError):
                return cls(admin=False)
        geteuid = getattr(os, "geteuid", None)
        return cls(admin=geteuid is not None and geteuid() == 0)
