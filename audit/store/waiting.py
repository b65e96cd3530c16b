"""The exemptions the history's audits rest on that the helpdesk has not accepted yet.

An audit "compliant with exceptions" whose exemption is not accepted here is held as not
compliant (audit.store.holds). The helpdesk then needs to know which exemption texts are waiting
for its decision, for how many devices, and from which approver: `exemption list` and the
desktop app's Exemptions tab show this list, so accepting the approver's file is the obvious
next step and a held device is never a silent mystery. Only the latest audit of each person and
device counts: an old audit superseded by a new check waits for nothing.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from audit.i18n import _, ngettext
from audit.store.holds import EXEMPTION_NOTE, active_digests, exemption_digest


@dataclass(frozen=True)
class WaitingExemption:
    """One exemption text that held audits list and nobody accepted here."""

    exemption_id: str
    person: str
    approver: str
    expires: str
    sha256: str
    audits: int  # latest audits held that list it


def waiting_exemptions(conn: sqlite3.Connection) -> list[WaitingExemption]:
    """Most audits first; each text once (by its digest, as `exemption accept` records it)."""
    accepted = active_digests(conn)
    found: dict[str, tuple[tuple[object, ...], set[int]]] = {}
    for row in conn.execute(
        "SELECT e.exemption_id, e.reason, e.approver, e.approver_role, e.granted, e.expires,"
        " e.person, e.device, e.policy, e.rules, e.apps, e.mitigations, e.audit_id"
        " FROM exemptions e JOIN audits a ON a.id = e.audit_id"
        " WHERE a.latest = 1 AND instr(a.trust_note, ?) > 0",
        (EXEMPTION_NOTE,),
    ):
        fields = tuple(row[:12])
        digest = exemption_digest(fields)
        if digest in accepted:
            continue  # accepted, yet held for another reason (another person, device...)
        found.setdefault(digest, (fields, set()))[1].add(int(row[12]))
    waiting = [
        WaitingExemption(
            str(fields[0]), str(fields[6]), str(fields[2]), str(fields[5]), digest, len(ids)
        )
        for digest, (fields, ids) in found.items()
    ]
    return sorted(waiting, key=lambda w: (-w.audits, w.exemption_id, w.sha256))


def waiting_words(waiting: list[WaitingExemption], *, limit: int = 10) -> list[str]:
    """One plain line per waiting exemption, the same in the CLI and the window."""
    lines = []
    for w in waiting[:limit]:
        lines.append(
            ngettext(
                "{exemption} for {person} (approver {approver}, expires {expires}): {count} "
                "device held until it is accepted",
                "{exemption} for {person} (approver {approver}, expires {expires}): {count} "
                "devices held until it is accepted",
                w.audits,
            ).format(
                exemption=w.exemption_id,
                person=w.person or _("any person"),
                approver=w.approver,
                expires=w.expires,
                count=w.audits,
            )
        )
    if len(waiting) > limit:
        more = len(waiting) - limit
        lines.append(ngettext("and {count} more", "and {count} more", more).format(count=more))
    return lines
