"""`dumpsys package` and `dumpsys device_policy` text, per Android version.

Version differences a parser must survive: from SDK 34 a package block says `appId=` where older
ones say `userId=`; from SDK 33 `firstInstallTime=` moves from the package block into each
`User N:` block; from SDK 35 each user line also has `deDataInode=` and `quarantined=`. From
SDK 33 an unknown package prints "Unable to find package: NAME" and nothing else.
"""

from __future__ import annotations

from tests.phonesim.shell import Output, encode
from tests.phonesim.state import OutputCache, Package, PhoneState, format_time, stable_number

_FLAGS_USER = "HAS_CODE ALLOW_CLEAR_USER_DATA ALLOW_BACKUP"
_SCREENS = "[small, medium, large, xlarge, resizeable, anyDensity]"
_PRIVATE_FLAGS = (
    "PRIVATE_FLAG_ACTIVITIES_RESIZE_MODE_RESIZEABLE_VIA_SDK_VERSION ALLOW_AUDIO_PLAYBACK_CAPTURE"
)


def dumpsys(state: PhoneState, args: list[str], cache: OutputCache[str] | None = None) -> Output:
    """`dumpsys [SERVICE [ARGS]]`; `cache` keeps each package's dump until the state changes."""
    if not args:
        return Output.of(stdout="Currently running services:\n  device_policy\n  package\n")
    if args[0] == "-l":
        return Output.of(stdout="Currently running services:\n  device_policy\n  package\n")
    service, rest = args[0], args[1:]
    if service == "package":
        return dump_package_service(state, rest, cache)
    if service == "device_policy":
        return Output.of(stdout=dump_device_policy(state))
    return Output.of(stderr=f"Can't find service: {service}\n")


def dump_package_service(
    state: PhoneState, args: list[str], cache: OutputCache[str] | None = None
) -> Output:
    names = [a for a in args if not a.startswith("-") and a not in ("packages", "package")]
    with state.lock:
        if not names:
            blocks = [
                package_block(state, p) for p in sorted(state.packages.values(), key=_by_name)
            ]
            return Output.of(stdout="Packages:\n" + "".join(blocks))
        name = names[0]
        package = state.packages.get(name)
        if package is None:
            if state.sdk >= 33:
                return Output.of(stdout=f"Unable to find package: {name}\n")
            if state.sdk >= 26:
                text = (
                    f"\nDexopt state:\n  Unable to find package: {name}\n"
                    f"\nCompiler stats:\n  Unable to find package: {name}\n"
                )
                return Output.of(stdout=text)
            return Output()
        if cache is None:
            return Output.of(stdout=full_dump(state, package))
        found = package
        return Output.of(stdout=cache.get(name, lambda: encode(full_dump(state, found))))


def _by_name(package: Package) -> str:
    return package.name


def _hex(text: str) -> str:
    return f"{stable_number(text, 0xFFFFFFF):x}"


def full_dump(state: PhoneState, package: Package) -> str:
    name = package.name
    activity = f"{name}/.MainActivity"
    head = (
        "Activity Resolver Table:\n"
        "  Non-Data Actions:\n"
        "      android.intent.action.MAIN:\n"
        f"        {_hex(name + 'a')} {activity} filter {_hex(name + 'f')}\n"
        '          Action: "android.intent.action.MAIN"\n'
        '          Category: "android.intent.category.LAUNCHER"\n'
        "\n"
        "Key Set Manager:\n"
        f"  [{name}]\n"
        f"      Signing KeySets: {stable_number(name, 90) + 1}\n"
        "\n"
        "Packages:\n"
    )
    tail = "\nQueries:\n  system apps queryable: false\n"
    if state.sdk >= 26:
        tail += (
            "\nDexopt state:\n"
            f"  [{name}]\n"
            f"    path: {package.apk}\n"
            "      arm64: [status=speed-profile] [reason=bg-dexopt]\n"
        )
    return head + package_block(state, package) + tail


def package_block(state: PhoneState, package: Package) -> str:
    """One `Package [name] (hash):` block; each row says from (or until) which SDK it appears."""
    sdk = state.sdk
    name = package.name
    code = package.code_path
    flags = _flags(package)
    splits = ["base", *(s.removeprefix("split_").removesuffix(".apk") for s in package.splits)]
    installer = package.installer or "null"
    installer_uid = -1 if package.installer is None else 10000 + stable_number(installer, 300)
    signature = _hex(name + "s")
    versions = f"versionCode={package.version_code}"
    versions += f" minSdk={package.min_sdk}" if sdk >= 26 else ""
    versions += f" targetSdk={package.target_sdk}"
    rows: list[tuple[bool, str]] = [
        (True, f"  Package [{name}] ({_hex(name)}):"),
        (True, f"    {'appId' if sdk >= 34 else 'userId'}={package.app_id}"),
        (
            package.shared_user is not None,
            f"    sharedUser=SharedUserSetting{{{_hex(str(package.shared_user))} "
            f"{package.shared_user}/{package.app_id}}}",
        ),
        (True, f"    pkg=Package{{{_hex(name + 'p')} {name}}}"),
        (True, f"    codePath={code}"),
        (True, f"    resourcePath={code}"),
        (True, f"    legacyNativeLibraryDir={code}/lib"),
        (sdk >= 33, "    extractNativeLibs=false"),
        (True, f"    primaryCpuAbi={'arm64-v8a' if sdk >= 28 else 'armeabi-v7a'}"),
        (True, "    secondaryCpuAbi=null"),
        (sdk >= 30, "    cpuAbiOverride=null"),
        (True, f"    {versions}"),
        (sdk >= 31, "    minExtensionVersions=[]"),
        (True, f"    versionName={package.version_name}"),
        (sdk >= 29, "    hiddenApiEnforcementPolicy=2"),
        (sdk >= 29, "    usesNonSdkApi=false"),
        (True, f"    splits=[{', '.join(splits)}]"),
        (True, f"    apkSigningVersion={3 if sdk >= 28 else 2}"),
        (sdk < 30, f"    applicationInfo=ApplicationInfo{{{_hex(name + 'i')} {name}}}"),
        (True, f"    flags=[ {flags} ]"),
        (sdk >= 29, f"    privateFlags=[ {_PRIVATE_FLAGS} ]"),
        (sdk >= 30, "    forceQueryable=false"),
        (sdk < 33, f"    dataDir=/data/user/0/{name}"),
        (True, f"    supportsScreens={_SCREENS}"),
        (True, f"    timeStamp={format_time(package.timestamp or package.first_install)}"),
        (sdk < 33, f"    firstInstallTime={format_time(package.first_install)}"),
        (True, f"    lastUpdateTime={format_time(package.last_update)}"),
        (True, f"    installerPackageName={installer}"),
        (sdk >= 30, f"    installerPackageUid={installer_uid}"),
        (sdk >= 30, f"    initiatingPackageName={installer}"),
        (sdk >= 30, "    originatingPackageName=null"),
        (sdk >= 33, f"    packageSource={0 if package.system else 2}"),
        (sdk >= 34, "    appMetadataFilePath=null"),
        (
            sdk >= 28,
            f"    signatures=PackageSignatures{{{_hex(name + 'g')} version:3, "
            f"signatures:[{signature}], past signatures:[]}}",
        ),
        (sdk < 28, f"    signatures=PackageSignatures{{{_hex(name + 'g')} [{signature}]}}"),
        (True, "    installPermissionsFixed=true" + ("" if sdk >= 28 else " installStatus=1")),
        (True, f"    pkgFlags=[ {flags} ]"),
        (sdk >= 29, "    privatePkgFlags=[ ALLOW_AUDIO_PLAYBACK_CAPTURE ]"),
        (sdk >= 34, "    apexModuleName=null"),
        (True, "    install permissions:"),
        (True, "      android.permission.INTERNET: granted=true"),
        (True, "      android.permission.ACCESS_NETWORK_STATE: granted=true"),
    ]
    lines = [text for wanted, text in rows if wanted]
    for user in state.users:
        lines.extend(_user_lines(state, package, user.id))
    return "\n".join(lines) + "\n"


def _flags(package: Package) -> str:
    flags = _FLAGS_USER
    if package.system:
        flags = "SYSTEM " + flags
    if package.updated_system:
        flags += " UPDATED_SYSTEM_APP"
    return flags


def _user_lines(state: PhoneState, package: Package, user_id: int) -> list[str]:
    sdk = state.sdk
    us = package.users.get(user_id)
    installed = us is not None and us.installed
    inode = us.ce_data_inode if us is not None else 0
    # Android 7 (SDK 24) added ceDataInode and suspended; Android 6 prints neither.
    line = f"    User {user_id}:" + (f" ceDataInode={inode}" if sdk >= 24 else "")
    if sdk >= 35:
        line += f" deDataInode={inode + 7 if inode else 0}"
    line += f" installed={_bool(installed)}"
    line += f" hidden={_bool(us.hidden if us else False)}"
    if sdk >= 24:
        line += f" suspended={_bool(us.suspended if us else False)}"
    if sdk >= 29:
        line += " distractionFlags=0"
    line += f" stopped={_bool(us.stopped if us else False)}"
    line += f" notLaunched={_bool(us.not_launched if us else False)}"
    line += f" enabled={int(us.enabled) if us else 0}"
    if sdk >= 26:
        line += " instant=false"
    if sdk >= 28:
        line += " virtual=false"
    if sdk >= 35:
        line += " quarantined=false"
    lines = [line]
    if sdk >= 29:
        lines.append(f"      installReason={us.install_reason if us else 0}")
    if sdk >= 34:
        lines.append(f"      dataDir=/data/user/{user_id}/{package.name}")
    if sdk >= 33:
        first = us.first_install if us and us.first_install else package.first_install
        lines.append(f"      firstInstallTime={format_time(first if installed else None)}")
    if sdk >= 29:
        lines.append(f"      uninstallReason={us.uninstall_reason if us else 0}")
    if us is not None and us.last_disabled_caller:
        lines.append(f"      lastDisabledCaller: {us.last_disabled_caller}")
    if installed:
        lines.append("      gids=[3003]")
        lines.append("      runtime permissions:")
    return lines


def _bool(value: bool) -> str:
    return "true" if value else "false"


def dump_device_policy(state: PhoneState) -> str:
    lines = ["Current Device Policy Manager state:"]
    if state.sdk >= 30:
        lines += [
            "  Immutable state:",
            "    mHasFeature=true",
            "    mIsWatch=false",
            "    mIsAutomotive=false",
            "    mHasTelephonyFeature=true",
            "    mSafetyChecker=null",
        ]
    blank = False
    if state.device_owner is not None:
        user_id, component = state.device_owner
        lines += ["  Device Owner: ", *_owner_lines(component, org_owned=True)]
        lines.append(f"    User ID: {user_id}")
        blank = True
    for user in state.users:
        if user.profile_owner is None:
            continue
        if blank:
            lines.append("")
        lines.append(f"  Profile Owner (User {user.id}): ")
        lines += _owner_lines(user.profile_owner, org_owned=False)
        blank = True
    for user in state.users:
        lines.append("")
        provisioned = 3 if user.profile_owner or state.device_owner else 0
        lines.append(f"  Enabled Device Admins (User {user.id}, provisioningState: {provisioned}):")
        admins = [user.profile_owner] if user.profile_owner else []
        if state.device_owner is not None and state.device_owner[0] == user.id:
            admins.append(state.device_owner[1])
        for component in admins:
            package_name = component.split("/", 1)[0]
            package = state.packages.get(package_name)
            app_id = package.app_id if package else 10999
            lines += [
                f"    {_short(component)}:",
                f"      uid={user.uid(app_id)}",
                "      testOnlyAdmin=false",
                "      policies:",
                "        limit-password",
                "        watch-login",
                "        reset-password",
                "        force-lock",
                "        wipe-data",
            ]
    return "\n".join(lines) + "\n"


def _owner_lines(component: str, org_owned: bool) -> list[str]:
    package_name = component.split("/", 1)[0]
    return [
        f"    admin=ComponentInfo{{{_long(component)}}}",
        "    name=",
        f"    package={package_name}",
        f"    isOrganizationOwnedDevice={_bool(org_owned)}",
    ]


def _long(component: str) -> str:
    package_name, _, cls = component.partition("/")
    if cls.startswith("."):
        cls = package_name + cls
    return f"{package_name}/{cls}"


def _short(component: str) -> str:
    package_name, _, cls = component.partition("/")
    if cls.startswith(package_name + "."):
        cls = cls[len(package_name) :]
    return f"{package_name}/{cls}"
