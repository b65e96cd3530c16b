"""What an app's state means to the person holding the device, in plain words.

The CLI, the receipt, the removal plans and the window all say what "hidden" and "suspended"
mean, and how to remove such an app for real, from here: the words for a state that looks gone
but is not must be the same wherever a person meets them.
"""

from __future__ import annotations

from audit.i18n import N_, _
from audit.model import AppState

SHORT: dict[AppState, str] = {
    AppState.INSTALLED: N_("installed"),
    AppState.DISABLED: N_("turned off"),
    AppState.HIDDEN: N_("hidden (frozen)"),
    AppState.SUSPENDED: N_("suspended (paused)"),
    AppState.REMOVED_FOR_USER: N_("removed for this user"),
    AppState.ABSENT: N_("not installed"),
    AppState.OFFLOADED: N_("offloaded (icon kept)"),
}
"""A few words for a table cell or a list. Marked, not translated (set at import): shown as
`_(SHORT[state])`."""

_STILL_THERE: dict[AppState, str] = {
    AppState.HIDDEN: N_("still on the phone, the person can bring it back in one tap"),
    AppState.SUSPENDED: N_(
        "still on the phone, greyed out until whoever paused it lets it run again"
    ),
    AppState.OFFLOADED: N_(
        "its data and its icon are still on the iPhone, and one tap on the icon downloads it again"
    ),
}

_REMOVE: dict[AppState, str] = {
    # Translators: Settings > Apps: the phone's own French words (Paramètres > Applications)
    AppState.HIDDEN: N_(
        "Freezing does not remove an app, and Android will not uninstall a frozen app from one "
        "profile over USB. Unfreeze it in the app that froze it (Shelter, Island, Insular or "
        "the profile's management app), then uninstall it in that profile's Settings > Apps; "
        "Device Audit can also remove an app the person installed from every profile at once."
    ),
    AppState.SUSPENDED: N_(
        "Pausing does not remove an app: uninstall it (Device Audit can do it over USB, or "
        "open Settings > Apps, tap the app, then Uninstall)."
    ),
    # Translators: Remove App, Delete App, Offload App, Delete: the iPhone's own French words
    AppState.OFFLOADED: N_(
        "Offloading does not remove an app. Delete it: Device Audit can ask the iPhone to do it "
        "over the cable; or touch and hold the app's icon on the Home Screen, tap Remove App, "
        "then Delete App (not Offload App), and confirm with Delete."
    ),
}


def explained(state: AppState, where: str = "") -> str:
    """The state in a sentence a person understands: "hidden (frozen) in the Work profile:
    still on the phone, the person can bring it back in one tap". `where` names the profile
    ("the Work profile"); "" leaves it out."""
    short = _(SHORT[state])
    if where:
        # Translators: {state} is a state ("hidden (frozen)"), {where} a profile ("the Work
        # profile")
        short = _("{state} in {where}").format(state=short, where=where)
    still = _STILL_THERE.get(state)
    if still is None:
        return short
    return _("{state}: {still_there}").format(state=short, still_there=_(still))


def how_to_remove(state: AppState) -> str:
    """How to remove an app in this state for real; "" for the states where the usual way
    (uninstall it) needs no words."""
    return _(_REMOVE[state]) if state in _REMOVE else ""
