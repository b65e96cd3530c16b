"""What to call a user or profile of a device: "the Work profile", never "user 10".

A person knows their phone's profiles by name; Android's user ids mean nothing to them. The
removal plans, the attestation's refusals, the receipt and the history all name profiles here,
from what each of them keeps of a user (its id, name and kind: a scan's UserProfile, a receipt's
user list, the history's scans), so they all say the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audit.i18n import N_, _
from audit.model import UserKind, UserProfile

# (the profile after a preposition, the same in lower case). Marked, not translated (these are
# set at import): translated in `profile_words`, and wherever a table is shown, `_(LABELS[k])`.
_NAMES: dict[UserKind, tuple[str, str]] = {
    UserKind.OWNER: (N_("the main profile"), N_("the main profile")),
    UserKind.WORK_PROFILE: (N_("the Work profile"), N_("the work profile")),
    # Translators: Samsung's own name for the feature; use the phone's French name
    UserKind.SECURE_FOLDER: (N_("Secure Folder"), N_("Secure Folder")),
    UserKind.DUAL_APP: (N_("the Dual apps profile"), N_("the dual apps profile")),
    UserKind.GUEST: (N_("the Guest user"), N_("the guest user")),
}
# The label of each kind, for a column or a list: the main window's table, the receipt's tables
# and the plans all take it from here, so a profile has one name everywhere.
LABELS: dict[UserKind, str] = {
    UserKind.OWNER: N_("Main profile"),
    UserKind.WORK_PROFILE: N_("Work profile"),
    UserKind.SECURE_FOLDER: N_("Secure Folder"),
    UserKind.DUAL_APP: N_("Dual apps"),
    UserKind.GUEST: N_("Guest"),
    UserKind.SECONDARY: N_("Secondary user"),
    UserKind.SYSTEM: N_("All users"),
}


@dataclass(frozen=True)
class ProfileWords:
    label: str  # for a column or a list: "Work profile"
    name: str  # after a preposition: "removed from the Work profile"
    lower: str  # the same in the middle of a sentence: "gone in the work profile"
    where: str  # where an app is: "TikTok in the Work profile"


def profile_words(user_id: str, name: str = "", kind: UserKind | str | None = None) -> ProfileWords:
    """The words for one user; `kind` None (or one this version does not know) when only the id
    is known, as in receipts and histories made before users were kept."""
    known = _kind(kind)
    if known is None:
        said = _("user {id}").format(id=user_id) if user_id else _("this device")
        label = _("User {id}").format(id=user_id) if user_id else ""
        # Translators: {user} is "user 10" or "this device"
        return ProfileWords(label, said, said, _("for {user}").format(user=said))
    label = _(LABELS[known]) if known in LABELS else name or _("User {id}").format(id=user_id)
    # Translators: {profile} is a profile after a preposition: "the Work profile"
    in_profile = _("in {profile}")
    if known in _NAMES:
        capital, lower = (_(words) for words in _NAMES[known])
        return ProfileWords(label, capital, lower, in_profile.format(profile=capital))
    if known is UserKind.SYSTEM:
        said = _("every user of this computer")
        return ProfileWords(label, said, said, _("on this computer, for every user"))
    if known is UserKind.LOCAL_USER:
        said = _("the user account {name}").format(name=name or user_id)
        return ProfileWords(name or user_id, said, said, in_profile.format(profile=said))
    said = _("the user {name}").format(name=name or _("user {id}").format(id=user_id))
    if known is UserKind.SECONDARY:
        if name:
            label = _("Other user ({name})").format(name=name)
        else:
            label = _("Other user {id}").format(id=user_id)
    return ProfileWords(label, said, said, in_profile.format(profile=said))


def words_of(profile: UserProfile | None, user_id: str) -> ProfileWords:
    if profile is None:
        return profile_words(user_id)
    return profile_words(profile.id, profile.name, profile.kind)


def words_among(users: Iterable[UserProfile], user_id: str) -> ProfileWords:
    """The words for `user_id`, named from the first of `users` with that id."""
    return words_of(next((u for u in users if u.id == user_id), None), user_id)


def _kind(kind: UserKind | str | None) -> UserKind | None:
    if kind is None or isinstance(kind, UserKind):
        return kind
    try:
        return UserKind(kind)
    except ValueError:
        return None
