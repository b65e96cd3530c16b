"""`pm`, `cmd package`, `cmd user` and `am force-stop`, as each Android version answers them.

Formats follow AOSP's PackageManagerShellCommand, UserManagerServiceShellCommand and, for
Android 7 (SDK 24-25), the Java `Pm` program that forwarded most sub-commands to the package
service. The differences that matter to a parser are kept on purpose:

- SDK <= 25: no `-U`, `--uid`, `--show-versioncode`, `-a`; "Error: Unknown option: -U" goes to
  stdout and the exit status is 0 (Pm and cmd did not pass the result back); no
  `install-existing`; `cmd package` has no `path`, `enable` or `disable-user`.
- SDK 26-27 add `-U` and `--uid`; SDK >= 28 adds `--show-versioncode`; SDK >= 29 `-a`,
  `--apex-only`; SDK >= 30 `--factory-only`; SDK >= 35 `--show-stopped` and `-q`.
- `-u` (MATCH_UNINSTALLED_PACKAGES): from SDK 26 the user's own packages, every system package
  and the user's apps uninstalled with `-k`; up to SDK 25 also every other user's apps.
- SDK >= 33: without `--user`, `pm list packages` reads every user and prints one line per
  distinct line text, with the uids of all users joined: `uid:10234,1010234`; lines come in
  Java HashMap order. Older versions read user 0 only, in package-hash order.
- A user the shell may not read (Secure Folder) throws a SecurityException: uncaught before
  SDK 35 (stack trace on stderr, exit 255, nothing on stdout), caught per user from SDK 35
  ("Error: java.lang.SecurityException: ..." on stderr, exit 0, the other users still listed).

A listing is rendered once per state version (PhoneState.version) and then served as is.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Iterator

from tests.phonesim.javatext import JavaException, illegal_argument, security, uncaught
from tests.phonesim.shell import Output, encode
from tests.phonesim.state import (
    Enabled,
    OutputCache,
    Package,
    PhoneState,
    ProtectedPackage,
    ShellCannotChangeState,
    UnknownPackage,
    UserNotReadable,
    java_hash,
)

USER_ALL = -1
USER_CURRENT = -2
FAILED = 255  # a Java command returning -1


class UnknownOption(Exception):
    def __init__(self, option: str) -> None:
        super().__init__(option)
        self.option = option


class Args:
    """BasicShellCommandHandler's argument reader, quirks included.

    `-fi` is read as option `-f` with data `i`; asking for the next option then throws
    "No argument expected after "-fi"", exactly as on a phone.
    """

    def __init__(self, args: list[str], command: str) -> None:
        self.args = [command, *args]
        self.pos = 1
        self.data: str | None = None

    def next_option(self) -> str | None:
        if self.data is not None:
            raise illegal_argument(f'No argument expected after "{self.args[self.pos - 1]}"')
        if self.pos >= len(self.args):
            return None
        arg = self.args[self.pos]
        if not arg.startswith("-"):
            return None
        self.pos += 1
        if arg == "--":
            return None
        if len(arg) > 1 and arg[1] != "-":
            if len(arg) > 2:
                self.data = arg[2:]
                return arg[:2]
            return arg
        return arg

    def next_arg(self) -> str | None:
        if self.data is not None:
            arg, self.data = self.data, None
            return arg
        if self.pos < len(self.args):
            self.pos += 1
            return self.args[self.pos - 1]
        return None

    def next_arg_required(self) -> str:
        arg = self.next_arg()
        if arg is None:
            raise illegal_argument(f'Argument expected after "{self.args[self.pos - 1]}"')
        return arg


def parse_user(arg: str) -> int:
    """UserHandle.parseUserArg."""
    if arg == "all":
        return USER_ALL
    if arg in ("current", "cur"):
        return USER_CURRENT
    value = java_int(arg)
    if value is None:
        raise illegal_argument(f"Bad user number: {arg}")
    return value


def legacy_user(args: Args) -> int | None:
    """The old Pm.java's optional `--user N` (before `cmd package`): N, or 0 without it; None
    when N is missing or not plain digits."""
    if args.next_option() != "--user":
        return 0
    data = args.next_arg()
    return int(data) if data is not None and re.fullmatch(r"[0-9]+", data) else None


def parse_int(arg: str) -> int:
    """Integer.parseInt, with Java's exception text."""
    value = java_int(arg)
    if value is None:
        raise JavaException("java.lang.NumberFormatException", f'For input string: "{arg}"')
    return value


def java_int(arg: str) -> int | None:
    """Integer.parseInt's grammar: optional sign, ASCII digits, within 32 bits."""
    if not re.fullmatch(r"[+-]?[0-9]+", arg):
        return None
    value = int(arg)
    return value if -(2**31) <= value < 2**31 else None


def security_for(user_id: int, sdk: int) -> JavaException:
    message = f"Shell does not have permission to access user {user_id}"
    if sdk < 33:
        message += (
            "\n com.android.server.am.ActivityManagerService.handleIncomingUser:15008 "
            "android.app.ActivityManager.handleIncomingUser:3916 "
            "com.android.server.pm.PackageManagerShellCommand.translateUserId:2149"
        )
    return security(message)


def quirk_ids(quirks: dict[str, str], name: str) -> set[int]:
    """The user ids a fault quirk names ("10" or "10,150")."""
    return {int(part) for part in quirks.get(name, "").split(",") if part.strip().isdigit()}


class PackageCommands:
    """One phone's package manager shell; `run` answers `pm ...` and `cmd package ...`."""

    def __init__(self, state: PhoneState) -> None:
        self.state = state
        self._listings: OutputCache[tuple[tuple[int, ...], frozenset[str], str | None, int]]
        self._listings = OutputCache(state)

    @property
    def sdk(self) -> int:
        return self.state.sdk

    @property
    def legacy(self) -> bool:
        """Android 7: `pm` is a Java program and `cmd` does not report results."""
        return self.sdk <= 25

    def check_user(self, user_id: int) -> None:
        """translateUserId: the shell may not touch a user with debugging features disallowed."""
        try:
            self.state.check_readable(user_id)
        except UserNotReadable as error:
            raise security_for(error.user_id, self.sdk) from None

    # --- entry points -------------------------------------------------------------------

    def pm(self, args: list[str]) -> Output:
        if not args:
            if self.legacy:
                return Output.of(stderr=_PM_USAGE, status=1)
            return Output.of(stdout=_HELP, status=FAILED)
        if self.legacy:
            return self.legacy_pm(args)
        return self.package_service(args)

    def cmd_package(self, args: list[str]) -> Output:
        out = self.package_service(args)
        if self.legacy:
            out.status = 0
        return out

    def package_service(self, args: list[str]) -> Output:
        """PackageManagerShellCommand.onCommand."""
        if not args:
            return Output.of(stdout=_HELP, status=FAILED)
        command, rest = args[0], args[1:]
        handlers = {
            "list": self.run_list,
            "uninstall": self.run_uninstall,
            "path": self.run_path,
            "enable": lambda a: self.run_set_enabled(a, Enabled.ENABLED, "enable"),
            "disable": lambda a: self.run_set_enabled(a, Enabled.DISABLED, "disable"),
            "disable-user": lambda a: self.run_set_enabled(
                a, Enabled.DISABLED_USER, "disable-user"
            ),
            "default-state": lambda a: self.run_set_enabled(a, Enabled.DEFAULT, "default-state"),
            "install-existing": self.run_install_existing,
            "clear": self.run_clear,
        }
        if self.legacy:
            handlers = {k: v for k, v in handlers.items() if k in ("list", "uninstall")}
        handler = handlers.get(command)
        if handler is None:
            if command in ("help", "-h"):
                return Output.of(stdout=_HELP, status=FAILED)
            return Output.of(stdout=f"Unknown command: {command}\n", status=FAILED)
        try:
            return handler(rest)
        except JavaException as error:
            return Output.of(stderr=uncaught(command, error), status=FAILED)

    def legacy_pm(self, args: list[str]) -> Output:
        """Android 7's Pm.java: some commands forwarded (result lost), some run in-process."""
        command, rest = args[0], args[1:]
        if command == "list" and rest[:1] == ["users"]:
            out = self.user_list([])
            out.status = 0
            return out
        if command in ("list", "uninstall"):
            out = self.package_service(args)
            out.status = 0
            return out
        try:
            if command == "path":
                return self.legacy_path(rest)
            if command in ("enable", "disable", "disable-user", "default-state"):
                new_state = {
                    "enable": Enabled.ENABLED,
                    "disable": Enabled.DISABLED,
                    "disable-user": Enabled.DISABLED_USER,
                    "default-state": Enabled.DEFAULT,
                }[command]
                return self.legacy_set_enabled(rest, new_state)
            if command == "clear":
                return self.legacy_clear(rest)
        except JavaException as error:
            return Output.of(stderr=f"Error: {error}\n", status=1)
        return Output.of(stderr=f"Error: unknown command '{command}'\n{_PM_USAGE}", status=1)

    # --- list ---------------------------------------------------------------------------

    def run_list(self, args: list[str]) -> Output:
        kind = args[0] if args else None
        if kind is None:
            return Output.of(stdout="Error: didn't specify type of data to list\n", status=FAILED)
        if kind in ("package", "packages"):
            return self.list_packages(args[1:])
        if kind == "users" and not self.legacy:
            return self.user_list([])
        return Output.of(stdout=f"Error: unknown list type '{kind}'\n", status=FAILED)

    def list_options(self) -> set[str]:
        options = {"-d", "-e", "-f", "-i", "-l", "-s", "-3", "-u", "--user"}
        if self.sdk >= 26:
            options |= {"-U", "--uid"}
        if self.sdk >= 28:
            options |= {"--show-versioncode"}
        if self.sdk >= 29:
            options |= {"-a", "--apex-only"}
        if self.sdk >= 30:
            options |= {"--factory-only"}
        if self.sdk >= 35:
            options |= {"--show-stopped", "-q"}
        return options

    def list_packages(self, rest: list[str]) -> Output:
        try:
            flags, user_arg, uid_filter, name_filter = self.parse_list(rest)
        except UnknownOption as error:
            return Output.of(stdout=f"Error: Unknown option: {error.option}\n", status=FAILED)
        except JavaException as error:
            return Output.of(stdout=f"Error: {error}\n", status=FAILED)
        if user_arg is None:
            user_arg = USER_ALL if self.sdk >= 33 else 0
        if user_arg == USER_CURRENT:
            user_arg = 0
        if user_arg in quirk_ids(self.state.quirks, "empty_list"):
            return Output()  # the fault: nothing at all, exit status 0
        user_ids = self.state.user_ids() if user_arg == USER_ALL else [user_arg]
        out = Output()
        readable: list[int] = []
        caught = self.state.quirks.get("user_error", "caught" if self.sdk >= 35 else "uncaught")
        with self.state.lock:
            for user_id in user_ids:
                try:
                    self.state.check_readable(user_id)
                except UserNotReadable as error:
                    exception = security_for(error.user_id, self.sdk)
                    if caught == "caught":
                        out.write(2, f"Error: {exception}\n")
                        continue
                    return Output.of(stderr=uncaught("list", exception), status=FAILED)
                readable.append(user_id)
            text = self._listings.get(
                (tuple(readable), frozenset(flags), name_filter, uid_filter),
                lambda: encode(self.listing(readable, flags, name_filter, uid_filter)),
            )
        out.write(1, text)
        return out

    def listing(
        self, user_ids: list[int], flags: set[str], name_filter: str | None, uid_filter: int
    ) -> str:
        """The lines of `pm list packages` for these users, merged as Android merges them."""
        lines: dict[str, list[str]] = {}
        for user_id in user_ids:
            for line, uid in self.package_lines(user_id, flags, name_filter, uid_filter):
                lines.setdefault(line, [])
                if uid is not None:
                    lines[line].append(str(uid))
        keys = hashmap_order(list(lines)) if self.sdk >= 33 else list(lines)
        return "".join(
            f"{key} uid:{','.join(lines[key])}\n" if lines[key] else f"{key}\n" for key in keys
        )

    def parse_list(self, rest: list[str]) -> tuple[set[str], int | None, int, str | None]:
        """Options of `list packages`: (flags, --user, --uid, FILTER)."""
        args = Args(rest, "packages")
        known = self.list_options()
        flags: set[str] = set()
        user_arg: int | None = None
        uid_filter = -1
        while (opt := args.next_option()) is not None:
            if opt not in known:
                raise UnknownOption(opt)
            if opt == "--user":
                user_arg = parse_user(args.next_arg_required())
            elif opt == "--uid":
                flags.add("-U")
                uid_filter = parse_int(args.next_arg_required())
            else:
                flags.add(opt)
        return flags, user_arg, uid_filter, args.next_arg()

    def package_lines(
        self, user_id: int, flags: set[str], name_filter: str | None, uid_filter: int
    ) -> Iterator[tuple[str, int | None]]:
        user = self.state.user(user_id)
        if user is None:
            return
        match_uninstalled = "-u" in flags or "-a" in flags
        for package in ordered(self.state.packages.values()):
            if not self.state.visible_to(package, user_id, match_uninstalled):
                continue
            if name_filter is not None and name_filter not in package.name:
                continue
            uid = user.uid(package.app_id)
            if uid_filter not in (-1, uid) or not self.wanted(package, user_id, flags):
                continue
            line = "package:"
            if "-f" in flags:
                line += package.apk + "="
            line += package.name
            if "--show-versioncode" in flags:
                line += f" versionCode:{package.version_code}"
            if "--show-stopped" in flags:
                stopped = package.user_state(user_id).stopped
                line += f" stopped={'true' if stopped else 'false'}"
            if "-i" in flags:
                line += f"  installer={package.installer or 'null'}"
            yield line, uid if "-U" in flags else None

    @staticmethod
    def wanted(package: Package, user_id: int, flags: set[str]) -> bool:
        """The -d, -e, -s, -3, --apex-only and --factory-only filters."""
        enabled = package.user_state(user_id).enabled.is_enabled
        if ("-d" in flags and enabled) or ("-e" in flags and not enabled):
            return False
        if ("-s" in flags and not package.system) or ("-3" in flags and package.system):
            return False
        return "--apex-only" not in flags and ("--factory-only" not in flags or package.system)

    # --- users --------------------------------------------------------------------------

    def user_list(self, args: list[str]) -> Output:
        verbose = False
        for arg in args:
            if arg in ("-v", "--verbose") and self.sdk >= 30:
                verbose = True
            elif arg == "--all" and self.sdk >= 30:
                continue
            else:
                return Output.of(stdout=f"Invalid option: {arg}\n", status=FAILED)
        users = self.state.users
        if self.state.quirks.get("users_without_owner") == "true":
            users = [user for user in users if user.id != 0]  # the fault: no user 0
        if not verbose:
            lines = ["Users:"]
            lines += [f"\t{u}{' running' if u.running else ''}" for u in users]
            return Output.of(stdout="\n".join(lines) + "\n")
        lines = [f"{len(users)} users:", ""]
        for index, user in enumerate(users):
            parent = f" (parentId={user.parent})" if user.parent is not None else ""
            running = " (running)" if user.running else ""
            owner = " (profile-owner)" if user.profile_owner else ""
            if self.state.device_owner and self.state.device_owner[0] == user.id:
                owner = " (device-owner)" + owner
            current = " (current)" if user.id == 0 else ""
            lines.append(
                f"{index}: id={user.id}, name={user.name}, type={_user_type(user.kind)}, "
                f"flags={_flag_names(user.flags)}{parent}{running}{owner}{current}"
            )
        return Output.of(stdout="\n".join(lines) + "\n")

    # --- path ---------------------------------------------------------------------------

    def run_path(self, rest: list[str]) -> Output:
        args = Args(rest, "path")
        user_id = USER_CURRENT
        if args.next_option() == "--user":
            user_id = parse_user(args.next_arg_required())
        name = args.next_arg_required()
        if user_id == USER_CURRENT:
            user_id = 0
        self.check_user(user_id)
        return self.package_path(name, user_id)

    def legacy_path(self, rest: list[str]) -> Output:
        args = Args(rest, "path")
        user_id = legacy_user(args)
        if user_id is None:
            return Output.of(stderr="Error: no USER_ID specified\n" + _PM_USAGE, status=1)
        name = args.next_arg()
        if name is None:
            return Output.of(stderr="Error: no package specified\n", status=1)
        return self.package_path(name, user_id)

    def package_path(self, name: str, user_id: int) -> Output:
        package = self.state.packages.get(name)
        if package is None or not package.available_for(user_id):
            return Output(status=1)
        folder = package.apk.rsplit("/", 1)[0]
        lines = [f"package:{package.apk}"] + [f"package:{folder}/{s}" for s in package.splits]
        return Output.of(stdout="\n".join(lines) + "\n")

    # --- uninstall ----------------------------------------------------------------------

    def run_uninstall(self, rest: list[str]) -> Output:
        args = Args(rest, "uninstall")
        user_id = USER_ALL
        keep = False
        while (opt := args.next_option()) is not None:
            if opt == "-k":
                keep = True
            elif opt == "--user":
                user_id = parse_user(args.next_arg_required())
            elif opt == "--versionCode" and self.sdk >= 28:
                args.next_arg_required()
            else:
                return Output.of(stdout=f"Error: Unknown option: {opt}\n", status=1)
        name = args.next_arg()
        if name is None:
            return Output.of(stdout="Error: package name not specified\n", status=1)
        if user_id == USER_CURRENT:
            user_id = 0
        if user_id != USER_ALL:
            self.check_user(user_id)
        with self.state.lock:
            package = self.state.packages.get(name)
            # runUninstall asks getPackageInfo(name, 0, user) first, which does not find a
            # hidden app: a frozen app cannot be uninstalled for one user over USB.
            if user_id != USER_ALL and (package is None or not package.available_for(user_id)):
                return Output.of(stdout=f"Failure [not installed for {user_id}]\n", status=1)
            failure = self.state.uninstall(name, None if user_id == USER_ALL else user_id, keep)
        if failure is None:
            return Output.of(stdout="Success\n")
        return Output.of(stdout=f"Failure [{failure}]\n", status=1)

    # --- enable / disable ---------------------------------------------------------------

    def run_set_enabled(self, rest: list[str], new_state: Enabled, command: str) -> Output:
        args = Args(rest, command)
        user_id = 0
        if args.next_option() == "--user":
            user_id = parse_user(args.next_arg_required())
        name = args.next_arg()
        if name is None:
            return Output.of(stderr="Error: no package or component specified\n", status=1)
        if "/" in name:
            return Output.of(stderr=f"Error: component {name} is not simulated\n", status=1)
        self.check_user(user_id)
        result = self.set_enabled(name, user_id, new_state)
        return Output.of(stdout=f"Package {name} new state: {result.shell_name}\n")

    def legacy_set_enabled(self, rest: list[str], new_state: Enabled) -> Output:
        args = Args(rest, "enable")
        user_id = legacy_user(args)
        if user_id is None:
            return Output.of(stderr="Error: no USER_ID specified\n" + _PM_USAGE, status=1)
        name = args.next_arg()
        if name is None:
            return Output.of(
                stderr="Error: no package or component specified\n" + _PM_USAGE, status=1
            )
        self.check_user(user_id)
        result = self.set_enabled(name, user_id, new_state)
        return Output.of(stdout=f"Package {name} new state: {result.shell_name}\n")

    def set_enabled(self, name: str, user_id: int, new_state: Enabled) -> Enabled:
        try:
            return self.state.set_enabled(name, user_id, new_state)
        except UnknownPackage as error:
            raise illegal_argument(str(error)) from None
        except (ProtectedPackage, ShellCannotChangeState) as error:
            raise security(str(error)) from None

    # --- install-existing ---------------------------------------------------------------

    def run_install_existing(self, rest: list[str]) -> Output:
        args = Args(rest, "install-existing")
        user_id = 0
        known = {"--ephemeral", "--instant", "--full", "--wait", "--restrict-permissions"}
        while (opt := args.next_option()) is not None:
            if opt == "--user":
                user_id = parse_user(args.next_arg_required())
            elif opt not in known:
                return Output.of(stdout=f"Error: Unknown option: {opt}\n", status=1)
        name = args.next_arg()
        if name is None:
            return Output.of(stdout="Error: package name not specified\n", status=1)
        if user_id == USER_CURRENT:
            user_id = 0
        self.check_user(user_id)
        if not self.state.install_existing(name, user_id):
            return Output.of(
                stdout="android.content.pm.PackageManager$NameNotFoundException: "
                f"Package {name} doesn't exist\n",
                status=1,
            )
        return Output.of(stdout=f"Package {name} installed for user: {user_id}\n")

    # --- clear --------------------------------------------------------------------------

    def run_clear(self, rest: list[str]) -> Output:
        args = Args(rest, "clear")
        user_id = 0
        while (opt := args.next_option()) is not None:
            if opt == "--user":
                user_id = parse_user(args.next_arg_required())
            elif opt != "--cache-only":
                return Output.of(stderr=f"Error: Unknown option: {opt}\n", status=1)
        name = args.next_arg()
        if name is None:
            return Output.of(stderr="Error: no package specified\n", status=1)
        self.check_user(user_id)
        if self.state.clear_data(name, user_id):
            return Output.of(stdout="Success\n")
        return Output.of(stderr="Failed\n", status=1)

    def legacy_clear(self, rest: list[str]) -> Output:
        out = self.run_clear(rest)
        # Android 7's Pm printed its "Success" on stderr.
        return Output.of(stderr=out.merged, status=out.status)

    # --- am force-stop ------------------------------------------------------------------

    def force_stop(self, rest: list[str]) -> Output:
        args = Args(rest, "force-stop")
        user_id = USER_ALL
        try:
            while (opt := args.next_option()) is not None:
                if opt == "--user":
                    user_id = parse_user(args.next_arg_required())
                else:
                    raise illegal_argument(f"Unknown option: {opt}")
            name = args.next_arg_required()
            targets = self.state.user_ids() if user_id == USER_ALL else [user_id]
            for target in targets:
                self.check_user(target)
        except JavaException as error:
            return Output.of(stderr=uncaught("force-stop", error), status=FAILED)
        for target in targets:
            self.state.force_stop(name, target)
        return Output()


def ordered(packages: Iterable[Package]) -> list[Package]:
    """The order getInstalledPackages returns: an ArrayMap sorted by the name's hash code."""
    return sorted(packages, key=lambda p: java_hash(p.name))


def hashmap_order(keys: list[str]) -> list[str]:
    """The iteration order of a java.util.HashMap<String, ...> filled with `keys` in order."""
    capacity = 16
    while len(keys) > capacity * 3 // 4:
        capacity *= 2

    def bucket(key: str) -> int:
        h = java_hash(key) & 0xFFFFFFFF
        return (h ^ (h >> 16)) & (capacity - 1)

    return [key for _, key in sorted(enumerate(keys), key=lambda item: (bucket(item[1]), item[0]))]


def _user_type(kind: str) -> str:
    return {
        "owner": "full.SYSTEM",
        "work_profile": "profile.MANAGED",
        "secure_folder": "profile.MANAGED",
        "dual_app": "profile.CLONE",
        "guest": "full.GUEST",
    }.get(kind, "full.SECONDARY")


def _flag_names(flags: int) -> str:
    names = [
        (0x1, "PRIMARY"),
        (0x2, "ADMIN"),
        (0x4, "GUEST"),
        (0x8, "RESTRICTED"),
        (0x10, "INITIALIZED"),
        (0x20, "MANAGED_PROFILE"),
        (0x40, "DISABLED"),
        (0x80, "QUIET_MODE"),
        (0x100, "EPHEMERAL"),
        (0x200, "DEMO"),
        (0x400, "FULL"),
        (0x800, "SYSTEM"),
        (0x1000, "PROFILE"),
        (0x4000, "MAIN"),
    ]
    return "|".join(name for bit, name in names if flags & bit) or "0"


_HELP = """Package manager (package) commands:
  help
    Print this help text.

  path [--user USER_ID] PACKAGE
    Print the path to the .apk of the given PACKAGE.

  list packages [-f] [-d] [-e] [-s] [-3] [-i] [-l] [-u] [-U]
      [--show-versioncode] [--apex-only] [--factory-only]
      [--uid UID] [--user USER_ID] [FILTER]
    Prints all packages; optionally only those whose name contains
    the text in FILTER.

  uninstall [-k] [--user USER_ID] [--versionCode VERSION] PACKAGE
    Remove the given package name from the system.

  install-existing [--user USER_ID|all|current] PACKAGE
    Installs an existing application for a new user.
"""

_PM_USAGE = """usage: pm path [--user USER_ID] PACKAGE
       pm dump PACKAGE
       pm install [-lrtsfd] [-i PACKAGE] [--user USER_ID] [PATH]
       pm uninstall [-k] [--user USER_ID] PACKAGE
       pm set-installer PACKAGE INSTALLER
       pm clear [--user USER_ID] PACKAGE
       pm enable [--user USER_ID] PACKAGE_OR_COMPONENT
       pm disable [--user USER_ID] PACKAGE_OR_COMPONENT
       pm disable-user [--user USER_ID] PACKAGE_OR_COMPONENT
       pm disable-until-used [--user USER_ID] PACKAGE_OR_COMPONENT
       pm default-state [--user USER_ID] PACKAGE_OR_COMPONENT
       pm list users

pm list packages: prints all packages, optionally only
  those whose package name contains the text in FILTER.  Options:
    -f: see their associated file.
    -d: filter to only show disbled packages.
    -e: filter to only show enabled packages.
    -s: filter to only show system packages.
    -3: filter to only show third party packages.
    -i: see the installer for the packages.
    -u: also include uninstalled packages.
"""
