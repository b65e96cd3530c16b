"""Re-judging stored audits under the current version of their policy, without a rescan.

Why: a policy's new version adds apps (a preset's version 2 bans CapCut too). The helpdesk must
know which devices that changes without rescanning every phone. Each latest audit judged under an
older text of the policy is judged again from the inventory it was judged on (held by
audit.store.inventories, checked against the digest the audit recorded), with the exemptions its
last assessment used, as of the day of the re-judgement.

The rules:
- Only lower, never raise. A re-judgement records a new verdict only when it is worse than the
  audit's own as it stands that day (status_on: a deadline passed, an exemption ended). The
  audit's receipt is the evidence: signed by the person or witnessed at a bench, about a scan that
  happened. A re-judgement is a reading of stored data by this helpdesk: it may find that the
  evidence shows an app now banned, but it can never turn a device its receipt called
  non-compliant (or incomplete) into a compliant one; only a new check of the device can.
- A changed verdict is a row of its own (origin 'rejudged', `derived_from` the audit it came
  from): never signed, never witnessed, labelled "re-judged from the stored inventory, not
  rescanned" in the history and the export (trust_note). It takes the source audit's place in
  the chain at the source's time, so any later real check of the device supersedes it, and it
  counts from the day of the re-judgement, so the dashboard's past days are not rewritten.
- An audit whose inventory is not held (an imported receipt carries only its digest) or whose
  stored inventory does not match its digest is not re-judged, and the report says why: never
  guessed.
- Idempotent: a re-judged device's latest audit is under the current text, so a second run finds
  nothing to do; an unchanged verdict adds no row.

Store.rejudge judges in a read transaction (decoding and judging thousands of inventories
takes a while, and must not keep the GUI and the import from writing meanwhile), then records
what got worse in one short write transaction, whole or not at all, skipping any audit that
changed in between (a new check, or another window's re-judgement).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import TypeVar

from audit.errors import AuditError, StoreError
from audit.i18n import _, ngettext
from audit.model import (
    Assessment,
    DeviceStatus,
    Exemption,
    FindingStatus,
    Policy,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)
from audit.policy import evaluate, load_policy, load_policy_file, loads_policy
from audit.store.db import optional_day, parse_time, timestamp
from audit.store.holds import rejudge as rejudge_holds
from audit.store.inventories import ForgedInventory, HeldFile, held, hold_files
from audit.store.queries import audit_exemptions
from audit.store.receipt_content import MalformedReceipt, device_from_dict
from audit.store.records import Origin
from audit.store.schema import CHAIN_TIME
from audit.store.status import status_on
from audit.store.trust import KnownPolicies, KnownPolicy, PolicyTrust, policy_deadline
from audit.store.writes import AuditKey, insert_assessment, insert_audit, relink_key
from audit.text import visible
from audit.words import status_in_sentence

# Stored in the history's trust note and carried by the export as it is: English, never
# translated (audit.store.holds keeps every stored note in one language).
REJUDGED_WORDS = "re-judged from the stored inventory, not rescanned"
T = TypeVar("T")

# How bad a verdict is: a re-judgement only ever moves a device down this list.
_SEVERITY = {
    DeviceStatus.COMPLIANT: 0,
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: 1,
    DeviceStatus.INCOMPLETE: 2,
    DeviceStatus.NON_COMPLIANT: 3,
    DeviceStatus.OVERDUE: 4,
}


def status_words(status: DeviceStatus) -> str:
    """The status inside the report's sentences, in the reader's language (audit.words)."""
    return status_in_sentence(status)


@dataclass(frozen=True)
class Verdict:
    """One latest audit judged again."""

    audit_id: int
    person_name: str
    staff_id: str
    device_id: str
    device_name: str
    was_version: str  # the version it was judged under ("" when the text is unknown here)
    before: DeviceStatus  # its own verdict as it stands on the day
    judged: DeviceStatus  # what the current version says of the stored inventory
    apps: tuple[str, ...]  # apps in violation under the current version that were not before
    rejudged_id: int | None  # the derived row, when the verdict got worse

    @property
    def changed(self) -> bool:
        return self.rejudged_id is not None


@dataclass(frozen=True)
class NotRejudged:
    """A latest audit under an older version that could not be judged again, and why."""

    audit_id: int
    person_name: str
    staff_id: str
    device_id: str
    device_name: str
    reason: str


@dataclass(frozen=True)
class RejudgeReport:
    policy_id: str
    version: str
    sha256: str
    day: date
    verdicts: tuple[Verdict, ...]
    not_rejudged: tuple[NotRejudged, ...]

    @property
    def changed(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if v.changed)

    @property
    def unchanged(self) -> tuple[Verdict, ...]:
        return tuple(v for v in self.verdicts if not v.changed)


def whose(v: Verdict | NotRejudged) -> str:
    """ "PS-1042's Pixel 7 [android:P1]": device-provided text, shown escaped."""
    person = visible(v.staff_id) or visible(v.person_name) or _("(no name)")
    return _("{person}'s {device} [{device_id}]").format(
        person=person, device=visible(v.device_name) or _("device"), device_id=visible(v.device_id)
    )


def report_lines(report: RejudgeReport) -> list[str]:
    """The re-judgement in words, as the CLI prints it and the app shows it."""
    version = report.version
    lines = [
        _(
            "Re-judged under {policy} version {version} as of {day}, from the inventories this "
            "history holds; no device was rescanned."
        ).format(policy=visible(report.policy_id), version=version, day=report.day)
    ]
    for v in report.changed:
        # Translators: {then} is "version 2" or "an older text"; {apps} is empty or ": CapCut"
        line = _("{who}: {before} under {then} → {after} under version {version}{apps}")
        then = (
            _("version {version}").format(version=v.was_version)
            if v.was_version
            else _("an older text")
        )
        apps = _(": {apps}").format(apps=visible(", ".join(v.apps))) if v.apps else ""
        line = line.format(
            who=whose(v),
            before=status_words(v.before),
            then=then,
            after=status_words(v.judged),
            version=version,
            apps=apps,
        )
        lines.append(f"  {line}  (#{v.audit_id} → #{v.rejudged_id})")
    kept = report.unchanged
    if kept:
        lines.append(
            ngettext(
                "{count} unchanged (kept as recorded: a re-judgement only ever lowers a "
                "verdict; they still count as checked under the older version until checked "
                "again):",
                "{count} unchanged (kept as recorded: a re-judgement only ever lowers a "
                "verdict; they still count as checked under the older version until checked "
                "again):",
                len(kept),
            ).format(count=len(kept))
        )
        for v in kept:
            line = _("{who}: still {status}").format(who=whose(v), status=status_words(v.before))
            if v.apps:
                line += _("; under version {version} also: {apps}").format(
                    version=version, apps=visible(", ".join(v.apps))
                )
            lines.append(f"  {line}")
    if report.not_rejudged:
        failed = len(report.not_rejudged)
        lines.append(
            ngettext(
                "{count} could not be re-judged (their status is unchanged):",
                "{count} could not be re-judged (their status is unchanged):",
                failed,
            ).format(count=failed)
        )
        lines += [
            "  "
            + _("{who} (#{audit_id}): {reason}").format(
                who=whose(n), audit_id=n.audit_id, reason=visible(n.reason)
            )
            for n in report.not_rejudged
        ]
    total = len(report.verdicts) + len(report.not_rejudged)
    lines.append(
        ngettext(
            "{total} devices were judged under an older version: {changed} now worse (recorded "
            "as re-judged, not rescanned), {kept} unchanged, {failed} could not be re-judged.",
            "{total} devices were judged under an older version: {changed} now worse (recorded "
            "as re-judged, not rescanned), {kept} unchanged, {failed} could not be re-judged.",
            total,
        ).format(
            total=total,
            changed=len(report.changed),
            kept=len(kept),
            failed=len(report.not_rejudged),
        )
    )
    return lines


def current_policy(
    conn: sqlite3.Connection,
    policy_id: str,
    *,
    version: str | None = None,
    file: Path | None = None,
) -> Policy:
    """The text re-judging uses: the current one this helpdesk knows for `policy_id` (the
    built-in preset, else the latest accepted file). `version` or `file` say which text the
    person expects; StoreError when it is not the current one (or not known at all: accept a
    file first, so one nobody accepted never judges anyone)."""
    known = KnownPolicies.load(conn)
    current = known.by_id.get(policy_id)
    if current is None:
        raise StoreError(
            _(
                "This helpdesk knows no policy '{policy}': it is neither built in nor accepted."
            ).format(policy=policy_id),
            _(
                "Accept the policy's file first (device-audit policy accept FILE --by NAME), or "
                "check the id with 'device-audit policies'."
            ),
        )
    if file is not None:
        given = load_policy_file(file)
        if given.id != policy_id:
            raise StoreError(
                _("{file} is the policy '{given}', not '{policy}'.").format(
                    file=file.name, given=given.id, policy=policy_id
                ),
                _("Give the file of the policy to re-judge."),
            )
        if given.sha256 != current.sha256:
            accepted = known.by_sha.get(given.sha256)
            what = (
                _("{file} is version {version}, not the current version {current} of '{policy}'.")
                if accepted is not None and accepted.id == policy_id
                else _("{file} is a text this helpdesk has not accepted of '{policy}'.")
            )
            raise StoreError(
                what.format(
                    file=file.name,
                    version=accepted.version if accepted is not None else "",
                    current=current.version,
                    policy=policy_id,
                ),
                _(
                    "Re-judging uses the current text only: accept the new file first "
                    "(device-audit policy accept FILE --by NAME), then re-judge."
                ),
            )
    if version is not None and version != current.version:
        raise StoreError(
            _("The current text of '{policy}' is version {current}, not {version}.").format(
                policy=policy_id, current=current.version, version=version
            ),
            _(
                "Re-judging uses the current text only; accept the file of the version you mean "
                "first (device-audit policy accept FILE --by NAME)."
            ),
        )
    return _load_known(conn, current)


def _load_known(conn: sqlite3.Connection, known: KnownPolicy) -> Policy:
    try:
        if known.trust is PolicyTrust.BUILT_IN:
            policy = load_policy(known.id)
        else:
            row = conn.execute(
                "SELECT content, file_name FROM accepted_policies WHERE sha256 = ?",
                (known.sha256,),
            ).fetchone()
            policy = loads_policy(bytes(row[0]).decode("utf-8"), str(row[1]) or known.id)
    except (AuditError, UnicodeDecodeError, TypeError) as exc:
        raise StoreError(
            _("The current text of '{policy}' cannot be read again ({problem}).").format(
                policy=known.id, problem=exc
            ),
            _("Accept the policy's file again (device-audit policy accept FILE --by NAME)."),
        ) from None
    if policy.sha256 != known.sha256:
        raise StoreError(
            _("The current text of '{policy}' is not the one this helpdesk knows.").format(
                policy=known.id
            ),
            _("Accept the policy's file again (device-audit policy accept FILE --by NAME)."),
        )
    return policy


@dataclass(frozen=True)
class _Change:
    """A verdict that got worse, judged while reading, recorded in the write that follows."""

    verdict: Verdict
    assessment: Assessment
    technician: str
    chain_time: str
    connection: object
    was_sha256: str


@dataclass(frozen=True)
class Judged:
    """Every latest audit under an older text, judged again (nothing written yet)."""

    policy: Policy
    day: date
    verdicts: tuple[Verdict, ...]
    changes: tuple[_Change, ...]
    not_rejudged: tuple[NotRejudged, ...]


def judge_again(conn: sqlite3.Connection, policy: Policy, *, day: date) -> Judged:
    """Judge every latest audit of `policy.id` made under another text again (module
    docstring) as of `day`. Only reads: decoding and judging are the slow part, so they run
    without holding the history's write lock (`record` writes what changed, briefly)."""
    known = KnownPolicies.load(conn)
    rows = conn.execute(
        "SELECT id, person_name, staff_id, technician, device_id, device_name, device_json,"
        f" status, exemption_expires, policy_sha256, origin, {CHAIN_TIME}, connection"
        " FROM audits a WHERE policy_id = ? AND latest = 1 AND status IS NOT NULL"
        " AND policy_sha256 != ? ORDER BY person_name, staff_id, device_id, id",
        (policy.id, policy.sha256),
    ).fetchall()
    deadline = policy_deadline(conn, policy.id)
    verdicts: list[Verdict] = []
    changes: list[_Change] = []
    skipped: list[NotRejudged] = []
    for row in rows:
        audit_id, person, staff, technician, device_id, device_name, device_json = row[:7]
        status, expires, sha256, origin, chain_time, connection = row[7:]
        who = (int(audit_id), str(person), str(staff), str(device_id), str(device_name))
        then = known.by_sha.get(str(sha256))
        was_version = then.version if then is not None and then.id == policy.id else ""
        before = status_on(
            DeviceStatus(status), day, deadline=deadline, exemption_expires=optional_day(expires)
        )
        try:
            scan = _stored_scan(conn, int(audit_id), str(device_json), str(origin))
        except _NotHeld as why:
            skipped.append(NotRejudged(*who, reason=str(why)))
            continue
        exemptions = _exemptions(conn, int(audit_id))
        assessment = evaluate(scan, policy, exemptions, day=day, person=str(staff))
        apps = _new_violations(conn, int(audit_id), assessment)
        verdict = Verdict(*who, was_version, before, assessment.status, apps, None)
        if _SEVERITY[assessment.status] <= _SEVERITY[before]:
            verdicts.append(verdict)
            continue
        changes.append(
            _Change(verdict, assessment, str(technician), str(chain_time), connection, str(sha256))
        )
    return Judged(policy, day, tuple(verdicts), tuple(changes), tuple(skipped))


def record(conn: sqlite3.Connection, judged: Judged) -> RejudgeReport:
    """Write the verdicts that got worse (inside the caller's write transaction). An audit that
    changed since it was judged (a new check made it not the latest, or it was re-judged by
    another window meanwhile) is left to that newer state: nothing is recorded over it."""
    policy = judged.policy
    verdicts = list(judged.verdicts)
    for change in judged.changes:
        verdict = change.verdict
        row = conn.execute(
            "SELECT latest, policy_sha256 FROM audits WHERE id = ?", (verdict.audit_id,)
        ).fetchone()
        if row is None or (int(row[0]), str(row[1])) != (1, change.was_sha256):
            continue
        note = _note(
            verdict.audit_id,
            (verdict.was_version, str(policy.version)),
            verdict.before,
            change.assessment,
            verdict.apps,
        )
        new_id = _record(
            conn,
            change.assessment,
            source=verdict.audit_id,
            person_name=verdict.person_name,
            staff_id=verdict.staff_id,
            technician=change.technician,
            chain_time=change.chain_time,
            connection=change.connection,
            note=note,
        )
        verdicts.append(replace(verdict, rejudged_id=new_id))
    verdicts.sort(key=lambda v: (v.person_name, v.staff_id, v.device_id, v.audit_id))
    return RejudgeReport(
        policy.id,
        str(policy.version),
        policy.sha256,
        judged.day,
        tuple(verdicts),
        judged.not_rejudged,
    )


class _NotHeld(Exception):
    """Why an audit's inventory cannot be judged again (its message says it in words)."""


def _stored_scan(
    conn: sqlite3.Connection, audit_id: int, device_json: str, origin: str
) -> ScanResult:
    """The scan the audit was last judged on, its apps from the stored inventory."""
    row = conn.execute(
        "SELECT started_at, finished_at, inventory_digest, gaps, users FROM scans"
        " WHERE audit_id = ? ORDER BY id DESC LIMIT 1",
        (audit_id,),
    ).fetchone()
    if row is None:
        raise _NotHeld(_("it has no scan"))
    started, finished, digest, gaps, users = row
    try:
        stored = held(conn, str(digest))
    except ForgedInventory as forged:
        raise _NotHeld(forged.message) from None
    if stored is None:
        if origin == Origin.IMPORTED.value:
            raise _NotHeld(
                _(
                    "it was imported from a receipt, which signs the digest of its inventory but "
                    "does not carry the inventory; give the inventory file with --inventories "
                    "DIR, or check the device again"
                )
            )
        raise _NotHeld(
            _(
                "its inventory is not held (it was recorded before Device Audit kept "
                "inventories); check the device again"
            )
        )
    try:
        device = device_from_dict(json.loads(device_json))
        reports = [
            SourceReport(g["source"], SourceStatus(g["status"]), g["detail"])
            for g in json.loads(gaps)
        ]
        profiles = tuple(
            UserProfile(u["id"], u["name"], UserKind(u["kind"])) for u in json.loads(users)
        )
    except (MalformedReceipt, ValueError, KeyError, TypeError, RecursionError):
        raise _NotHeld(_("its device or scan record cannot be read again")) from None
    if device.id != stored.device_id:
        raise _NotHeld(_("its stored inventory is of another device"))
    sources: tuple[SourceReport, ...]
    if stored.complete:
        sources = (SourceReport("stored inventory", SourceStatus.OK, count=len(stored.apps)),)
    else:  # the same gaps as the scan had: an incomplete scan stays incomplete
        failed = SourceReport("stored inventory", SourceStatus.FAILED, "not everything was read")
        sources = tuple(reports) or (failed,)
    return ScanResult(
        device=device,
        started_at=parse_time(started),
        finished_at=parse_time(finished),
        apps=stored.apps,
        users=profiles,
        sources=sources,
    )


def _exemptions(conn: sqlite3.Connection, audit_id: int) -> list[Exemption]:
    """The exemptions the audit's last assessment relied on: still granted as they were."""
    return list(audit_exemptions(conn, audit_id))


def _new_violations(
    conn: sqlite3.Connection, audit_id: int, assessment: Assessment
) -> tuple[str, ...]:
    """The apps in violation now that the audit's last scan did not hold in violation."""
    before = {
        (str(identifier), str(user))
        for identifier, user in conn.execute(
            "SELECT identifier, user_id FROM findings WHERE status = 'violation' AND scan_id ="
            " (SELECT max(id) FROM scans WHERE audit_id = ?)",
            (audit_id,),
        )
    }
    labels = [
        f.app.label
        for f in assessment.findings
        if f.status is FindingStatus.VIOLATION and (f.app.identifier, f.app.user) not in before
    ]
    return tuple(dict.fromkeys(labels))


def _note(
    source: int,
    versions: tuple[str, str],
    before: DeviceStatus,
    after: Assessment,
    apps: Sequence[str],
) -> str:
    """The label the history and the export show: what it is, and what it is not. Stored, so
    in English whatever the language of the person who re-judged (REJUDGED_WORDS)."""
    then = f"version {versions[0]}" if versions[0] else "an older text"
    why = f": {', '.join(apps)}" if apps else ""
    was = status_in_sentence(before, translated=False)
    now = status_in_sentence(after.status, translated=False)
    return (
        f"{REJUDGED_WORDS} (audit #{source}, scanned {after.scan.finished_at.date()}): "
        f"{was} under {then}, {now} under version {versions[1]}{why}"
    )


def _record(
    conn: sqlite3.Connection,
    assessment: Assessment,
    *,
    source: int,
    person_name: str,
    staff_id: str,
    technician: str,
    chain_time: str,
    connection: object,
    note: str,
) -> int:
    """The derived row: at the source's place in the chain, never signed or witnessed."""
    scan = assessment.scan
    policy = assessment.policy
    moment = parse_time(chain_time)
    new_id = insert_audit(
        conn,
        origin=Origin.REJUDGED,
        device=scan.device,
        device_json=conn.execute(
            "SELECT device_json FROM audits WHERE id = ?", (source,)
        ).fetchone()[0],
        policy_id=policy.id,
        policy_title=policy.title,
        policy_sha256=policy.sha256,
        deadline=policy.deadline,
        person_name=person_name,
        staff_id=staff_id,
        technician=technician,
        started_at=moment,
    )
    insert_assessment(conn, new_id, assessment)
    conn.execute(
        "UPDATE audits SET at = ?, derived_from = ?, trust_note = ?, assurance = '',"
        " connection = ? WHERE id = ?",
        (timestamp(moment), source, note, connection, new_id),
    )
    # Held like any audit: an exemption this history has not accepted (audit.store.holds).
    rejudge_holds(conn, audits=[new_id])
    relink_key(conn, AuditKey(policy.id, staff_id, scan.device.id))
    return new_id


class RejudgeMethods:
    """The Store's re-judging (a mixin, so store.py stays about recording audits)."""

    def _write(self) -> AbstractContextManager[sqlite3.Connection]:
        raise NotImplementedError

    def _read(self, query: Callable[[sqlite3.Connection], T]) -> T:
        raise NotImplementedError

    def rejudge(
        self,
        policy_id: str,
        *,
        version: str | None = None,
        file: Path | None = None,
        inventories: Iterable[Path] = (),
        today: date | None = None,
    ) -> tuple[RejudgeReport, list[HeldFile]]:
        """Judge the latest audits of `policy_id` made under an older text again, under the
        current one, from their stored inventories (module docstring); first hold the given
        inventory files (those of imported receipts). One transaction: all or nothing.

        `today` fixes the day for tests and benchmarks; the CLI and the app always judge as of
        today, as the history holds how each device stands now (audit.workflow.history)."""
        files = list(inventories)
        held: list[HeldFile] = []
        if files:
            with self._write() as conn:
                held = hold_files(conn, files)
        day = today or date.today()

        def read(conn: sqlite3.Connection) -> Judged:
            policy = current_policy(conn, policy_id, version=version, file=file)
            return judge_again(conn, policy, day=day)

        judged = self._read(read)
        with self._write() as conn:
            if current_policy(conn, policy_id).sha256 != judged.policy.sha256:
                raise StoreError(
                    _(
                        "The current text of '{policy}' changed while the audits were being "
                        "re-judged; nothing was recorded."
                    ).format(policy=policy_id),
                    _("Re-judge again."),
                )
            return record(conn, judged), held

    def hold_inventories(self, paths: Iterable[Path]) -> list[HeldFile]:
        """Keep the inventory files whose digest a recorded scan or receipt names (those of
        imported receipts), so their audits can be re-judged; the others are not kept, with
        the reason (audit.store.inventories.hold_files)."""
        with self._write() as conn:
            return hold_files(conn, paths)
