"""Phone profiles: JSON files in tests/phonesim/phones turned into a PhoneState.

A profile lists the phone's properties, users and the packages that matter to a test by hand,
and asks for the hundreds of ordinary system and store packages a real phone carries through a
`base` section, generated from the shared name lists in `_package-sets.json`. Generation is
deterministic (seeded by the profile and each package name), so every run sees the same phone.
See the package docstring of `tests.phonesim` for the schema.
"""

from __future__ import annotations

import base64
import json
import random
import threading
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from audit.errors import FileFormatError
from tests.phonesim.state import (
    TIME_FORMAT,
    Enabled,
    Package,
    PhoneState,
    SimState,
    User,
    UserPackageState,
    java_hash,
    stable_number,
)

PROFILES_DIR = Path(__file__).parent / "phones"
SETS_FILE = "_package-sets.json"

# System packages that run under a shared system uid (sharedUserId in their manifests).
SHARED_UIDS = {
    "android": (1000, "android.uid.system"),
    "com.android.settings": (1000, "android.uid.system"),
    "com.android.providers.settings": (1000, "android.uid.system"),
    "com.android.location.fused": (1000, "android.uid.system"),
    "com.android.keychain": (1000, "android.uid.system"),
    "com.android.inputdevices": (1000, "android.uid.system"),
    "com.android.localtransport": (1000, "android.uid.system"),
    "com.android.wallpaperbackup": (1000, "android.uid.system"),
    "com.android.server.telecom": (1000, "android.uid.system"),
    "com.android.phone": (1001, "android.uid.phone"),
    "com.android.providers.telephony": (1001, "android.uid.phone"),
    "com.android.stk": (1001, "android.uid.phone"),
    "com.android.mms.service": (1001, "android.uid.phone"),
    "com.android.nfc": (1027, "android.uid.nfc"),
    "com.android.se": (1068, "android.uid.se"),
    "com.android.shell": (2000, "android.uid.shell"),
}

# Packages every user of a phone has, whatever the profile's share for that user.
CORE = {
    "android",
    "com.android.settings",
    "com.android.systemui",
    "com.android.shell",
    "com.android.phone",
    "com.android.vending",
    "com.google.android.gms",
    "com.google.android.gsf",
    "com.google.android.webview",
    "com.android.keychain",
    "com.android.externalstorage",
    "com.android.managedprovisioning",
    "com.google.android.permissioncontroller",
    "com.google.android.packageinstaller",
    "com.google.android.documentsui",
    "com.google.android.ext.services",
}

APK_NAMES = {
    "com.google.android.gms": "PrebuiltGmsCore",
    "com.android.vending": "Phonesky",
    "com.google.android.gsf": "GoogleServicesFramework",
    "com.android.chrome": "Chrome",
    "com.google.android.webview": "WebViewGoogle",
    "com.android.systemui": "SystemUI",
    "com.android.settings": "Settings",
    "com.google.android.youtube": "YouTube",
    "com.google.android.gm": "Gmail2",
    "com.google.android.apps.maps": "Maps",
    "com.google.android.googlequicksearchbox": "Velvet",
    "com.google.android.inputmethod.latin": "LatinIMEGooglePrebuilt",
    "com.android.phone": "TeleService",
    "com.android.shell": "Shell",
}

KNOWN_VERSIONS = {
    "com.google.android.gms": ("24.18.17 (190400-633713431)", 241817038),
    "com.android.vending": ("41.2.21-31 [0] [PR] 639844241", 84122130),
    "com.android.chrome": ("124.0.6367.179", 636717933),
    "com.google.android.webview": ("124.0.6367.179", 636717933),
    "com.google.android.trichromelibrary": ("124.0.6367.179", 636717933),
    "com.google.android.youtube": ("19.16.39", 1545404864),
}

_MODULE_WORDS = (
    "module", "networkstack", "permissioncontroller", "adservices", "documentsui",
    "ext.services", "cellbroadcast", "captiveportallogin", "tethering", "modulemetadata",
    "rkpdapp", "healthconnect", "sdksandbox", "appsearch", "resources", "safetycenter",
    "ondevicepersonalization", "federatedcompute", "mainline", "devicelockcontroller",
    "packageinstaller",
)  # fmt: skip
_OVERLAY_WORDS = (".overlay", ".theme.", "cutout", "navbar", "icon_pack", "font")
_PRIV_WORDS = ("settings", "systemui", "phone", "providers", "gms", "vending", "gsf", "shell",
               "permission", "packageinstaller", "launcher", "setupwizard", "telecom", "knox",
               "managedprovisioning", "dialer", "contacts", "messaging", "mms")  # fmt: skip


class ProfileError(FileFormatError):
    what = "phone profile"


def list_profiles() -> list[str]:
    """Ids of the profiles in tests/phonesim/phones (file names without `.json`)."""
    return sorted(p.stem for p in PROFILES_DIR.glob("*.json") if not p.name.startswith("_"))


def load_profile_data(profile: str | Path | dict[str, Any]) -> dict[str, Any]:
    """The raw profile: by id, by path, or a dict (copied, so callers may edit theirs)."""
    if isinstance(profile, dict):
        copied: dict[str, Any] = json.loads(json.dumps(profile))
        return copied
    path = Path(profile)
    if not path.suffix:
        path = PROFILES_DIR / f"{profile}.json"
    if not path.is_file():
        raise ProfileError(
            path, f"there is no such profile; known ones: {', '.join(list_profiles())}"
        )
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as error:
        raise ProfileError(path, error.msg, line=error.lineno) from None
    if not isinstance(data, dict):
        raise ProfileError(path, "the file must hold a JSON object")
    data.setdefault("id", path.stem)
    return data


def load_state(profile: str | Path | dict[str, Any]) -> PhoneState:
    return build_state(load_profile_data(profile))


def build_state(data: dict[str, Any]) -> PhoneState:
    """A fresh PhoneState for the profile (built once per distinct profile, then copied)."""
    key = json.dumps(data, sort_keys=True, default=str)
    with _CACHE_LOCK:
        pristine = _CACHE.get(key)
    if pristine is None:
        origin = str(data.get("id", "<profile>"))
        try:
            pristine = _Builder(data, origin).build()
        except ProfileError:
            raise
        except (KeyError, TypeError, ValueError) as error:
            raise ProfileError(origin, f"{type(error).__name__}: {error}") from None
        with _CACHE_LOCK:
            if len(_CACHE) > 32:
                _CACHE.clear()
            _CACHE[key] = pristine
    return pristine.clone()


_CACHE: dict[str, PhoneState] = {}
_CACHE_LOCK = threading.Lock()


class _Builder:
    def __init__(self, data: dict[str, Any], origin: str) -> None:
        self.data = data
        self.origin = origin
        self.properties = {str(k): str(v) for k, v in data.get("properties", {}).items()}
        self.sdk = int(self.properties.get("ro.build.version.sdk", "34"))
        self.release = self.properties.get("ro.build.version.release", str(self.sdk - 20))
        self.first_boot = _time(data.get("first_boot", "2024-01-15 10:00:00"))
        self.seed = str(data.get("base", {}).get("seed", origin))

    def build(self) -> PhoneState:
        users = [self.user(entry) for entry in self.data.get("users", [])]
        if not users or users[0].id != 0:
            raise ProfileError(self.origin, "the first user must be user 0", key="users")
        entries: dict[str, dict[str, Any]] = {}
        if "base" in self.data:
            for entry in self.base_entries(self.data["base"], users):
                entries[entry["package"]] = entry
        for entry in self.data.get("packages", []):
            name = entry["package"]
            merged = {**entries.get(name, {}), **entry}
            entries[name] = merged
        packages = {name: self.package(entry, users) for name, entry in entries.items()}
        assign_app_ids(packages)
        settings = {
            ("global", "adb_enabled"): "1",
            ("global", "development_settings_enabled"): "1",
            ("global", "device_name"): self.properties.get("ro.product.model", ""),
            ("secure", "android_id"): f"{stable_number(self.origin, 1 << 31):08x}a3f1c2d4",
        }
        for key, value in self.data.get("settings", {}).items():
            namespace, _, name = key.partition("/")
            settings[(namespace, name)] = str(value)
        owner = self.data.get("device_owner")
        return PhoneState(
            profile_id=self.origin,
            properties=self.properties,
            users=users,
            packages=packages,
            device_owner=(int(owner["user"]), str(owner["component"])) if owner else None,
            settings=settings,
            quirks={str(k): str(v) for k, v in self.data.get("quirks", {}).items()},
            description=str(self.data.get("description", "")),
            program_ms=self.cost("program_ms", 0.0, 60_000.0),
            cores=int(self.cost("cores", 8, 256)),
        )

    def cost(self, key: str, default: float, most: float) -> float:
        """A number of the phone's cost model ("program_ms", "cores"), checked: a bench must not
        run on a phone that costs nothing because a field was mistyped."""
        value = self.data.get(key, default)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise ProfileError(self.origin, f"{key} must be a number, not {value!r}")
        if not (0 <= value <= most) or (key == "cores" and value < 1):
            raise ProfileError(self.origin, f"{key} {value} is out of range (0 to {most:g})")
        return float(value)

    def user(self, entry: dict[str, Any]) -> User:
        flags = entry.get("flags", 0)
        return User(
            id=int(entry["id"]),
            name=str(entry["name"]),
            flags=int(flags, 16) if isinstance(flags, str) else int(flags),
            kind=str(entry.get("kind", "secondary")),
            readable=bool(entry.get("readable", True)),
            running=bool(entry.get("running", True)),
            restrictions=frozenset(entry.get("restrictions", [])),
            parent=entry.get("parent"),
            profile_owner=entry.get("profile_owner"),
        )

    # --- explicit package entries -------------------------------------------------------

    def package(self, entry: dict[str, Any], users: list[User]) -> Package:
        name = str(entry["package"])
        rng = random.Random(f"{self.seed}:{name}")
        system = bool(entry.get("system", False))
        updated = bool(entry.get("updated_system", False))
        first = (
            _time(entry["firstInstallTime"])
            if "firstInstallTime" in entry
            else (
                self.first_boot if system else self.first_boot + timedelta(days=rng.randint(1, 200))
            )
        )
        last = (
            _time(entry["lastUpdateTime"])
            if "lastUpdateTime" in entry
            else (
                first + timedelta(days=rng.randint(0, 60), seconds=rng.randint(0, 86399))
                if (updated or not system)
                else first
            )
        )
        apk = entry.get("apk") or (
            self.data_apk(name, rng) if (updated or not system) else self.system_apk(name)
        )
        version_name, version_code = self.versions(name, system, rng)
        package = Package(
            name=name,
            label=str(entry.get("label", "")),
            apk=str(apk),
            splits=tuple(entry.get("splits", ())),
            system=system,
            updated_system=updated,
            installer=entry.get(
                "installer", None if system and not updated else "com.android.vending"
            ),
            version_name=str(entry.get("versionName", version_name)),
            version_code=int(entry.get("versionCode", version_code)),
            app_id=int(entry.get("uid", 0)),
            first_install=first,
            last_update=last,
            timestamp=datetime(2009, 1, 1) if system and not updated else last,
            target_sdk=int(entry.get("targetSdk", min(self.sdk, 34) if system else 34)),
            min_sdk=int(entry.get("minSdk", self.sdk if system else 24)),
            protected=bool(entry.get("protected", False)),
            garbled=bool(entry.get("garbled", False)),
            blocked_users=frozenset(int(u) for u in entry.get("blocked_users", [])),
            shared_user=SHARED_UIDS.get(name, (0, None))[1],
        )
        known = {u.id for u in users}
        for key, state in entry.get("users", {}).items():
            user_id = int(key)
            if user_id not in known:
                raise ProfileError(self.origin, f"{name} names unknown user {user_id}", key=name)
            package.users[user_id] = self.user_state(name, user_id, str(state), first)
        return package

    def user_state(self, name: str, user_id: int, state: str, first: datetime) -> UserPackageState:
        inode = 10_000 + stable_number(f"{name}/{user_id}", 900_000)
        if state == SimState.INSTALLED:
            return UserPackageState(ce_data_inode=inode, first_install=first)
        if state == SimState.DISABLED:
            return UserPackageState(
                ce_data_inode=inode,
                first_install=first,
                enabled=Enabled.DISABLED_USER,
                last_disabled_caller="shell:2000",
            )
        if state == SimState.HIDDEN:
            return UserPackageState(ce_data_inode=inode, first_install=first, hidden=True)
        if state == SimState.SUSPENDED:
            return UserPackageState(ce_data_inode=inode, first_install=first, suspended=True)
        if state == SimState.REMOVED_FOR_USER:
            return UserPackageState(installed=False, first_install=first)
        if state == "data_retained":
            return UserPackageState(installed=False, data_retained=True, ce_data_inode=inode)
        raise ProfileError(self.origin, f"unknown state '{state}' for {name}", key=name)

    # --- generated base packages --------------------------------------------------------

    def base_entries(self, spec: dict[str, Any], users: list[User]) -> list[dict[str, Any]]:
        sets = json.loads((PROFILES_DIR / SETS_FILE).read_text(encoding="utf-8"))
        updated = {name for key in spec.get("updated", []) for name in sets[key]}
        shares = {int(k): float(v) for k, v in spec.get("share", {}).items()}
        entries = []
        for name in self.base_names(spec, sets):
            present = {"0": SimState.INSTALLED}
            for user in users[1:]:
                share = shares.get(user.id, 0.5)
                if name in CORE or random.Random(f"{self.seed}:{name}:{user.id}").random() < share:
                    present[str(user.id)] = SimState.INSTALLED
            entry: dict[str, Any] = {"package": name, "system": True, "users": present}
            if name in updated:
                entry["updated_system"] = True
                store = "com.sec.android.app.samsungapps" if name.startswith("com.sam") else None
                entry["installer"] = store or "com.android.vending"
            entries.append(entry)
        by_name = {entry["package"]: entry for entry in entries}
        popular: dict[str, str] = sets["popular"]
        for key, count in spec.get("third_party", {}).items():
            chosen = random.Random(f"{self.seed}:apps:{key}").sample(sorted(popular), int(count))
            for name in chosen:
                if name not in by_name:
                    splits = _SPLITS if stable_number(name, 3) else []
                    by_name[name] = {"package": name, "label": popular[name], "users": {}}
                    by_name[name]["splits"] = splits
                    entries.append(by_name[name])
                by_name[name]["users"][str(key)] = SimState.INSTALLED
        return entries

    def base_names(self, spec: dict[str, Any], sets: dict[str, Any]) -> list[str]:
        """System package names: the listed sets, then generated ones up to `fill_to`."""
        names = list(dict.fromkeys(name for key in spec.get("sets", []) for name in sets[key]))
        rng = random.Random(f"{self.seed}:base")
        prefixes = [p for key in spec.get("fill", []) for p in sets["fill"][key]]
        words = sets["fill"]["words"]
        known = set(names)
        while prefixes and len(names) < int(spec.get("fill_to", 0)):
            name = f"{rng.choice(prefixes)}.{rng.choice(words)}"
            if rng.random() < 0.5:
                name += f".{rng.choice(words)}"
            if name not in known:
                names.append(name)
                known.add(name)
        return names

    # --- paths and versions -------------------------------------------------------------

    def data_apk(self, name: str, rng: random.Random) -> str:
        if self.sdk <= 25:
            return f"/data/app/{name}-{rng.randint(1, 2)}/base.apk"
        token = base64.urlsafe_b64encode(rng.randbytes(16)).decode()
        if self.sdk <= 29:
            return f"/data/app/{name}-{token}/base.apk"
        outer = base64.urlsafe_b64encode(rng.randbytes(16)).decode()
        return f"/data/app/~~{outer}/{name}-{token}/base.apk"

    def system_apk(self, name: str) -> str:
        if name == "android":
            return "/system/framework/framework-res.apk"
        camel = APK_NAMES.get(name) or _camel(name)
        if any(word in name for word in _OVERLAY_WORDS):
            folder = "/product/overlay" if self.sdk >= 29 else "/vendor/overlay"
            return f"{folder}/{camel}Overlay.apk"
        priv = any(word in name for word in _PRIV_WORDS) or stable_number(name, 4) == 0
        if self.sdk >= 29 and name.startswith(
            ("com.google.", "com.android.vending", "com.android.chrome")
        ):
            partition = "product"
        elif self.sdk >= 30 and name in ("com.android.systemui", "com.android.settings"):
            partition = "system_ext"
        elif self.sdk >= 29 and stable_number(name, 5) == 0:
            partition = "product"
        else:
            partition = "system"
        return f"/{partition}/{'priv-app' if priv else 'app'}/{camel}/{camel}.apk"

    def versions(self, name: str, system: bool, rng: random.Random) -> tuple[str, int]:
        if name in KNOWN_VERSIONS:
            return KNOWN_VERSIONS[name]
        if system and (name.startswith("com.android.") or name == "android"):
            if any(word in name for word in _MODULE_WORDS):
                code = self.sdk * 10_000_000 + rng.randint(100_000, 999_999)
                return f"{self.sdk} ({code % 10_000_000}-{rng.randint(100, 999)})", code
            return self.release, self.sdk
        if system and any(word in name for word in _MODULE_WORDS):
            code = self.sdk * 10_000_000 + rng.randint(100_000, 999_999)
            return f"{self.sdk} ({code % 10_000_000}-{rng.randint(100, 999)})", code
        if name.startswith(("com.samsung.", "com.sec.")):
            minor = rng.randint(0, 9)
            return f"{self.release}.{minor}.0{rng.randint(1, 9)}.{rng.randint(1, 60)}", (
                int(self.release.split(".")[0]) * 100_000_000
                + minor * 1_000_000
                + rng.randint(1, 999_999)
            )
        major = rng.randint(1, 40)
        return (
            f"{major}.{rng.randint(0, 30)}.{rng.randint(0, 99)}",
            major * 10_000_000 + rng.randint(0, 9_999_999),
        )


def assign_app_ids(packages: dict[str, Package]) -> None:
    """Give every package without an explicit uid an app id, system packages first."""
    used = {p.app_id for p in packages.values() if p.app_id}
    next_id = 10_010
    order = sorted(
        packages.values(), key=lambda p: (not p.system, p.first_install, java_hash(p.name))
    )
    for package in order:
        if package.app_id:
            continue
        if package.name in SHARED_UIDS:
            package.app_id = SHARED_UIDS[package.name][0]
            continue
        while next_id in used:
            next_id += 1
        package.app_id = next_id
        used.add(next_id)


_SPLITS = ["split_config.arm64_v8a.apk", "split_config.en.apk", "split_config.xxhdpi.apk"]


def _camel(name: str) -> str:
    parts = [p for p in name.split(".") if p not in ("com", "android", "google", "app", "apps")]
    tail = parts[-2:] if len(parts) >= 2 and len(parts[-1]) <= 5 else parts[-1:]
    words = [w for part in tail for w in part.replace("_", " ").split()]
    return "".join(w[:1].upper() + w[1:] for w in words) or "Framework"


def _time(text: str) -> datetime:
    return datetime.strptime(str(text), TIME_FORMAT)
