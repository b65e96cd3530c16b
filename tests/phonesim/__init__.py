"""A simulated Android phone that the real adb server talks to: for tests and benches.

`SimulatedPhone(profile).start()` listens on a loopback port; `adb connect 127.0.0.1:PORT`
(or adbutils' `client.connect`) makes it a device with the serial `phone.address`. It answers
the shell commands an audit uses in the formats of the profile's Android version, and its state
changes when packages are uninstalled, disabled or restored. It is pure Python (no Qt) and lives
in the test tree: the installed app never contains it (a test builds the wheel and looks), so
nobody can make a receipt from it with the app alone.

Profile schema (tests/phonesim/phones/<id>.json; `_package-sets.json` holds shared name lists)::

    {
      "id": "samsung-work-profile",            # defaults to the file name
      "description": "what this phone is for",
      "properties": {"ro.product.model": "...", "ro.build.version.sdk": "34", ...},
                                               # getprop; the SDK picks the output dialect
      "first_boot": "2024-01-15 10:00:00",     # phone-local time of the first boot
      "program_ms": 150, "cores": 8,           # what each program it starts costs, and how
                                               # many run side by side (timing.py); 0, 8
      "users": [                               # the first one must be user 0
        {"id": 0, "name": "Owner", "flags": "0x4c13", "kind": "owner"},
        {"id": 10, "name": "Work profile", "flags": "0x1030", "kind": "work_profile",
         "parent": 0, "profile_owner": "pkg/.Receiver",
         "restrictions": ["no_uninstall_apps"],  # UserManager restriction keys
         "readable": true, "running": true}      # readable=false: SecurityException
      ],
      "device_owner": {"user": 0, "component": "pkg/.Receiver"},   # or absent
      "settings": {"global/adb_enabled": "1"},
      "quirks": {"user_error": "caught" | "uncaught",   # SecurityException style override
                 # faults, standing for a broken phone's answer (exit status 0 all the same):
                 "empty_list": "10",                    # `pm list packages --user 10` prints
                                                        # nothing ("10,150": several users)
                 "users_without_owner": "true",         # `pm list users` leaves user 0 out
                 "props_without": "ro.build.version.sdk",  # `getprop` leaves these keys out
                 "features": "shell_v2,cmd",            # CNXN features override
                 "background_jobs": "none",             # sh refuses `&` and subshells
                 "loops": "none",                       # sh refuses while/for/case
                 "tmp": "read-only"},                   # no scratch files in /data/local/tmp
      "base": {                                # generated ordinary packages
        "sets": ["aosp", "google", "samsung"], # system packages from _package-sets.json
        "updated": ["google_updated"],         # of those, updated from a store (/data/app)
        "fill": ["samsung"], "fill_to": 330,   # generated overlays until this many
        "share": {"10": 0.4},                  # share of system packages in other users
        "third_party": {"0": 28},              # store apps from the "popular" set per user
        "seed": 7
      },
      "packages": [                            # by hand; a name in `base` is overridden
        {"package": "com.zhiliaoapp.musically", "label": "TikTok",
         "system": false, "updated_system": false,
         "apk": "/data/app/~~...==/com.zhiliaoapp.musically-...==/base.apk",  # else generated
         "splits": ["split_config.arm64_v8a.apk"],
         "installer": "com.android.vending",   # null: preinstalled or adb
         "versionName": "34.1.4", "versionCode": 2023401040,
         "uid": 10287,                          # the app id; generated when absent
         "firstInstallTime": "2024-02-11 09:14:02", "lastUpdateTime": "2024-05-02 18:31:10",
         "targetSdk": 34, "minSdk": 24,
         "protected": false,                    # device-policy app: no uninstall, no disable
         "blocked_users": [10],                 # the admin blocked uninstalling it there
         "garbled": false,                      # true: a name no phone could hold (breaks the
                                                # package-name grammar), standing for garbled output
         "users": {"10": "installed"}}          # installed | disabled | hidden (frozen) |
      ]                                         # suspended | removed_for_user | data_retained;
                                                # absent users: not there
    }

What each command prints per SDK is described in `pm.py` and `dumpsys.py`. Read-only output
(`pm list packages`, `dumpsys package NAME`) is rendered once per state version and then served
from memory, as a phone's package manager holds its lists: simulator CPU should not stand in
for a phone's in any timing.
"""

from __future__ import annotations

from tests.phonesim.daemon import SimulatedPhone, default_features
from tests.phonesim.profiles import (
    ProfileError,
    build_state,
    list_profiles,
    load_profile_data,
    load_state,
)
from tests.phonesim.shell import Output
from tests.phonesim.state import Enabled, Package, PhoneState, SimState, User, UserPackageState

__all__ = [
    "Enabled",
    "Output",
    "Package",
    "PhoneState",
    "ProfileError",
    "SimState",
    "SimulatedPhone",
    "User",
    "UserPackageState",
    "build_state",
    "default_features",
    "list_profiles",
    "load_profile_data",
    "load_state",
]
