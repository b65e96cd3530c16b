"""Removal plans: for each violation, the steps that bring the device into compliance.

On a phone, a user-installed app is uninstalled for the user it is in (or every user, when the
person asks). A copy that came with the phone cannot be deleted over USB: it can be removed for
a user (restorable) or disabled, and the policy's compliant states decide which of those counts.
When neither counts, the plan says so and asks the person to contact IT. This computer's plans
are in local_plan.py. Anything Device Audit cannot do itself is a MANUAL step.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace

from audit.i18n import N_, _
from audit.model import (
    ActionKind,
    AppState,
    Assessment,
    Device,
    DeviceKind,
    Finding,
    FindingStatus,
    InstalledApp,
    Policy,
    ScanResult,
    UserKind,
)
from audit.profiles import words_of
from audit.remediation.local_plan import local_plan
from audit.remediation.steps import (
    Operation,
    RemovalPlan,
    Rights,
    Step,
    StepKind,
    Target,
    automatic_step,
    manual_step,
)
from audit.sources.android.packages import shell_refusal
from audit.states import explained, how_to_remove

# What each accepted state means, inside a sentence ("This policy accepts {removed}").
ACCEPTED_WORDS: dict[AppState, str] = {
    AppState.REMOVED_FOR_USER: N_(
        "'removed for this user' (the copy built into the phone stays, and can be restored)"
    ),
    AppState.DISABLED: N_("'disabled' (the app stays on the phone, switched off)"),
}


def build_plans(
    assessment: Assessment,
    *,
    all_users: bool = False,
    rights: Rights | None = None,
) -> tuple[RemovalPlan, ...]:
    """One plan per VIOLATION finding, in the order of the findings.

    `all_users` removes a user-installed phone app from every user in one step (the step has
    the same id in each of that app's plans, so it runs once). `rights` says what this process
    may do on this computer (default: what it may do now).
    """
    rights = rights if rights is not None else Rights.current()
    return tuple(
        plan_for(f, assessment, all_users=all_users, rights=rights) for f in assessment.violations
    )


def plan_for(
    finding: Finding,
    assessment: Assessment,
    *,
    all_users: bool = False,
    rights: Rights | None = None,
) -> RemovalPlan:
    if finding.status is not FindingStatus.VIOLATION:
        raise ValueError(f"only violations need a removal plan, not {finding.status.value}")
    device = assessment.scan.device
    if device.kind is DeviceKind.ANDROID:
        kept = any(
            f.status is FindingStatus.EXCEPTED
            and f.app.identifier == finding.app.identifier
            and f.app.user != finding.app.user
            for f in assessment.findings
        )
        return android_plan(
            finding, assessment.scan, assessment.policy, all_users=all_users, kept_elsewhere=kept
        )
    if device.kind is DeviceKind.IOS:
        from audit.sources.ios.removal import iphone_plan

        return iphone_plan(finding, assessment.scan)
    return local_plan(finding, device, rights=rights if rights is not None else Rights.current())


# --- phones --------------------------------------------------------------------------------


def profile_words(scan: ScanResult, user: str) -> tuple[str, str, str]:
    """(label, with a capital, in a sentence) for an Android user: ("Work profile", "the Work
    profile", "the work profile")."""
    words = words_of(scan.user(user), user)
    return words.label, words.name, words.lower


def device_words(device: Device) -> str:
    return device.name or device.model or device.serial or _("this phone")


def android_target(finding: Finding, scan: ScanResult) -> Target:
    app = finding.app
    label, capital, _lower = profile_words(scan, app.user)
    return Target(
        device_id=scan.device.id,
        device_name=device_words(scan.device),
        identifier=app.identifier,
        id_kind=app.kind,
        user=app.user,
        user_label=label,
        app_name=distinct_label(app, scan),
        user_words=capital if scan.user(app.user) is not None else "",
    )


def distinct_label(app: InstalledApp, scan: ScanResult) -> str:
    """The app's name, with its identifier when another app on the device has the same name
    ("TikTok (com.ss.android.ugc.trill)"): two steps both called "Remove TikTok" would leave a
    person unsure which one was done."""
    if app.name and any(
        other.name == app.name and other.identifier != app.identifier for other in scan.apps
    ):
        return f"{app.name} ({app.identifier})"  # a name and an id: nothing to translate
    return app.label


def accepted_note(policy: Policy, app_label: str) -> str:
    """Which of the two ways to keep a built-in app off the screen the policy accepts, and what
    each means; or that it accepts neither."""
    states = policy.compliant_states
    removed = AppState.REMOVED_FOR_USER in states
    disabled = AppState.DISABLED in states
    yes_removed, yes_disabled = (
        _(ACCEPTED_WORDS[AppState.REMOVED_FOR_USER]),
        _(ACCEPTED_WORDS[AppState.DISABLED]),
    )
    if removed and disabled:
        return _("This policy accepts {removed} and {disabled}.").format(
            removed=yes_removed, disabled=yes_disabled
        )
    if removed:
        return _("This policy accepts {removed} but not 'disabled'.").format(removed=yes_removed)
    if disabled:
        return _(
            "This policy accepts {disabled} but not 'removed for this user' (the copy "
            "built into the phone would stay)."
        ).format(disabled=yes_disabled)
    return _(
        "This policy accepts neither 'removed for this user' nor 'disabled': {app} came "
        "with the phone, and the policy requires the manufacturer's copy to be gone, which "
        "cannot be done over USB."
    ).format(app=app_label)


def android_plan(
    finding: Finding,
    scan: ScanResult,
    policy: Policy,
    *,
    all_users: bool = False,
    kept_elsewhere: bool = False,
) -> RemovalPlan:
    """The steps for one phone app. `kept_elsewhere`: another user's copy of the same app is
    kept under an exemption, so it must not be removed from every user at once."""
    app = finding.app
    target = android_target(finding, scan)
    device = device_words(scan.device)
    _label, capital, sentence = profile_words(scan, app.user)
    name = target.app_name
    profile = scan.user(app.user)
    work = profile is not None and profile.kind is UserKind.WORK_PROFILE
    by_hand = _on_the_phone_step(target, capital, policy, system=app.system, work=work)
    if app.state is AppState.HIDDEN:
        by_hand = _unfreeze_step(target, capital, system=app.system, work=work)
    refusal = shell_refusal(app.identifier)
    if refusal:  # a name that may be listed but not sent to a shell: by hand, and why
        refused = replace(by_hand, why_manual=refusal)
        return RemovalPlan(finding, scan.device, (refused,))
    if app.state is AppState.HIDDEN:
        return _hidden_plan(finding, scan, target, device, by_hand, kept_elsewhere=kept_elsewhere)
    if not app.system:
        if all_users:
            step = _uninstall_all_users(finding, scan, target, device)
        else:
            step = automatic_step(
                ActionKind.UNINSTALL,
                Operation.PHONE,
                target,
                # Translators: {where} is a profile after a preposition ("the Work profile"),
                # {where_lower} the same in the middle of a sentence ("the work profile").
                title=_("Remove {app} from {where}").format(app=name, where=capital),
                confirmation=_(
                    "{app} will be uninstalled from {where} on {device}. Its data in "
                    "{where_lower} will be deleted. Other profiles are not changed."
                ).format(app=name, where=capital, device=device, where_lower=sentence),
            )
        if app.state is AppState.SUSPENDED:  # say why a paused app still has to go
            paused = _("{app} is {state}; pausing does not remove it. {confirmation}").format(
                app=name,
                state=explained(app.state, capital),
                confirmation=step.confirmation,
            )
            step = replace(step, confirmation=paused)
        return RemovalPlan(finding, scan.device, (step,), (by_hand,))

    note = accepted_note(policy, name)
    options: list[Step] = []
    states = policy.compliant_states
    if AppState.REMOVED_FOR_USER in states and app.state is not AppState.REMOVED_FOR_USER:
        options.append(
            automatic_step(
                ActionKind.UNINSTALL,
                Operation.PHONE,
                target,
                title=_("Remove {app} for {where}").format(app=name, where=capital),
                confirmation=_(
                    "{app} came with {device}, so it cannot be deleted from the phone. It will "
                    "be removed for {where_lower}: it disappears there and its data in "
                    "{where_lower} is deleted, while the copy built into the phone stays and can "
                    "be restored later. Other profiles are not changed. {note}"
                ).format(app=name, device=device, where_lower=sentence, note=note),
                restorable=True,
            )
        )
    if AppState.DISABLED in states and app.state is AppState.INSTALLED:
        options.append(
            automatic_step(
                ActionKind.DISABLE,
                Operation.PHONE,
                target,
                title=_("Disable {app} in {where}").format(app=name, where=capital),
                confirmation=_(
                    "{app} came with {device}, so it cannot be deleted from the phone. It will "
                    "be disabled in {where_lower}: it stays on the phone but cannot run, and can "
                    "be enabled again later. Other profiles are not changed. {note}"
                ).format(app=name, device=device, where_lower=sentence, note=note),
                restorable=True,
            )
        )
    if options:
        return RemovalPlan(
            finding, scan.device, (options[0],), (*options[1:], by_hand), policy_note=note
        )
    contact = _contact_it_step(target, device, policy, note)
    return RemovalPlan(finding, scan.device, (contact,), policy_note=note)


def _hidden_plan(
    finding: Finding,
    scan: ScanResult,
    target: Target,
    device: str,
    unfreeze: Step,
    *,
    kept_elsewhere: bool,
) -> RemovalPlan:
    """A hidden ("frozen") app is still installed, but Android's `pm uninstall --user N` does
    not find it (it answers "not installed for N"), so it cannot be removed from its profile
    over USB. An app the person installed can still be uninstalled from every user at once;
    a built-in one, or one another profile keeps under an exemption, must be unfrozen first."""
    app = finding.app
    _label, capital, _lower = profile_words(scan, app.user)
    app_name, state = target.app_name, explained(AppState.HIDDEN, capital)
    if app.system or kept_elsewhere:
        if app.system:
            why = _(
                "{app} is {state}. Unfreeze it first: it came with the phone, so it can only be "
                "removed for one profile, and Android does not do that for a frozen app over USB."
            )
        else:
            why = _(
                "{app} is {state}. Unfreeze it first: another profile keeps it under an "
                "exemption, so it cannot be removed from every profile at once, and Android does "
                "not remove a frozen app from one profile over USB."
            )
        step = replace(unfreeze, why_manual=why.format(app=app_name, state=state))
        return RemovalPlan(finding, scan.device, (step,))
    everywhere = _uninstall_all_users(finding, scan, target, device)
    step = replace(
        everywhere,
        confirmation=_(
            "{app} is {state}. Android does not let USB debugging remove a frozen app from one "
            "profile, so it will be removed from every profile instead. {confirmation}"
        ).format(app=app_name, state=state, confirmation=everywhere.confirmation),
    )
    return RemovalPlan(finding, scan.device, (step,), (unfreeze,))


def _unfreeze_step(target: Target, where: str, *, system: bool, work: bool) -> Step:
    """`work`: the app is in a work profile, whose apps Settings lists under a 'Work' tab."""
    name, device = target.app_name, target.device_name
    # Translators: Settings > Apps, 'Work' and Uninstall are the phone's own words.
    if system:
        then = _(
            "Come back here and check again: Device Audit can then remove it for that profile."
        )
        confirmation = _("I unfroze {app} in {where} on {device}.")
    else:
        then = (
            _(
                "Open Settings > Apps, switch to the 'Work' tab, tap {app}, then Uninstall, and "
                "confirm."
            )
            if work
            else _("Open Settings > Apps, tap {app}, then Uninstall, and confirm.")
        ).format(app=name)
        confirmation = _("I unfroze {app} in {where} on {device} and removed it.")
    return manual_step(
        target,
        "unfreeze",
        _("Unfreeze {app} in {where}, then remove it").format(app=name, where=where),
        (
            _(
                "Unlock {device} and open the app that froze {app} in {where} "
                "(Shelter, Island, Insular, or the profile's management app)."
            ).format(device=device, app=name, where=where),
            _("Unfreeze {app} there: freezing only hides it, it is still installed.").format(
                app=name
            ),
            then,
            _come_back(),
        ),
        confirmation=confirmation.format(app=name, where=where, device=device),
        why=how_to_remove(AppState.HIDDEN),
    )


def _come_back() -> str:
    return _("Come back here and confirm you have done it; Device Audit then checks the phone.")


def _uninstall_all_users(finding: Finding, scan: ScanResult, target: Target, device: str) -> Step:
    app = finding.app
    name = target.app_name
    users = [
        profile_words(scan, u.id)[2]
        for u in scan.users
        if any(
            a.identifier == app.identifier and a.user == u.id and a.state.on_device
            for a in scan.apps
        )
    ]
    if users:
        confirmation = _(
            "{app} will be uninstalled from every user and profile on {device} (it is in "
            "{profiles}). All its data on the phone will be deleted."
        ).format(app=name, device=device, profiles=_and(users))
    else:
        confirmation = _(
            "{app} will be uninstalled from every user and profile on {device}. All its data on "
            "the phone will be deleted."
        ).format(app=name, device=device)
    return Step(
        id=f"{ActionKind.UNINSTALL_ALL_USERS.value}/{app.identifier}",
        kind=StepKind.AUTOMATIC,
        action=ActionKind.UNINSTALL_ALL_USERS,
        operation=Operation.PHONE,
        target=replace(target, user="", user_label=_("every user"), user_words=""),
        title=_("Remove {app} from every user and profile").format(app=name),
        confirmation=confirmation,
    )


def _and(words: Sequence[str]) -> str:
    """ "a", "a and b", "a, b and c"."""
    if len(words) < 2:
        return "".join(words)
    # Translators: the end of a list: "the main profile, Secure Folder and the work profile"
    return _("{items} and {last}").format(items=", ".join(words[:-1]), last=words[-1])


# Translators: Disable, Turn off, Force stop and Uninstall updates are the phone's own words.
BUILT_IN_OFFERS = N_(
    "Android offers no Uninstall for an app that came with the phone: its page in Settings "
    "offers Disable (on some phones Turn off), Force stop and, in the \u22ee menu, Uninstall "
    "updates."
)


def _on_the_phone_step(
    target: Target, where: str, policy: Policy, *, system: bool, work: bool
) -> Step:
    """`work`: the app is in a work profile, whose apps Settings lists under a 'Work' tab."""
    name = target.app_name
    # Translators: Settings > Apps and 'Work' are the phone's own words.
    if work:
        unlock = _(
            "Unlock {device}, open Settings > Apps, switch to the 'Work' tab at the top of the "
            "list."
        )
    else:
        unlock = _("Unlock {device}, open Settings > Apps.")
    unlock = unlock.format(device=target.device_name)
    if system:
        return _built_in_on_the_phone_step(target, where, policy, unlock)
    return manual_step(
        target,
        "phone",
        _("Remove {app} on the phone yourself").format(app=name),
        (
            unlock,
            _("Tap {app}, then tap Uninstall, and confirm.").format(app=name),
            _come_back(),
        ),
        confirmation=_("I removed {app} from {where} on {device} myself.").format(
            app=name, where=where, device=target.device_name
        ),
        why=_on_the_phone_why(),
    )


def _on_the_phone_why() -> str:
    return _("Do it on the phone when Device Audit could not do it over USB.")


def _built_in_on_the_phone_step(target: Target, where: str, policy: Policy, unlock: str) -> Step:
    """What a person can do on the phone about a built-in app: what the phone offers (never
    Uninstall) and which of it the policy accepts."""
    name, device = target.app_name, target.device_name
    not_enough = _(
        "Force stop and Uninstall updates are not enough: {app} stays on the phone, ready to "
        "use (Uninstall updates only takes it back to the version the phone came with)."
    ).format(app=name)
    offers = _(BUILT_IN_OFFERS)
    if AppState.DISABLED in policy.compliant_states:
        return manual_step(
            target,
            "phone",
            _("Disable {app} on the phone yourself").format(app=name),
            (
                unlock,
                _("Tap {app}. {offers}").format(app=name, offers=offers),
                _(
                    "Tap Disable (or Turn off) and confirm: this policy accepts {accepted}. "
                    "{not_enough}"
                ).format(accepted=_(ACCEPTED_WORDS[AppState.DISABLED]), not_enough=not_enough),
                _come_back(),
            ),
            confirmation=_("I disabled {app} in {where} on {device} myself.").format(
                app=name, where=where, device=device
            ),
            why=_on_the_phone_why(),
        )
    if policy.exception_route:
        ask = _(
            "Plug the phone in again and press the button above, or ask your IT department "
            "(exceptions: {route})."
        ).format(route=policy.exception_route)
    else:
        ask = _("Plug the phone in again and press the button above, or ask your IT department.")
    return manual_step(
        target,
        "phone",
        _("If Device Audit cannot remove {app} over USB").format(app=name),
        (
            _(
                "{offers} None of these is accepted by this policy: it accepts {accepted}, which "
                "only Device Audit can do, over USB. Disable leaves {app} on the phone, switched "
                "off. {not_enough}"
            ).format(
                offers=offers,
                accepted=_(ACCEPTED_WORDS[AppState.REMOVED_FOR_USER]),
                app=name,
                not_enough=not_enough,
            ),
            ask,
        ),
        confirmation=_("I asked IT about {app} in {where} on {device}.").format(
            app=name, where=where, device=device
        ),
        why=_("The phone itself cannot remove an app it came with."),
    )


def _contact_it_step(target: Target, device: str, policy: Policy, note: str) -> Step:
    name = target.app_name
    instructions = [
        _(
            "{app} is part of the software {device} came with. Removing it for a user or "
            "disabling it is not enough under this policy, and the built-in copy cannot be "
            "deleted over USB."
        ).format(app=name, device=device),
        _(
            "Contact your IT department: they can replace the phone, have the maker's copy "
            "removed, or arrange an exception."
        ),
    ]
    if policy.exception_route:
        instructions.append(_("Exceptions: {route}").format(route=policy.exception_route))
    return manual_step(
        target,
        "contact-it",
        _("Ask IT about the built-in {app}").format(app=name),
        tuple(instructions),
        confirmation=_("I contacted IT about the copy of {app} built into {device}.").format(
            app=name, device=device
        ),
        why=note,
    )


def unique_steps(plans: Sequence[RemovalPlan]) -> tuple[Step, ...]:
    """Every step of the plans (alternatives excluded) once, in order: an all-users removal
    shared by several findings appears once."""
    seen: dict[str, Step] = {}
    for plan in plans:
        for step in plan.steps:
            seen.setdefault(step.id, step)
    return tuple(seen.values())


# --- undoing a mistake -----------------------------------------------------------------------


def undo_step(step: Step) -> Step | None:
    """The step that undoes a restorable phone step: restore a built-in app removed for a user
    (`cmd package install-existing`), or enable a disabled one. None when there is none."""
    if step.operation is not Operation.PHONE or not step.restorable:
        return None
    if step.action is ActionKind.UNINSTALL:
        return restore_step(step.target)
    if step.action is ActionKind.DISABLE:
        target = step.target
        return automatic_step(
            ActionKind.ENABLE,
            Operation.PHONE,
            target,
            title=_("Enable {app} again").format(app=target.app_name),
            # Translators: {profile} is a profile's label ("Work profile").
            confirmation=_(
                "{app} will be enabled again for the {profile} on {device}. If the policy bans "
                "it, the phone will not be compliant."
            ).format(app=target.app_name, profile=target.user_label, device=target.device_name),
        )
    return None


def restore_step(target: Target) -> Step:
    """Bring back a built-in app that was removed for a user by mistake."""
    return automatic_step(
        ActionKind.RESTORE,
        Operation.PHONE,
        target,
        title=_("Restore {app}").format(app=target.app_name),
        confirmation=_(
            "{app} will be installed again for the {profile} on {device}, from the copy built "
            "into the phone. If the policy bans it, the phone will not be compliant."
        ).format(app=target.app_name, profile=target.user_label, device=target.device_name),
    )
