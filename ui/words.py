"""The words the main screen uses for the domain's enums: plain, short, no jargon.

A person reads "Work profile", not "user 10"; "Came with the phone", not "PREINSTALLED".
"""

from __future__ import annotations

from audit.model import (
    AppState,
    Confidence,
    FindingStatus,
    InstalledApp,
    InstallOrigin,
    ScanResult,
    UserKind,
)

USER_KIND_WORDS = {
    UserKind.OWNER: "Personal",
    UserKind.WORK_PROFILE: "Work profile",
    UserKind.SECURE_FOLDER: "Secure Folder",
    UserKind.DUAL_APP: "Dual apps",
    UserKind.GUEST: "Guest",
    UserKind.SYSTEM: "All users",
}

STATE_WORDS = {
    AppState.INSTALLED: "Installed",
    AppState.DISABLED: "Turned off",
    AppState.REMOVED_FOR_USER: "Removed for this user",
    AppState.ABSENT: "Not installed",
}

ORIGIN_WORDS = {
    InstallOrigin.STORE: "Official app store",
    InstallOrigin.OTHER_STORE: "Another app store",
    InstallOrigin.SIDELOADED: "Installed from a file",
    InstallOrigin.PREINSTALLED: "Came with the device",
    InstallOrigin.PACKAGE_MANAGER: "Package manager",
    InstallOrigin.BROWSER: "Web browser",
    InstallOrigin.UNKNOWN: "Unknown",
}

# Installers a person recognises by name.
KNOWN_INSTALLERS = {
    "com.android.vending": "Google Play",
    "com.sec.android.app.samsungapps": "Galaxy Store",
    "com.amazon.venezia": "Amazon Appstore",
    "com.huawei.appmarket": "Huawei AppGallery",
    "com.xiaomi.market": "Xiaomi GetApps",
    "com.heytap.market": "OPPO App Market",
    "org.fdroid.fdroid": "F-Droid",
    "com.aurora.store": "Aurora Store",
    "com.google.android.packageinstaller": "Installed from a file",
    "com.android.packageinstaller": "Installed from a file",
    "com.android.shell": "Installed by a computer (adb)",
}

FINDING_WORDS = {
    FindingStatus.VIOLATION: "Banned",
    FindingStatus.REVIEW: "Check it",
    FindingStatus.EXCEPTED: "Exempted",
    FindingStatus.RESOLVED: "Accepted",
}

FINDING_SENTENCES = {
    FindingStatus.VIOLATION: "This app is banned: remove it.",
    FindingStatus.REVIEW: "This may be a banned app: check it.",
    FindingStatus.EXCEPTED: "This app is banned, but you have an exemption for it.",
    FindingStatus.RESOLVED: "This app is banned, but the state it is in is accepted.",
}

# Most urgent first: the order the table sorts the Finding column in.
FINDING_RANK = {
    FindingStatus.VIOLATION: 0,
    FindingStatus.REVIEW: 1,
    FindingStatus.EXCEPTED: 2,
    FindingStatus.RESOLVED: 3,
}

CONFIDENCE_WORDS = {
    Confidence.HIGH: "High: the identifier is confirmed by the app's own publisher or by "
    "several independent sources",
    Confidence.MEDIUM_HIGH: "Medium-high: confirmed by credible sources",
    Confidence.MEDIUM: "Medium: one credible source; a person should check",
    Confidence.LOW_MEDIUM: "Low to medium: weak evidence; a person should check",
    Confidence.LOW: "Low: a single unconfirmed source; a person should check",
}


def user_words(scan: ScanResult | None, user_id: str) -> str:
    """What to call the user or profile an app belongs to."""
    profile = scan.user(user_id) if scan is not None else None
    if profile is None:
        return f"User {user_id}" if user_id else ""
    if profile.kind in USER_KIND_WORDS:
        return USER_KIND_WORDS[profile.kind]
    if profile.kind is UserKind.LOCAL_USER:
        return profile.name or profile.id
    return f"Other user ({profile.name})" if profile.name else f"Other user {profile.id}"


def source_words(app: InstalledApp) -> str:
    if app.installer in KNOWN_INSTALLERS:
        return KNOWN_INSTALLERS[app.installer]
    if app.origin is InstallOrigin.UNKNOWN and app.installer:
        return app.installer
    return ORIGIN_WORDS[app.origin]
