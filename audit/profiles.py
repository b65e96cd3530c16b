"""What to call a user or profile of a device: "the Work profile", never "user 10".

A person knows their phone's profiles by name; Android's user ids mean nothing to them. The
removal plans, the attestation's refusals, the receipt and the history all name profiles here,
from what each of them keeps of a user (its id, name and kind: a scan's UserProfile, a receipt's
user list, the history's scans), so they all say the same words.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from audit.model import UserKind, UserProfile

# (the profile after a preposition, the same in lower case)
_NAMES: dict[UserKind, tuple[str, str]] = {
    UserKind.OWNER: ("the main profile", "the main profile"),
    UserKind.WORK_PROFILE: ("the Work profile", "the work profile"),
    UserKind.SECURE_FOLDER: ("Secure Folder", "Secure Folder"),
    UserKind.DUAL_APP: ("the Dual apps profile", "the dual apps profile"),
    UserKind.GUEST: ("the Guest user", "the guest user"),
}
# The label of each kind, for a column or a list: the main window's table, the receipt's tables
# and the plans all take it from here, so a profile has one name everywhere.
LABELS: dict[UserKind, str] = {
    UserKind.OWNER: "Main profile",
    UserKind.WORK_PROFILE: "Work profile",
    UserKind.SECURE_FOLDER: "Secure Folder",
    UserKind.DUAL_APP: "Dual apps",
    UserKind.GUEST: "Guest",
    UserKind.SECONDARY: "Secondary user",
    UserKind.SYSTEM: "All users",
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
        said = f"user {user_id}" if user_id else "this device"
        return ProfileWords(f"User {user_id}" if user_id else "", said, said, f"for {said}")
    label = LABELS.get(known, name or f"User {user_id}")
    if known in _NAMES:
        capital, lower = _NAMES[known]
        return ProfileWords(label, capital, lower, f"in {capital}")
    if known is UserKind.SYSTEM:
        said = "every user of this computer"
        return ProfileWords(label, said, said, "on this computer, for every user")
    if known is UserKind.LOCAL_USER:
        said = f"the user account {name or user_id}"
        return ProfileWords(name or user_id, said, said, f"in {said}")
    said = f"the user {name or 'user ' + user_id}"
    if known is UserKind.SECONDARY:
        label = f"Other user ({name})" if name else f"Other user {user_id}"
    return ProfileWords(label, said, said, f"in {said}")


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
