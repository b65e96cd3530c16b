"""The words the main screen uses for the domain's enums: plain, short, no jargon.

A person reads "Work profile", not "user 10"; "Came with the phone", not "PREINSTALLED".
The tables below are marked for the catalogue, not translated (that would fix the language at
import): whoever shows one translates it there, `_(STATE_WORDS[state])` (issue 17).
"""

from __future__ import annotations

import re
from datetime import date

from audit.i18n import N_, _, record_date
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
    AppState.INSTALLED: N_("Installed"),
    AppState.DISABLED: N_("Turned off"),
    AppState.HIDDEN: N_("Hidden (frozen)"),
    AppState.SUSPENDED: N_("Suspended (paused)"),
    AppState.REMOVED_FOR_USER: N_("Removed for this user"),
    AppState.ABSENT: N_("Not installed"),
    AppState.OFFLOADED: N_("Offloaded (icon kept)"),
}

# What each state means, for the table's tool tips and the details pane.
STATE_TIPS = {
    AppState.INSTALLED: N_("Installed and turned on for this user or profile."),
    AppState.DISABLED: N_(
        "Still installed for this user or profile, but turned off: it cannot run "
        "until someone turns it on again."
    ),
    AppState.HIDDEN: N_(
        "Hidden (frozen) in this user or profile: still on the phone, the person "
        "can bring it back in one tap in the app that froze it (Shelter, Island, Insular or the "
        "profile's management app)."
    ),
    AppState.SUSPENDED: N_(
        "Suspended (paused) in this user or profile: still on the phone, greyed "
        "out until whoever paused it lets it run again."
    ),
    AppState.REMOVED_FOR_USER: N_(
        "Removed for this user or profile only. The copy that came with "
        "the phone stays on it, so it can be brought back later."
    ),
    AppState.ABSENT: N_("Not on the device for this user or profile."),
    AppState.OFFLOADED: N_(
        "Offloaded on the iPhone: its data and its icon stay, and one tap on the "
        "icon downloads it again. Offloading does not remove an app."
    ),
}

ORIGIN_WORDS = {
    InstallOrigin.STORE: N_("Official app store"),
    InstallOrigin.OTHER_STORE: N_("Another app store"),
    InstallOrigin.SIDELOADED: N_("Installed from a file"),
    InstallOrigin.PREINSTALLED: N_("Came with the device"),
    InstallOrigin.PACKAGE_MANAGER: N_("Package manager"),
    InstallOrigin.BROWSER: N_("Web browser"),
    InstallOrigin.UNKNOWN: N_("Unknown"),
}

# Installers a person recognises by name. The stores' names are names, never translated; the two
# descriptions are (`source_words` translates exactly those in `_DESCRIBED_INSTALLERS`).
KNOWN_INSTALLERS = {
    "com.android.vending": "Google Play",
    "com.sec.android.app.samsungapps": "Galaxy Store",
    "com.amazon.venezia": "Amazon Appstore",
    "com.huawei.appmarket": "Huawei AppGallery",
    "com.xiaomi.market": "Xiaomi GetApps",
    "com.heytap.market": "OPPO App Market",
    "org.fdroid.fdroid": "F-Droid",
    "com.aurora.store": "Aurora Store",
    "com.google.android.packageinstaller": N_("Installed from a file"),
    "com.android.packageinstaller": N_("Installed from a file"),
    "com.android.shell": N_("Installed by a computer (adb)"),
}

_DESCRIBED_INSTALLERS = frozenset(
    {KNOWN_INSTALLERS["com.android.packageinstaller"], KNOWN_INSTALLERS["com.android.shell"]}
)

FINDING_WORDS = {
    FindingStatus.VIOLATION: N_("Banned"),
    FindingStatus.REVIEW: N_("Check it"),
    FindingStatus.EXCEPTED: N_("Exempted"),
    FindingStatus.RESOLVED: N_("Accepted"),
}

FINDING_SENTENCES = {
    FindingStatus.VIOLATION: N_("This app is banned: remove it."),
    FindingStatus.REVIEW: N_("This may be a banned app: check it."),
    FindingStatus.EXCEPTED: N_("This app is banned, but you have an exemption for it."),
    FindingStatus.RESOLVED: N_("This app is banned, but the state it is in is accepted."),
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
    "H1": N_("the maker's own list of its apps (TikTok's HackerOne scope)"),
    "TTWEB": N_("the maker's own website"),
    "UAD": N_("the Universal Android Debloater list"),
    "WINGET": N_("Microsoft's winget package list"),
    "TIKAPIS": N_("a commercial list of ByteDance apps"),
    "DECOMP": N_("the app's own code"),
    "FP-iOS": N_("a website script that looks for iPhone apps"),
    "CODE": N_("several unrelated public code projects"),
    "REV2A": N_("the December 2026 review of the catalog, which names each source"),
    "LOOKUP26": N_("public code and package lists looked up in December 2026"),
    "derived": N_("Device Audit's own reasoning (see the note)"),
}

CONFIDENCE_WORDS = {
    Confidence.HIGH: N_(
        "High: the identifier is confirmed by the app's own publisher or by "
        "several independent sources"
    ),
    Confidence.MEDIUM_HIGH: N_("Medium-high: confirmed by credible sources"),
    Confidence.MEDIUM: N_("Medium: one credible source; a person should check"),
    Confidence.LOW_MEDIUM: N_("Low to medium: weak evidence; a person should check"),
    Confidence.LOW: N_("Low: a single unconfirmed source; a person should check"),
}


def user_words(scan: ScanResult | None, user_id: str) -> str:
    """What to call the user or profile an app belongs to."""
    profile = scan.user(user_id) if scan is not None else None
    return words_of(profile, user_id).label


def evidence_words(source: str) -> str:
    """A catalog entry's evidence ("[H1], [UAD] ("TikTok App")") in words."""

    def word(match: re.Match[str]) -> str:
        code = match.group(1) or match.group(2)
        return _(EVIDENCE_WORDS[code]) if code in EVIDENCE_WORDS else code

    return _SHORTHAND.sub(word, source)


_SHORTHAND = re.compile(r"\[([A-Za-z0-9-]+)\]|^(derived)\b")


def version_words(app: InstalledApp) -> str:
    """The version a person reads ("34.1.4"); a phone app whose version name was not read (only
    flagged apps are asked for it) shows its build number instead of nothing."""
    if app.version:
        return app.version
    if app.version_code is None:
        return ""
    # Translators: a version column's cell when only the build number is known ("build 2023401040")
    return _("build {number}").format(number=app.version_code)


def source_words(app: InstalledApp) -> str:
    if app.installer in KNOWN_INSTALLERS:
        name = KNOWN_INSTALLERS[app.installer]
        return _(name) if name in _DESCRIBED_INSTALLERS else name
    if app.origin is InstallOrigin.UNKNOWN and app.installer:
        return app.installer
    return _(ORIGIN_WORDS[app.origin])


def exemption_not_active(exemption: Exemption, day: date, whose: str) -> str:
    """Why an exemption that covers a banned app does not count on `day`; `whose` starts the
    sentence ("Your exemption", or "Its exemption (EX-1)" where a technician reads it)."""
    if exemption.expires < day:
        # Translators: {whose} is "Your exemption" or "Its exemption (EX-1)"; {day} is 2026-03-31
        return _("{whose} ended on {day}.").format(whose=whose, day=record_date(exemption.expires))
    # Translators: {whose} is "Your exemption" or "Its exemption (EX-1)"; {day} is 2026-03-31
    return _("{whose} only starts on {day}.").format(
        whose=whose, day=record_date(exemption.granted)
    )
