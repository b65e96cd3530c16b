"""A removal waiting for its attestation: what `remove` did, kept until `attest` signs it.

`remove` and `attest` are separate commands (a technician removes, hands the phone back, and
attests when the person is there), yet the receipt must say what the device held BEFORE anything
was done and what was done to it. So `remove` saves, per device and policy, the first scan, the
policy it was judged by, the exemptions and person it was judged for, and every action result;
`attest` judges that first scan again, signs it with the actions and its own rescan, and then
removes the record (it is in the receipt and the history from then on).

A second `remove` on the same device and policy appends its actions and keeps the first scan:
the state before anything was done. A record older than MAX_AGE, or made under another version
of the policy (its sha256 differs), describes another audit: it is not continued.

The file is JSON in the data folder, written atomically. A file that cannot be read is set aside
(renamed, never deleted) so that nothing in it is lost.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from audit.attestation.statement import action_to_dict as statement_action
from audit.errors import TOO_DEEP, FileFormatError, InventoryFileError
from audit.files import path_problem, read_limited
from audit.i18n import N_, _, ngettext
from audit.inventory import loads, scan_to_dict, write_atomic
from audit.model import ActionKind, ActionResult, Policy, ScanResult
from audit.paths import data_dir

FORMAT = "device-audit-pending-removal"
VERSION = 1
MAX_AGE = timedelta(days=7)
FOLDER = "pending"


class PendingFileError(FileFormatError):
    """A saved pending removal cannot be read (damaged, edited, or from a newer version)."""

    what = N_("saved removal")


@dataclass(frozen=True)
class PendingRemoval:
    """What `remove` did to one device under one policy, not yet attested."""

    device_id: str
    policy_id: str
    policy_sha256: str
    first_scan: ScanResult  # the scan before anything was done
    created_at: datetime  # when the first removal of this record was saved
    updated_at: datetime
    actions: tuple[ActionResult, ...] = ()
    exemptions_file: str = ""  # the exemptions file `remove` judged with ("" = none)
    person: str = ""  # the staff id `remove` judged for ("" = not given)
    day: date | None = None  # the day `remove` judged as on
    audit_id: int | None = None  # the history's audit of this removal, when it was recorded
    history_file: str = ""  # the history file that audit is in (ids are per file)
    policy_title: str = ""
    # The audit's identity in any history (its uid), chosen before its first write: an audit
    # kept in the outbox and sent to the team history keeps it, where its id changes (issue 18).
    audit_uid: str = ""

    @classmethod
    def start(
        cls,
        first_scan: ScanResult,
        policy: Policy,
        *,
        exemptions_file: Path | str | None = None,
        person: str = "",
        day: date | None = None,
        now: datetime | None = None,
    ) -> PendingRemoval:
        at = now or datetime.now(UTC)
        return cls(
            device_id=first_scan.device.id,
            policy_id=policy.id,
            policy_sha256=policy.sha256,
            policy_title=policy.title,
            first_scan=first_scan,
            created_at=at,
            updated_at=at,
            exemptions_file="" if exemptions_file is None else str(exemptions_file),
            person=person,
            day=day,
        )

    def with_actions(
        self, actions: Sequence[ActionResult], *, now: datetime | None = None
    ) -> PendingRemoval:
        """This record with more actions after the ones it holds (a later `remove`)."""
        return replace(
            self,
            actions=(*self.actions, *actions),
            updated_at=now or datetime.now(UTC),
        )

    def stale_reason(self, policy: Policy, *, now: datetime | None = None) -> str:
        """Why this record describes another audit than one under `policy` now; "" when it
        can be continued."""
        at = now or datetime.now(UTC)
        if (self.policy_id, self.policy_sha256) != (policy.id, policy.sha256):
            return _(
                "the policy {policy} has changed since it was saved (its contents differ), "
                "so the first scan would be judged by rules it was not checked against"
            ).format(policy=policy.id)
        age = at - self.created_at
        if age > MAX_AGE:
            # Translators: {day} is written 2025-03-31; {limit} is a number of days.
            return ngettext(
                "it was begun {days} day ago (on {day}), longer than the {limit} days a removal "
                "is continued",
                "it was begun {days} days ago (on {day}), longer than the {limit} days a removal "
                "is continued",
                age.days,
            ).format(days=age.days, day=f"{self.created_at:%Y-%m-%d}", limit=MAX_AGE.days)
        if age < -timedelta(minutes=5):
            return _(
                "it says it was begun in the future ({time} UTC); this computer's clock may have "
                "changed"
            ).format(time=f"{self.created_at:%Y-%m-%d %H:%M}")
        return ""


# --- where ------------------------------------------------------------------------------------


_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def file_name(device_id: str, policy_id: str) -> str:
    """A file name any OS accepts, readable, and unique per (device, policy): the hash tells
    apart ids that differ only in characters replaced by '_'."""
    digest = hashlib.sha256(f"{device_id}\0{policy_id}".encode()).hexdigest()[:12]
    device = _UNSAFE.sub("_", device_id).strip("._-")[:60] or "device"
    policy = _UNSAFE.sub("_", policy_id).strip("._-")[:60] or "policy"
    return f"{device}--{policy}--{digest}.json"


def pending_folder() -> Path:
    return data_dir() / FOLDER


def pending_path(device_id: str, policy_id: str, folder: Path | None = None) -> Path:
    return (folder if folder is not None else pending_folder()) / file_name(device_id, policy_id)


# --- writing ----------------------------------------------------------------------------------


def _time(value: datetime | None) -> str | None:
    return None if value is None else value.astimezone(UTC).isoformat()


def action_to_dict(action: ActionResult) -> dict[str, Any]:
    """Every field, the raw output included: this is the working record, not the receipt."""
    return {**statement_action(action), "output": action.output}


def to_dict(record: PendingRemoval) -> dict[str, Any]:
    return {
        "format": FORMAT,
        "version": VERSION,
        "device_id": record.device_id,
        "policy": {
            "id": record.policy_id,
            "sha256": record.policy_sha256,
            "title": record.policy_title,
        },
        "judged": {
            "exemptions_file": record.exemptions_file,
            "person": record.person,
            "day": None if record.day is None else record.day.isoformat(),
        },
        "created_at": _time(record.created_at),
        "updated_at": _time(record.updated_at),
        "audit_id": record.audit_id,
        "history_file": record.history_file,
        "audit_uid": record.audit_uid,
        "first_scan": scan_to_dict(record.first_scan),
        "actions": [action_to_dict(a) for a in record.actions],
    }


def dumps(record: PendingRemoval) -> str:
    return json.dumps(to_dict(record), indent=1, ensure_ascii=False) + "\n"


def save(record: PendingRemoval, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    write_atomic(path, dumps(record).encode("utf-8"))


# --- reading ----------------------------------------------------------------------------------


_NAMES = {
    str: N_("text"),
    int: N_("a number"),
    bool: N_("true or false"),
    list: N_("a list"),
    dict: N_("an object"),
}


class _Fields:
    """Typed access to one JSON object, naming the key in its errors."""

    def __init__(self, path: Path | str, data: Any, where: str = "") -> None:
        self.path = path
        self.where = where
        if not isinstance(data, dict):
            raise PendingFileError(path, _("expected an object"), key=where)
        self.data: Mapping[str, Any] = data

    def _key(self, key: str) -> str:
        return f"{self.where}.{key}" if self.where else key

    def fail(self, key: str, problem: str) -> PendingFileError:
        return PendingFileError(self.path, problem, key=self._key(key))

    def get(self, key: str, kind: type, default: Any = ...) -> Any:
        if key not in self.data or self.data[key] is None:
            if default is ...:
                raise self.fail(key, _("this key is missing"))
            return default
        value = self.data[key]
        if (kind is int and isinstance(value, bool)) or not isinstance(value, kind):
            expected = _(_NAMES[kind]) if kind in _NAMES else kind.__name__
            raise self.fail(
                key,
                _("expected {kind}, found {value}").format(kind=expected, value=f"{value!r:.40}"),
            )
        return value

    def text(self, key: str, default: Any = ...) -> str:
        value: str = self.get(key, str, default)
        return value

    def time(self, key: str, default: Any = ...) -> datetime | None:
        raw = self.get(key, str, default)
        if raw is None:
            return None
        try:
            value = datetime.fromisoformat(raw)
        except ValueError:
            raise self.fail(
                key, _("{value} is not an ISO 8601 time").format(value=repr(raw))
            ) from None
        return value if value.tzinfo else value.replace(tzinfo=UTC)

    def day(self, key: str) -> date | None:
        raw = self.get(key, str, None)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.fail(
                key, _("{value} is not a date like 2023-03-31").format(value=repr(raw))
            ) from None

    def child(self, key: str) -> _Fields:
        return _Fields(self.path, self.get(key, dict), self._key(key))


def _action(f: _Fields) -> ActionResult:
    raw_kind = f.text("kind")
    try:
        kind = ActionKind(raw_kind)
    except ValueError:
        raise f.fail(
            "kind", _("{value} is not an action Device Audit knows").format(value=repr(raw_kind))
        ) from None
    return ActionResult(
        kind=kind,
        device=f.text("device"),
        identifier=f.text("identifier"),
        user=f.text("user", ""),
        ok=f.get("ok", bool),
        message=f.text("message", ""),
        advice=f.text("advice", ""),
        code=f.text("code", ""),
        output=f.text("output", ""),
        at=f.time("at", None),
    )


def loads_pending(text: str, path: Path | str = "<pending removal>") -> PendingRemoval:
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        # Translators: {error} is the JSON reader's own words (English).
        raise PendingFileError(
            path, _("it is not JSON ({error})").format(error=exc.msg), line=exc.lineno
        ) from None
    except RecursionError:
        raise PendingFileError(path, TOO_DEEP) from None
    top = _Fields(path, data)
    if top.get("format", str) != FORMAT:
        raise top.fail("format", _("expected '{format}'").format(format=FORMAT))
    version = top.get("version", int)
    if version > VERSION:
        raise top.fail(
            "version",
            _("version {version} is newer than this Device Audit ({supported})").format(
                version=version, supported=VERSION
            ),
        )
    policy = top.child("policy")
    judged = top.child("judged")
    try:
        first_scan = loads(json.dumps(top.get("first_scan", dict)), path)
    except InventoryFileError as error:
        problem = (
            _("{problem} (at {key})").format(problem=error.problem, key=error.key)
            if error.key
            else error.problem
        )
        raise top.fail("first_scan", problem) from None
    device_id = top.text("device_id")
    if first_scan.device.id != device_id:
        raise top.fail(
            "first_scan",
            _("it is a scan of {device}, not {other}").format(
                device=first_scan.device.id, other=device_id
            ),
        )
    actions = []
    for index, item in enumerate(top.get("actions", list)):
        actions.append(_action(_Fields(path, item, f"actions[{index}]")))
    created = top.time("created_at")
    updated = top.time("updated_at")
    assert created is not None and updated is not None
    audit_id = top.get("audit_id", int, None)
    return PendingRemoval(
        device_id=device_id,
        policy_id=policy.text("id"),
        policy_sha256=policy.text("sha256", ""),
        policy_title=policy.text("title", ""),
        first_scan=first_scan,
        created_at=created,
        updated_at=updated,
        actions=tuple(actions),
        exemptions_file=judged.text("exemptions_file", ""),
        person=judged.text("person", ""),
        day=judged.day("day"),
        audit_id=audit_id,
        history_file=top.text("history_file", ""),
        audit_uid=_uid(top.text("audit_uid", "")),
    )


def _uid(text: str) -> str:
    """An audit uid as Device Audit writes one (a UUID), else "": the file is the person's to
    edit, and a uid it names is only ever looked up, never trusted to be theirs."""
    import uuid

    try:
        return str(uuid.UUID(text)) if text else ""
    except ValueError:
        return ""


def load(path: Path) -> PendingRemoval | None:
    """The record at `path`; None when there is none. PendingFileError when it cannot be read."""
    try:
        raw = read_limited(path)
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise PendingFileError(
            path, _("it cannot be read ({problem})").format(problem=path_problem(exc))
        ) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise PendingFileError(path, _("it is not UTF-8 text")) from None
    return loads_pending(text, path)


def set_aside(path: Path, label: str = "damaged", *, now: datetime | None = None) -> Path:
    """Rename a record that is not to be used (damaged, or replaced by a new one) rather than
    delete it, so nothing in it is lost; returns the new name. OSError when it cannot be."""
    stamp = (now or datetime.now(UTC)).astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
    for number in range(1000):
        suffix = f".{label}-{stamp}" + (f"-{number}" if number else "")
        target = path.with_name(path.name + suffix)
        if not target.exists():
            path.rename(target)
            return target
    raise FileExistsError(_("too many copies of {name} set aside already").format(name=path.name))


def discard(path: Path) -> None:
    """Remove a record whose content is now in a receipt."""
    path.unlink(missing_ok=True)
