"""What the demo phone holds when it is switched on: an owner and a work profile, with TikTok in
the work profile (where the organisation's rules bite) and ordinary apps around it.

The lists are small on purpose but shaped like a real Android 14 phone (framework, system apps
shared by both users, store apps per user), so every screen of the flow shows what it would
show for a real one. The names are real package names, so the policy presets match them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from audit.model import UserKind, UserProfile

ZONE = ZoneInfo("Pacific/Auckland")
OWNER = UserProfile(id="0", name="Owner", kind=UserKind.OWNER)
WORK = UserProfile(id="10", name="Work profile", kind=UserKind.WORK_PROFILE)
USERS = (OWNER, WORK)

FIRST_BOOT = datetime(2024, 1, 15, 10, 0, tzinfo=ZONE)


@dataclass(frozen=True)
class DemoApp:
    """One package as the phone would describe it; `users` are those it is installed for."""

    package: str
    label: str
    version: str
    version_code: int
    users: tuple[str, ...]
    system: bool = False
    installer: str = "com.android.vending"
    installed_at: datetime = FIRST_BOOT
    updated_at: datetime = FIRST_BOOT


def _system(package: str, label: str, *, work: bool = True) -> DemoApp:
    """A package of the system image, in the owner and (for most) the work profile too."""
    return DemoApp(
        package, label, "14", 34, ("0", "10") if work else ("0",), system=True, installer=""
    )


def _store(row: tuple[str, str, str, str, str, int]) -> DemoApp:
    """An app installed from the Play Store for one user, on a day (phone time)."""
    user, day, package, label, version, code = row
    installed = datetime.fromisoformat(day).replace(tzinfo=ZONE)
    return DemoApp(
        package, label, version, code, (user,), installed_at=installed, updated_at=installed
    )


SYSTEM_APPS = (
    _system("android", "Android System"),
    _system("com.android.systemui", "System UI"),
    _system("com.android.settings", "Settings"),
    _system("com.android.phone", "Phone Services", work=False),
    _system("com.android.shell", "Shell"),
    _system("com.android.providers.contacts", "Contacts Storage"),
    _system("com.android.providers.media", "Media Storage"),
    _system("com.android.providers.settings", "Settings Storage"),
    _system("com.android.providers.downloads", "Download Manager"),
    _system("com.android.providers.calendar", "Calendar Storage"),
    _system("com.android.externalstorage", "External Storage"),
    _system("com.android.keychain", "Key Chain"),
    _system("com.android.certinstaller", "Certificate Installer"),
    _system("com.android.managedprovisioning", "Work Setup"),
    _system("com.android.location.fused", "Fused Location"),
    _system("com.android.nfc", "NFC Service", work=False),
    _system("com.android.bluetooth", "Bluetooth", work=False),
    _system("com.android.printspooler", "Print Spooler"),
    _system("com.android.server.telecom", "Call Management", work=False),
    _system("com.android.mms.service", "MmsService", work=False),
    _system("com.android.egg", "Android Easter Egg", work=False),
    _system("com.google.android.gms", "Google Play services"),
    _system("com.google.android.gsf", "Google Services Framework"),
    _system("com.android.vending", "Google Play Store"),
    _system("com.google.android.webview", "Android System WebView"),
    _system("com.google.android.permissioncontroller", "Permission controller"),
    _system("com.google.android.packageinstaller", "Package installer"),
    _system("com.google.android.documentsui", "Files"),
    _system("com.google.android.inputmethod.latin", "Gboard"),
    _system("com.google.android.apps.nexuslauncher", "Pixel Launcher", work=False),
    _system("com.google.android.dialer", "Phone", work=False),
    _system("com.google.android.contacts", "Contacts"),
    _system("com.google.android.apps.messaging", "Messages", work=False),
    _system("com.google.android.deskclock", "Clock", work=False),
    _system("com.google.android.calculator", "Calculator", work=False),
    _system("com.google.android.GoogleCamera", "Camera", work=False),
    _system("com.google.android.apps.photos", "Photos"),
    _system("com.google.android.calendar", "Calendar"),
    _system("com.google.android.gm", "Gmail"),
    _system("com.android.chrome", "Chrome"),
    _system("com.google.android.apps.maps", "Maps"),
    _system("com.google.android.youtube", "YouTube", work=False),
    _system("com.google.android.apps.docs", "Drive"),
    _system("com.google.android.googlequicksearchbox", "Google"),
    _system("com.google.android.tts", "Speech Services by Google"),
    _system("com.google.android.apps.wellbeing", "Digital Wellbeing", work=False),
)

STORE_APPS = tuple(
    _store(row)
    for row in (
        ("0", "2024-01-15 10:42:18", "com.whatsapp", "WhatsApp", "2.24.9.78", 242409780),
        ("0", "2024-01-16 19:05:51", "com.spotify.music", "Spotify", "8.9.36.616", 108736616),
        (
            "0",
            "2024-01-20 08:31:02",
            "com.instagram.android",
            "Instagram",
            "325.0.0.35.91",
            542906129,
        ),
        ("0", "2024-02-02 17:44:39", "com.ubercab", "Uber", "4.515.10003", 461580),
        ("0", "2024-02-10 07:15:27", "com.duolingo", "Duolingo", "5.149.4", 1923),
        ("0", "2024-03-01 21:03:10", "com.netflix.mediaclient", "Netflix", "8.113.0", 62231),
        ("0", "2024-03-09 12:20:44", "com.lemon.lvoverseas", "CapCut", "11.9.0", 119000),
        (
            "10",
            "2024-01-15 11:02:37",
            "com.google.android.apps.work.clouddpc",
            "Android Device Policy",
            "124.32.2",
            12432200,
        ),
        (
            "10",
            "2024-01-15 11:10:05",
            "com.microsoft.teams",
            "Microsoft Teams",
            "1416/1.0.0.2024",
            2024082301,
        ),
        (
            "10",
            "2024-01-15 11:11:40",
            "com.microsoft.office.outlook",
            "Microsoft Outlook",
            "4.2419.1",
            4002429,
        ),
        ("10", "2024-02-03 09:12:45", "com.zhiliaoapp.musically", "TikTok", "34.1.4", 2023401040),
    )
)

APPS = SYSTEM_APPS + STORE_APPS
