"""The inventory file: a scan written as JSON, the format `scan --json` writes and `check` reads.

The format is documented in docs/inventory-format.md. Reading is strict about types and names the
key that is wrong, because an inventory file may come from another machine or be edited by hand.
"""

from __future__ import annotations

import gc
import hashlib
import json
import os
import re
import tempfile
import threading
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from enum import StrEnum
from pathlib import Path
from typing import Any, TypeVar

from audit.errors import TOO_DEEP, CannotWrite, InventoryFileError
from audit.files import path_problem, read_limited
from audit.i18n import N_, _
from audit.model import (
    AppId,
    AppState,
    Connection,
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    InstallOrigin,
    RunningProcess,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)
from audit.provenance import connection_from_dict, connection_to_dict

FORMAT = "device-audit-inventory"
VERSION = 1

E = TypeVar("E", bound=StrEnum)


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def device_to_dict(device: Device) -> dict[str, Any]:
    return {
        "id": device.id,
        "kind": device.kind.value,
        "name": device.name,
        "serial": device.serial,
        "address": device.address,
        "manufacturer": device.manufacturer,
        "model": device.model,
        "os_name": device.os_name,
        "os_version": device.os_version,
        "sdk": device.sdk,
        "build": device.build,
        "user": device.user,
        "managed": device.managed,
        "has_work_profile": device.has_work_profile,
        "simulated": device.simulated,
        "connection": connection_to_dict(device.connection),
    }


def app_to_dict(app: InstalledApp) -> dict[str, Any]:
    """The app as the file holds it. `state_confirmed` is written only when true, so an app
    read from the package lists alone has the same fields (and digest line) as before."""
    data: dict[str, Any] = {
        "identifier": app.identifier,
        "kind": app.kind.value,
        "name": app.name,
        "version": app.version,
        "version_code": app.version_code,
        "publisher": app.publisher,
        "installer": app.installer,
        "origin": app.origin.value,
        "user": app.user,
        "state": app.state.value,
        "system": app.system,
        "location": app.location,
        "uid": app.uid,
        "installed_at": _time(app.installed_at),
        "updated_at": _time(app.updated_at),
        "other_ids": [{"kind": i.kind.value, "value": i.value} for i in app.other_ids],
        "collector": app.collector,
        "uninstall_command": app.uninstall_command,
        "quiet_uninstall_command": app.quiet_uninstall_command,
    }
    if app.state_confirmed:
        data["state_confirmed"] = True
    return data


def scan_to_dict(scan: ScanResult) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "device": device_to_dict(scan.device),
        "started_at": _time(scan.started_at),
        "finished_at": _time(scan.finished_at),
        "complete": scan.complete,
        "users": [
            {"id": u.id, "name": u.name, "kind": u.kind.value, "running": u.running}
            for u in scan.users
        ],
        "sources": [
            {"name": s.name, "status": s.status.value, "detail": s.detail, "count": s.count}
            for s in scan.sources
        ],
        "apps": [app_to_dict(app) for app in scan.apps],
        "processes": [
            {"pid": p.pid, "name": p.name, "exe": p.exe, "user": p.user} for p in scan.processes
        ],
    }


def dumps(scan: ScanResult) -> str:
    """The file's text: the top level indented, one line per app (user, source, process).

    The same JSON any reader reads; `json.dumps(indent=2)` spread each app over 20 lines and,
    because an indent turns off the C encoder, cost 13-15 µs per app (221 ms for a phone of
    5,000 packages, 3.3x the parsing). One line per element keeps the C encoder and a file a
    person can still read, grep and diff app by app (issue 15; bench/cli.py measures it).
    """
    with paused_gc():
        return _layout(scan_to_dict(scan))


_COMPACT = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
_LINE = json.JSONEncoder(ensure_ascii=False, separators=(", ", ": ")).encode
_INDENTED = json.JSONEncoder(ensure_ascii=False, indent=2).encode


def _layout(data: Mapping[str, Any]) -> str:
    """`data` as JSON with its keys one per line, each list's elements one per line."""
    parts = []
    for key, value in data.items():
        if isinstance(value, list) and value:
            items = ",\n    ".join(map(_LINE, value))
            text = f"[\n    {items}\n  ]"
        else:
            text = _INDENTED(value).replace("\n", "\n  ")
        parts.append(f"  {_LINE(key)}: {text}")
    return "{\n" + ",\n".join(parts) + "\n}\n"


class _GcPause:
    """Garbage collection off while tens of thousands of rows are built, back on after.

    Building rows allocates containers and nothing cyclic, yet every few hundred allocations
    start a collection, and every few of those walk all live objects: at 30,000 rows that cost
    a quarter (parsing a phone's list) to a half (reading a file) more CPU, measured on 7
    December (bench/cli.py prints it). Counted, so that threads scanning phones side by side
    turn it back on only when the last of them is done, and only if it was on before.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._holders = 0
        self._was_enabled = False

    @contextmanager
    def __call__(self) -> Iterator[None]:
        with self._lock:
            if self._holders == 0:
                self._was_enabled = gc.isenabled()
                gc.disable()
            self._holders += 1
        try:
            yield
        finally:
            with self._lock:
                self._holders -= 1
                if self._holders == 0 and self._was_enabled:
                    gc.enable()


paused_gc = _GcPause()


def inventory_digest(scan: ScanResult) -> str:
    """sha256 of what was installed, independent of timing, order and running processes.

    Two scans that saw the same apps in the same states have the same digest, so an attestation
    can say "the inventory after removal was X" and a later check can compare. Each app is one
    line of its fields' values in the fixed order of `app_to_dict` (twice as fast as sorted-key
    objects, and as canonical), the lines sorted.
    """
    lines = sorted(_COMPACT(list(app_to_dict(app).values())) for app in scan.apps)
    digest = hashlib.sha256(_COMPACT([FORMAT, VERSION, scan.device.id, scan.complete]).encode())
    for line in lines:
        digest.update(b"\n" + line.encode("utf-8"))
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write a file so that a crash leaves either the old file or the new one, never half."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent or ".")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    if hasattr(os, "O_DIRECTORY"):
        dir_fd = os.open(path.parent or ".", os.O_DIRECTORY)
        try:
            os.fsync(dir_fd)
        finally:
            os.close(dir_fd)


def save(scan: ScanResult, path: Path) -> None:
    try:
        write_atomic(path, dumps(scan).encode("utf-8"))
    except OSError as exc:
        raise CannotWrite(path, exc.strerror or str(exc)) from exc


# --- reading ---------------------------------------------------------------------------------


class _Reader:
    """Typed access to a JSON object that names the offending key in its errors."""

    def __init__(self, path: Path | str, data: Mapping[str, Any], where: str = "") -> None:
        self.path = path
        self.data = data
        self.where = where

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str) -> InventoryFileError:
        return InventoryFileError(self.path, problem, key=self._key(key))

    def get(self, key: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if key not in self.data:
            if default is ...:
                raise self.fail(key, _("this key is missing"))
            return default
        value = self.data[key]
        if value is None and default is None:
            return None
        if isinstance(value, bool) and kind in (int, (int,)):
            raise self.fail(key, _("expected a number, found {value}").format(value=repr(value)))
        if not isinstance(value, kind):
            raise self.fail(
                key,
                # Translators: {expected} is "text", "a number", ...; {found} is Python's type name
                _("expected {expected}, found {found}").format(
                    expected=_type_name(kind), found=type(value).__name__
                ),
            )
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value: str = self.get(key, str, default)
        return value

    def enum(self, key: str, enum: type[E], default: Any = ...) -> E:
        raw = self.get(key, str, default)
        if isinstance(raw, enum):
            return raw
        try:
            return enum(raw)
        except ValueError:
            allowed = ", ".join(e.value for e in enum)
            raise self.fail(
                key, _("{value} is not one of: {allowed}").format(value=repr(raw), allowed=allowed)
            ) from None

    def time(self, key: str, default: Any = ...) -> datetime | None:
        raw = self.get(key, str, default)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw)
            value = value if value.tzinfo else value.replace(tzinfo=UTC)
            # A time every later step can move to UTC and local time (year 1 at +05:00 cannot).
            value.astimezone(UTC).astimezone()
        except ValueError:
            raise self.fail(
                key, _("{value} is not an ISO 8601 time").format(value=repr(raw))
            ) from None
        except OverflowError:
            raise self.fail(
                key, _("{value} is a time out of any range a scan can have").format(value=repr(raw))
            ) from None
        return value

    def items(self, key: str) -> list[_Reader]:
        values = self.get(key, list, [])
        readers = []
        for index, value in enumerate(values):
            where = f"{self._key(key)}[{index}]"
            if not isinstance(value, dict):
                raise InventoryFileError(self.path, _("expected an object"), key=where)
            readers.append(_Reader(self.path, value, where))
        return readers

    def child(self, key: str) -> _Reader:
        return _Reader(self.path, self.get(key, dict), self._key(key))


_TYPE_NAMES: dict[type, str] = {
    str: N_("text"),
    int: N_("a number"),
    bool: N_("true or false"),
    list: N_("a list"),
    dict: N_("an object"),
}


def _type_name(kind: type | tuple[type, ...]) -> str:
    kinds = kind if isinstance(kind, tuple) else (kind,)
    names = [_(_TYPE_NAMES[k]) if k in _TYPE_NAMES else k.__name__ for k in kinds]
    # Translators: between two kinds of value, "text or a number"
    return _(" or ").join(names)


def _read_device(r: _Reader) -> Device:
    return Device(
        id=r.text("id"),
        kind=r.enum("kind", DeviceKind),
        name=r.text("name", ""),
        serial=r.text("serial", ""),
        address=r.text("address", ""),
        manufacturer=r.text("manufacturer", ""),
        model=r.text("model", ""),
        os_name=r.text("os_name", ""),
        os_version=r.text("os_version", ""),
        sdk=r.get("sdk", int, None),
        build=r.text("build", ""),
        user=r.text("user", ""),
        managed=r.get("managed", bool, None),
        has_work_profile=r.get("has_work_profile", bool, False),
        simulated=r.get("simulated", bool, False),
        connection=_read_connection(r),
    )


def _read_connection(r: _Reader) -> Connection | None:
    """How the device was reached, as the file says: a file is a claim, so the value is only
    checked for form here (a receipt signs what the scan recorded)."""
    try:
        return connection_from_dict(r.data.get("connection"), device_kind=r.text("kind"))
    except ValueError as error:
        raise r.fail("connection", str(error)) from None


def _read_app(r: _Reader) -> InstalledApp:
    other_ids = tuple(
        AppId(o.enum("kind", IdentifierKind), o.text("value")) for o in r.items("other_ids")
    )
    return InstalledApp(
        identifier=r.text("identifier"),
        kind=r.enum("kind", IdentifierKind),
        name=r.text("name", ""),
        version=r.text("version", ""),
        version_code=r.get("version_code", int, None),
        publisher=r.text("publisher", ""),
        installer=r.text("installer", ""),
        origin=r.enum("origin", InstallOrigin, InstallOrigin.UNKNOWN),
        user=r.text("user", ""),
        state=r.enum("state", AppState, AppState.INSTALLED),
        system=r.get("system", bool, False),
        location=r.text("location", ""),
        uid=r.get("uid", int, None),
        installed_at=r.time("installed_at", None),
        updated_at=r.time("updated_at", None),
        other_ids=other_ids,
        collector=r.text("collector", ""),
        uninstall_command=r.text("uninstall_command", ""),
        quiet_uninstall_command=r.text("quiet_uninstall_command", ""),
        state_confirmed=r.get("state_confirmed", bool, False),
    )


def _parse(path: Path | str, data: Any) -> ScanResult:
    if not isinstance(data, dict):
        raise InventoryFileError(path, _("expected a JSON object at the top level"))
    r = _Reader(path, data)
    if r.get("format", str, FORMAT) != FORMAT:
        raise r.fail(
            "format",
            _("expected '{format}'; is this a Device Audit inventory?").format(format=FORMAT),
        )
    version = r.get("version", int, VERSION)
    if version > VERSION:
        raise r.fail(
            "version",
            _("version {version} is newer than this Device Audit understands ({known})").format(
                version=version, known=VERSION
            ),
        )
    started = r.time("started_at")
    finished = r.time("finished_at", None) or started
    assert started is not None and finished is not None
    return ScanResult(
        device=_read_device(r.child("device")),
        started_at=started,
        finished_at=finished,
        apps=tuple(_read_app(a) for a in r.items("apps")),
        users=tuple(
            UserProfile(
                id=u.text("id"),
                name=u.text("name", ""),
                kind=u.enum("kind", UserKind),
                running=u.get("running", bool, True),
            )
            for u in r.items("users")
        ),
        processes=tuple(
            RunningProcess(
                pid=p.get("pid", int),
                name=p.text("name"),
                exe=p.text("exe", ""),
                user=p.text("user", ""),
            )
            for p in r.items("processes")
        ),
        sources=tuple(
            SourceReport(
                name=s.text("name"),
                status=s.enum("status", SourceStatus),
                detail=s.text("detail", ""),
                count=s.get("count", int, 0),
            )
            for s in r.items("sources")
        ),
    )


def loads(text: str, path: Path | str = "<inventory>") -> ScanResult:
    with paused_gc():  # tens of thousands of rows at once: see paused_gc
        return _loads(text, path)


def _loads(text: str, path: Path | str) -> ScanResult:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InventoryFileError(
            path, _("it is not JSON ({problem})").format(problem=exc.msg), line=exc.lineno
        ) from None
    except RecursionError:
        raise InventoryFileError(path, TOO_DEEP) from None
    if _SURROGATE_ESCAPE.search(text) and _has_lone_surrogate(data):
        raise InventoryFileError(
            path,
            _(
                "it holds text that is not valid Unicode (a lone surrogate escape such as "
                "\\ud800), which no scan writes"
            ),
        )
    return _parse(path, data)


_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _has_lone_surrogate(data: Any) -> bool:
    """Whether any text in the document cannot be written as UTF-8 (a lone surrogate)."""
    try:
        json.dumps(data, ensure_ascii=False).encode("utf-8")
    except UnicodeEncodeError:
        return True
    except RecursionError:
        return False
    return False


def load(path: Path | str) -> ScanResult:
    path = Path(path)
    try:
        raw = read_limited(path)
    except OSError as exc:
        raise InventoryFileError(
            path,
            _("it cannot be read ({problem})").format(problem=path_problem(exc)),
            next_step=_("Check the path; make one with 'device-audit scan --local --json FILE'."),
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InventoryFileError(path, _("it is not UTF-8 text")) from None
    return loads(text, path)
