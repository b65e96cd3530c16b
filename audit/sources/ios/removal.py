"""Removing a banned app from an iPhone: installation_proxy's Uninstall, with the phone's
exact answer recorded, and the way to do it by hand when the phone refuses.

A plan for an iPhone app has one automatic step (Device Audit asks the phone to delete the app,
after the person confirms) and one way by hand (touch and hold the icon, Remove App, Delete
App: not Offload App, which keeps the data and the icon). Either way the rescan with
placeholders, not the phone's "Complete", says whether the app is gone: an offloaded copy left
behind is still a violation.
"""

from __future__ import annotations

from audit.errors import AuditError, DeviceGone
from audit.i18n import _
from audit.model import (
    ActionKind,
    ActionResult,
    AppState,
    Finding,
    IdentifierKind,
    ScanResult,
)
from audit.remediation.execute import step_result
from audit.remediation.steps import (
    Operation,
    RemovalPlan,
    Step,
    StepKind,
    Target,
    automatic_step,
    manual_step,
)
from audit.sources.ios import apps
from audit.sources.ios.scan import IPhoneNotReady, find, session, udid_of
from audit.sources.ios.usbmux import Usbmux
from audit.states import explained
from audit.text import visible

MAX_OUTPUT = 4000


def by_hand(name: str) -> tuple[str, ...]:
    """Deleting an app on the iPhone itself, in words a person follows without pictures."""
    # Translators: Home Screen, Remove App, Delete App, Remove from Home Screen, Delete,
    # Settings > General > iPhone Storage and Offload App are the iPhone's own words: use the
    # French iPhone's (Écran d'accueil, Supprimer l'app, Supprimer de l'écran d'accueil,
    # Réglages > Général > Stockage iPhone, Décharger l'app)
    return (
        _("Unlock the iPhone and go to the Home Screen (swipe up from the bottom edge)."),
        _(
            "Find the {app} icon (swipe left through the pages, or swipe down on the Home Screen "
            "and type {app} to search). An offloaded app shows a small cloud before its name."
        ).format(app=name),
        _("Touch and hold the {app} icon until a menu opens, then tap Remove App.").format(
            app=name
        ),
        _(
            "Tap Delete App (not Remove from Home Screen, which only hides the icon), then tap "
            "Delete to confirm."
        ),
        _(
            "Or: open Settings > General > iPhone Storage, tap {app}, then tap Delete App (not "
            "Offload App, which keeps its data and its icon) and confirm."
        ).format(app=name),
        _(
            "If the iPhone offers no Delete App, the organisation that manages it has switched "
            "deleting apps off: ask its IT department to remove {app} or to allow deleting it."
        ).format(app=name),
    )


def iphone_plan(finding: Finding, scan: ScanResult) -> RemovalPlan:
    app = finding.app
    device = scan.device.name or scan.device.model or _("the iPhone")
    name = app.label
    target = Target(
        device_id=scan.device.id,
        device_name=device,
        identifier=app.identifier,
        id_kind=IdentifierKind.IOS_BUNDLE,
        user=app.user or apps.USER,
        user_label=_("this iPhone"),
        app_name=name,
        user_words=_("the iPhone"),
    )
    if app.state is AppState.OFFLOADED:
        # Translators: {state} is "offloaded (icon kept): its data and its icon are still ..."
        confirmation = _(
            "{app} is {state}; offloading does not remove it. Device Audit will ask {device} to "
            "delete {app} with its data and its icon. It cannot be undone from here; it can be "
            "downloaded again from the App Store."
        )
    else:
        confirmation = _(
            "Device Audit will ask {device} to delete {app} with its data and its icon. It "
            "cannot be undone from here; it can be downloaded again from the App Store."
        )
    step = automatic_step(
        ActionKind.UNINSTALL,
        Operation.IPHONE,
        target,
        title=_("Delete {app} from {device}").format(app=name, device=device),
        confirmation=confirmation.format(app=name, device=device, state=explained(app.state)),
    )
    manual = manual_step(
        target,
        "iphone",
        title=_("Delete {app} on the iPhone yourself").format(app=name),
        instructions=by_hand(name),
        confirmation=_("{app} was deleted on {device} (Delete App, not Offload App).").format(
            app=name, device=device
        ),
        why=_("Do this if the iPhone refuses to delete the app over the cable."),
    )
    return RemovalPlan(finding, scan.device, (step,), (manual,))


class IPhoneExecutor:
    """Carries out an iPhone plan's automatic step over usbmuxd; the phone's answer is the
    result's message and code, word for word."""

    def __init__(self, target: str, *, device_id: str = "", mux: Usbmux | None = None) -> None:
        self.udid = udid_of(target)
        self.device_id = device_id or f"ios:{self.udid}"
        self.mux = mux

    def run(self, step: Step) -> ActionResult:
        if step.kind is StepKind.MANUAL or step.operation is not Operation.IPHONE:
            return step_result(
                step, False, _("'{step}' is not done over the cable.").format(step=step.title)
            )
        mux = self.mux if self.mux is not None else Usbmux()
        name = step.target.app_name
        try:
            device = find(mux, self.udid)
            with session(mux, device, may_pair=False) as lockdown:
                proxy = apps.InstallationProxy(lockdown.start_service(apps.SERVICE))
                try:
                    answer = proxy.uninstall(step.target.identifier)
                finally:
                    proxy.close()
        except AuditError as error:
            # DEVICE_GONE stops the rest of the plan (remediation.session), as for Android.
            code = "IPHONE_ERROR"
            if isinstance(error, IPhoneNotReady):
                code = "NOT_TRUSTED"
            elif isinstance(error, DeviceGone):
                code = "DEVICE_GONE"
            message = _("{app}: not done. {problem}").format(
                app=visible(name, limit=120), problem=error.message
            )
            return step_result(step, False, message, advice=error.next_step, code=code)
        return answered(step, answer)


def answered(step: Step, answer: apps.Uninstalled) -> ActionResult:
    """What the iPhone answered to Uninstall, word for word, as the step's result."""
    name = visible(step.target.app_name, limit=120)  # the phone's words: shown, never obeyed
    said = visible(" > ".join(answer.steps), limit=MAX_OUTPUT)
    if answer.ok:
        return step_result(
            step,
            True,
            # Translators: {said} is the phone's own status words ("Complete"), not translated
            _(
                "The iPhone answered that it deleted {app} ({said}). The check that follows "
                "confirms it is gone, not offloaded."
            ).format(app=name, said=said or "Complete"),
            output=said,
        )
    phone_words = visible(answer.description or answer.code, limit=300)
    return step_result(
        step,
        False,
        _("The iPhone refused to delete {app}: {words}.").format(app=name, words=phone_words),
        advice=_("Delete it on the iPhone: {steps}").format(steps=" ".join(by_hand(name)[:4])),
        code=answer.code,
        output=said,
    )
