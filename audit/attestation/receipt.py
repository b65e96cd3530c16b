"""Making a signed receipt: refuse what may not be attested, sign, write the file atomically."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, date, datetime
from pathlib import Path

from audit.attestation.dsse import Envelope, SigningKey, sign
from audit.attestation.statement import (
    Attester,
    StatementKind,
    UsbDebugging,
    attestation_blockers,
    build_statement,
    canonical_json,
    check_attester,
    mismatches,
)
from audit.errors import AttestationRefused
from audit.i18n import _
from audit.inventory import write_atomic
from audit.model import ActionResult, Assessment, FindingStatus


def attest(
    *,
    before: Assessment,
    after: Assessment,
    actions: Sequence[ActionResult],
    attester: Attester,
    statement_text: str,
    signer: SigningKey,
    usb_debugging: UsbDebugging | str | None = None,
    now: datetime | None = None,
) -> Envelope:
    """Sign a compliance attestation.

    Refused (AttestationRefused) while banned apps remain unresolved and unexempted, while the
    last scan is incomplete or older than the last action, or when the inputs do not belong to
    one device and one policy. report_noncompliance() is what can be signed instead.
    """
    check_attester(attester)
    if not statement_text.strip():
        raise AttestationRefused(
            _("An attestation needs the statement the person agrees to."),
            _("Show the statement, ask the person to agree, and try again."),
        )
    blockers = attestation_blockers(before, after, actions)
    if blockers:
        raise AttestationRefused(
            # Translators: {reasons} are the reasons, joined with "; "
            _("The device cannot be attested as compliant yet: {reasons}.").format(
                reasons="; ".join(blockers)
            ),
            _(
                "Remove the remaining apps or record an exemption, scan again, and attest then. "
                "A signed non-compliance report can be made instead."
            ),
        )
    now = now or datetime.now(UTC)
    _refuse_lapsed_exemptions(after, now.astimezone().date())  # the signer's own day
    statement = build_statement(
        before=before,
        after=after,
        actions=actions,
        attester=attester,
        statement_text=statement_text,
        usb_debugging=usb_debugging,
        now=now,
        kind=StatementKind.ATTESTATION,
    )
    return sign(canonical_json(statement), signer)


def _refuse_lapsed_exemptions(after: Assessment, signing_day: date) -> None:
    """An exemption that has expired by the day of signing never makes a receipt "compliant
    with exceptions", whatever day the device was judged as of."""
    used = {
        f.exemption.id: f.exemption
        for f in after.findings
        if f.status is FindingStatus.EXCEPTED and f.exemption is not None
    }
    lapsed = [e for _id, e in sorted(used.items()) if e.expires < signing_day]
    if lapsed:
        words = ", ".join(
            _("{id} (expired {day})").format(id=e.id, day=e.expires.isoformat()) for e in lapsed
        )
        raise AttestationRefused(
            _(
                "The device cannot be attested as compliant: it relies on exemptions that have "
                "expired by today, {today}: {exemptions}."
            ).format(today=signing_day.isoformat(), exemptions=words),
            _(
                "Renew the exemption or remove the app, check the device again today, and attest "
                "then. A signed non-compliance report can be made instead."
            ),
        )


def report_noncompliance(
    *,
    before: Assessment,
    after: Assessment,
    actions: Sequence[ActionResult],
    attester: Attester,
    signer: SigningKey,
    statement_text: str = "",
    usb_debugging: UsbDebugging | str | None = None,
    now: datetime | None = None,
) -> Envelope:
    """Sign a report that the device is NOT compliant (or could not be fully checked).

    Made when attest() is refused; its kind and status say so, so it can never be read as an
    attestation of compliance. Refused when the device could be attested instead.
    """
    check_attester(attester)
    problems = mismatches(before, after, actions)
    if problems:
        raise AttestationRefused(
            _("No report can be made from these scans: {problems}.").format(
                problems="; ".join(problems)
            ),
            _("Scan the device again and start over."),
        )
    if not attestation_blockers(before, after, actions):
        raise AttestationRefused(
            _("The device is compliant, so there is nothing to report as non-compliant."),
            _("Make an attestation instead."),
        )
    statement = build_statement(
        before=before,
        after=after,
        actions=actions,
        attester=attester,
        statement_text=statement_text,
        usb_debugging=usb_debugging,
        now=now,
        kind=StatementKind.NONCOMPLIANCE_REPORT,
    )
    return sign(canonical_json(statement), signer)


def write_receipt(envelope: Envelope, path: Path | str) -> None:
    """Write the receipt in the one byte form verify accepts; a crash leaves no half file."""
    write_atomic(Path(path), envelope.to_file_bytes())
