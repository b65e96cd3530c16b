"""The words the main screen uses for the domain's enums: plain, short, no jargon.

A person reads "Work profile", not "user 10"; "Came with the phone", not "PREINSTALLED".
"""

from __future__ import annotations

import re
from datetime import date

from audit.model import (
    AppState,
    Confidence,
    Exemption,
    FindingStatus,
    InstalledApp,
    InstallOrigin,
    ScanResult,
)
from audit.profiles import LABELS, words_of

# The profiles' labels ("Main profile", "Work profile"), from audit.profiles like every other
# screen's, so the table names a profile as the removal pages and the receipt do.
USER_KIND_WORDS = LABELS

STATE_WORDS = {
    AppState.INSTALLED: "Installed",
    AppState.DISABLED: "Turned off",
    AppState.HIDDEN: "Hidden (frozen)",
    AppState.SUSPENDED: "Suspended (paused)",
    AppState.REMOVED_FOR_USER: "Removed for this user",
    AppState.ABSENT: "Not installed",
    AppState.OFFLOADED: "Offloaded (icon kept)",
}

# What each state means, for the table's tool tips and the details pane.
STATE_TIPS = {
    AppState.INSTALLED: "Installed and turned on for this user or profile.",
    AppState.DISABLED: "Still installed for this user or profile, but turned off: it cannot run "
    "until someone turns it on again.",
    AppState.HIDDEN: "Hidden (frozen) in this user or profile: still on the phone, the person "
    "can bring it back in one tap in the app that froze it (Shelter, Island, Insular or the "
    "profile's management app).",
    AppState.SUSPENDED: "Suspended (paused) in this user or profile: still on the phone, greyed "
    "out until whoever paused it lets it run again.",
    AppState.REMOVED_FOR_USER: "Removed for this user or profile only. The copy that came with "
    "the phone stays on it, so it can be brought back later.",
    AppState.ABSENT: "Not on the device for this user or profile.",
    AppState.OFFLOADED: "Offloaded on the iPhone: its data and its icon stay, and one tap on the "
    "icon downloads it again. Offloading does not remove an app.",
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

# The catalog's evidence shorthand (resources/catalog.toml) in words.
EVIDENCE_WORDS = {
    "H1": "the maker's own list of its apps (TikTok's HackerOne scope)",
    "TTWEB": "the maker's own website",
    "UAD": "the Universal Android Debloater list",
    "WINGET": "Microsoft's winget package list",
    "TIKAPIS": "a commercial list of ByteDance apps",
    "DECOMP": "the app's own code",
    "FP-iOS": "a website script that looks for iPhone apps",
    "CODE": "several unrelated public code projects",
    "REV2A": "the December 2026 review of the catalog, which names each source",
    "LOOKUP26": "public code and package lists looked up in December 2026",
    "derived": "Device Audit's own reasoning (see the note)",
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
    return words_of(profile, user_id).label


def evidence_words(source: str) -> str:
    """A catalog entry's evidence ("[H1], [UAD] ("TikTok App")") in words."""

    def word(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        return EVIDENCE_WORDS.get(code, code)

    return _SHORTHAND.sub(word, source)


_SHORTHAND = re.compile(r"\[([A-Za-z0-9-]+)\]|^(derived)\b")


def version_words(app: InstalledApp) -> str:
    """The version a person reads ("34.1.4"); a phone app whose version name was not read (only
    flagged apps are asked for it) shows its build number instead of nothing."""
    if app.version:
        return app.version
    return f"build {app.version_code}" if app.version_code is not None else ""


def source_words(app: InstalledApp) -> str:
    if app.installer in KNOWN_INSTALLERS:
        return KNOWN_INSTALLERS[app.installer]
    if app.origin is InstallOrigin.UNKNOWN and app.installer:
        return app.installer
    return ORIGIN_WORDS[app.origin]


def exemption_not_active(exemption: Exemption, day: date, whose: str) -> str:
    """Why an exemption that covers a banned app does not count on `day`; `whose` starts the
    sentence ("Your exemption", or "Its exemption (EX-1)" where a technician reads it)."""
    if exemption.expires < day:
        return f"{whose} ended on {exemption.expires.isoformat()}."
    return f"{whose} only starts on {exemption.granted.isoformat()}."
