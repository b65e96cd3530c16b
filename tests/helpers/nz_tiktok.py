"""The NZ Parliament TikTok policy and a two-user phone's sources, as the receipt tests use them.

The attestation builders (tests/audit/attestation/builders.py) and the history factory
(tests/audit/store/factory.py) sign receipts for the same policy, with the same statement, from
scans that read the owner and the work profile; they build their own devices and apps.
"""

from __future__ import annotations

from datetime import date

from audit.model import IdentifierKind, Matcher, MatchKind, Policy, Rule, SourceReport, SourceStatus
from audit.policy.loader import preset_digests

STATEMENT = "I confirm that the banned apps listed are no longer on this device."

TIKTOK = Rule(
    id="tiktok",
    title="TikTok and its variants",
    matchers=(
        Matcher(MatchKind.IDENTIFIER, "com.zhiliaoapp.musically", IdentifierKind.ANDROID_PACKAGE),
    ),
)
POLICY = Policy(
    id="nz-parliament-2023",
    title="New Zealand Parliamentary Service: TikTok",
    authority="Parliamentary Service",
    rules=(TIKTOK,),
    deadline=date(2023, 3, 31),
    # The shipped preset's digest: a receipt under any other text of this id is not counted.
    sha256=preset_digests()["nz-parliament-2023"],
    origin="preset:nz-parliament-2023",
)


def phone_sources(*, complete: bool = True) -> tuple[SourceReport, ...]:
    """User 0 read; user 10 (the work profile) read too, or not when `complete` is False."""
    work = (
        SourceReport("user 10", SourceStatus.OK, count=1)
        if complete
        else SourceReport("user 10", SourceStatus.FAILED, detail="the shell cannot read user 10")
    )
    return (SourceReport("user 0", SourceStatus.OK, count=1), work)
