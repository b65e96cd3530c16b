"""A small in-process phone that runs Device Audit's shell commands with real behaviour.

It runs command lines through the simulator's sh (tests.phonesim.shell: quotes, `;`, `$?`,
`2>&1`, background jobs and their scratch files; `jobs=False` refuses `&` as a shell that cannot
start jobs), answers getprop, pm list
users/packages (with AOSP's MATCH_UNINSTALLED_PACKAGES semantics), dumpsys and the removal
commands from a tiny model that mutates, and can reject flags like an old `pm`, refuse a user
like a protected work profile, answer garbage, or "unplug" after N commands. The scan and action
logic is unit-tested against it; the integration tests use the full simulator through real adb.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from audit.errors import DeviceGone
from audit.sources.android.shell import ShellOutput
from tests.phonesim.commands import FILE_COMMANDS
from tests.phonesim.shell import CommandFn, Output, Shell
from tests.phonesim.timing import Timing


@dataclass
class FakePackage:
    name: str
    system: bool = False
    installed: set[int] = field(default_factory=set)  # users it is installed for
    disabled: set[int] = field(default_factory=set)
    installer: str = "null"
    version_code: int = 1
    version_name: str = "1.0"
    app_id: int = 10100
    apk: str = ""
    protected: bool = False  # device-policy app: uninstall fails
    kept_data: set[int] = field(default_factory=set)  # users it was uninstalled from with -k

    def path(self) -> str:
        if self.apk:
            return self.apk
        if self.system:
            return f"/system/app/{self.name.split('.')[-1]}/{self.name.split('.')[-1]}.apk"
        return f"/data/app/~~abc==/{self.name}-xyz==/base.apk"


@dataclass
class FakeUser:
    id: int
    name: str
    flags: int
    readable: bool = True


@dataclass
class FakePhone:
    props: dict[str, str]
    users: list[FakeUser]
    packages: dict[str, FakePackage]
    policy: str = "Current Device Policy Manager state:\n  Immutable state:\n    mHasFeature=true\n"
    rejects: tuple[str, ...] = ()  # options this phone's pm does not know, in pm's order
    drop_after: int | None = None  # shell commands answered before the phone "unplugs"
    garbage: bool = False
    security_exit_zero: bool = True  # Android 14+: the SecurityException with status 0
    cmd_verbs_missing: tuple[str, ...] = ()  # `cmd package` verbs this build lacks
    settings: dict[str, str] = field(default_factory=dict)
    jobs: bool = True  # whether its shell can run programs side by side (background jobs)
    files: dict[str, bytes] = field(default_factory=dict)  # its /data/local/tmp
    commands: list[str] = field(default_factory=list)  # every shell command received
    executed: list[list[str]] = field(default_factory=list)  # every argv run

    # --- the Shell protocol ------------------------------------------------------------

    def run(self, command: str) -> ShellOutput:
        if self.drop_after is not None and len(self.commands) >= self.drop_after:
            raise DeviceGone("fake", "The phone fake stopped answering during a command.")
        self.commands.append(command)
        if self.garbage:
            return ShellOutput(b"\x00\xffgarbage\n\x1b[31mmore garbage\n", 0)

        def program(_shell: Shell, argv: list[str], _stdin: bytes) -> Output:
            text, status = self._run_argv(argv, 0)
            return Output.of(stdout=text, status=status)

        table: dict[str, CommandFn] = {name: program for name in _PROGRAMS}
        table.update(FILE_COMMANDS)
        out = Shell(table, self.files, Timing(jobs=self.jobs)).run(command)
        return ShellOutput(out.stdout + out.stderr, out.status)

    # --- commands ----------------------------------------------------------------------

    def _run_argv(self, argv: list[str], last_status: int) -> tuple[str, int]:
        self.executed.append(argv)
        name, args = argv[0], argv[1:]
        if name == "echo":
            return " ".join(args) + "\n", 0
        if name == "getprop":
            return self._getprop(args), 0
        if name == "dumpsys" and args[:1] == ["device_policy"]:
            return self.policy, 0
        if name == "dumpsys" and args[:1] == ["package"]:
            return self._dumpsys_package(args[1]), 0
        if argv[:3] == ["pm", "list", "users"]:
            lines = [f"\tUserInfo{{{u.id}:{u.name}:{u.flags:x}}} running" for u in self.users]
            return "Users:\n" + "\n".join(lines) + "\n", 0
        if argv[:3] == ["pm", "list", "packages"]:
            return self._list_packages(args[2:])
        if name == "settings" and args[:2] == ["put", "global"]:
            return self._put_setting(args[2], args[3])
        if name in ("pm", "cmd"):
            return self._action(argv)
        if name == "am" and args[:1] == ["force-stop"]:
            return "", 0
        return f"/system/bin/sh: {name}: not found\n", 127

    def _unknown_option(self, options: list[str]) -> str | None:
        for option in options:
            if option in self.rejects:
                return option
        return None

    def _list_packages(self, options: list[str]) -> tuple[str, int]:
        if (rejected := self._unknown_option(options)) is not None:
            return f"Error: Unknown option: {rejected}\n", 255
        user = 0
        if "--user" in options:
            user = int(options[options.index("--user") + 1])
        target = next((u for u in self.users if u.id == user), None)
        if self.users and (target is None or not target.readable):
            message = (
                f"Error: java.lang.SecurityException: Shell does not have permission to "
                f"access user {user}\n"
            )
            return message, 0 if self.security_exit_zero else 255
        lines = []
        for package in self.packages.values():
            if not self._listed(package, user, "-u" in options):
                continue
            if "-d" in options and user not in package.disabled:
                continue
            if "-s" in options and not package.system:
                continue
            if "-3" in options and package.system:
                continue
            line = "package:"
            if "-f" in options:
                line += package.path() + "="
            line += package.name
            if "--show-versioncode" in options:
                line += f" versionCode:{package.version_code}"
            if "-i" in options:
                line += f"  installer={package.installer}"
            if "-U" in options:
                line += f" uid:{user * 100000 + package.app_id}"
            lines.append(line + "\n")
        return "".join(lines), 0

    def _listed(self, package: FakePackage, user: int, uninstalled_too: bool) -> bool:
        """MATCH_UNINSTALLED_PACKAGES: from Android 8 installed for this user, any system
        package, or kept with its data (-k); up to Android 7 also installed in another user."""
        if user in package.installed:
            return True
        if not uninstalled_too:
            return False
        if package.system or user in package.kept_data:
            return True
        return int(self.props.get("ro.build.version.sdk", "34")) <= 25 and bool(package.installed)

    def _dumpsys_package(self, name: str) -> str:
        package = self.packages.get(name)
        if package is None:
            return f"Unable to find package: {name}\n"
        users = "".join(
            f"    User {u.id}: ceDataInode=1 installed={str(u.id in package.installed).lower()} "
            f"hidden=false suspended=false stopped=false notLaunched=false "
            f"enabled={3 if u.id in package.disabled else 0} instant=false virtual=false\n"
            f"      firstInstallTime=2023-03-0{1 + u.id % 8} 10:00:00\n"
            for u in self.users
        )
        flags = "SYSTEM HAS_CODE" if package.system else "HAS_CODE"
        return (
            "Packages:\n"
            f"  Package [{name}] (1a2b3c):\n"
            f"    appId={package.app_id}\n"
            f"    versionCode={package.version_code} minSdk=21 targetSdk=33\n"
            f"    versionName={package.version_name}\n"
            f"    flags=[ {flags} ]\n"
            f"    lastUpdateTime=2023-11-20 09:41:12\n"
            f"    installerPackageName={package.installer}\n"
            f"{users}"
        )

    def _getprop(self, args: list[str]) -> str:
        if args:
            return self.props.get(args[0], "") + "\n"
        return "".join(f"[{k}]: [{v}]\n" for k, v in sorted(self.props.items()))

    def _put_setting(self, key: str, value: str) -> tuple[str, int]:
        self.settings[key] = value
        if (key, value) == ("adb_enabled", "0"):
            self.drop_after = len(self.commands)  # adbd stops: the next command fails
        return "", 0

    def _action(self, argv: list[str]) -> tuple[str, int]:
        words = argv[2:] if argv[:2] == ["cmd", "package"] else argv[1:]
        verb, rest = words[0], words[1:]
        if argv[0] == "cmd" and verb in self.cmd_verbs_missing:
            return f"Unknown command: {verb}\n", 255
        user: int | None = None
        if "--user" in rest:
            index = rest.index("--user")
            user = int(rest[index + 1])
            rest = rest[:index] + rest[index + 2 :]
        name = rest[-1]
        package = self.packages.get(name)
        if verb == "uninstall":
            return self._uninstall(name, user)
        if verb == "install-existing":
            if package is None or user is None:
                return (
                    "android.content.pm.PackageManager$NameNotFoundException: "
                    f"Package {name} doesn't exist\n",
                    1,
                )
            package.installed.add(user)
            return f"Package {name} installed for user: {user}\n", 0
        if verb in ("disable-user", "enable"):
            if package is None or user is None:
                return (
                    "Exception occurred while executing 'disable-user':\n"
                    f"java.lang.IllegalArgumentException: Unknown package: {name}\n",
                    255,
                )
            if verb == "enable":
                package.disabled.discard(user)
                return f"Package {name} new state: enabled\n", 0
            package.disabled.add(user)
            return f"Package {name} new state: disabled-user\n", 0
        return f"Unknown command: {verb}\n", 255

    def _uninstall(self, name: str, user: int | None) -> tuple[str, int]:
        package = self.packages.get(name)
        if package is None or (user is not None and user not in package.installed):
            return f"Failure [not installed for {user if user is not None else 0}]\n", 1
        if package.protected:
            return "Failure [DELETE_FAILED_DEVICE_POLICY_MANAGER]\n", 1
        if user is None:
            if package.system:
                return "Failure [DELETE_FAILED_INTERNAL_ERROR]\n", 1
            del self.packages[name]
        else:
            package.installed.discard(user)
            package.disabled.discard(user)
            if not package.system and not package.installed:
                del self.packages[name]
        return "Success\n", 0


_PROGRAMS = ("echo", "getprop", "dumpsys", "pm", "cmd", "settings", "am")
"""What the fake answers itself; the shell says any other name is not found, as a phone's does."""


# --- phones ----------------------------------------------------------------------------------

TIKTOK = "com.zhiliaoapp.musically"


def framework(*users: int) -> FakePackage:
    """framework-res.apk, package `android`: installed in every user of every phone."""
    return FakePackage(
        "android",
        system=True,
        installed=set(users),
        app_id=1000,
        apk="/system/framework/framework-res.apk",
    )


def samsung_with_work_profile() -> FakePhone:
    """Owner, a work profile holding TikTok, an unreadable Secure Folder, a preinstalled
    Facebook removed for the owner, a disabled Chrome."""
    return FakePhone(
        props={
            "ro.product.manufacturer": "samsung",
            "ro.product.model": "SM-S911B",
            "ro.build.version.release": "14",
            "ro.build.version.sdk": "34",
            "ro.build.fingerprint": (
                "samsung/dm1qxxx/dm1q:14/UP1A.231005.007/S911BXXU3BWK5:user/release-keys"
            ),
            "persist.sys.timezone": "Pacific/Auckland",
        },
        users=[
            FakeUser(0, "Owner", 0x4C13),
            FakeUser(10, "Work profile", 0x1030),
            FakeUser(150, "Secure Folder", 0x10061030, readable=False),
        ],
        packages={
            p.name: p
            for p in [
                framework(0, 10, 150),
                FakePackage("com.android.settings", system=True, installed={0, 10}, app_id=1000),
                FakePackage("com.android.chrome", system=True, installed={0, 10}, disabled={0}),
                FakePackage("com.facebook.katana", system=True, installed={10}, app_id=10233),
                FakePackage(
                    TIKTOK,
                    installed={10},
                    installer="com.android.vending",
                    version_code=2023205030,
                    version_name="32.5.3",
                    app_id=10321,
                ),
                FakePackage("com.whatsapp", installed={0}, installer="com.android.vending"),
                FakePackage(
                    "com.google.android.apps.work.clouddpc",
                    installed={10},
                    installer="com.android.vending",
                    protected=True,
                ),
            ]
        },
        policy=(
            "Current Device Policy Manager state:\n  Immutable state:\n    mHasFeature=true\n"
            "  Profile Owner (User 10): \n"
            "    admin=ComponentInfo{com.google.android.apps.work.clouddpc/.Receiver}\n"
            "    name=Android Device Policy\n"
            "    package=com.google.android.apps.work.clouddpc\n"
        ),
    )


def old_android7() -> FakePhone:
    """A Nougat phone whose pm knows neither -U nor --show-versioncode."""
    return FakePhone(
        props={
            "ro.product.manufacturer": "motorola",
            "ro.product.model": "Moto G (5)",
            "ro.build.version.release": "7.0",
            "ro.build.version.sdk": "24",
            "ro.build.fingerprint": (
                "motorola/cedric/cedric:7.0/NPPS25.137-93-14/16:user/release-keys"
            ),
        },
        users=[FakeUser(0, "Owner", 0x13)],
        packages={
            p.name: p
            for p in [
                framework(0),
                FakePackage("com.android.calculator2", system=True, installed={0}),
                FakePackage(TIKTOK, installed={0}, installer="com.android.vending"),
                FakePackage("com.musical.ly.clone", installed={0}, installer="null"),
            ]
        },
        rejects=("-U", "--show-versioncode"),
    )
