"""What the team history's database refused a login, in words that say what was refused and
who may do it (issue 18): the grants of audit/store/pg_grants.py and the row rules of
audit/store/pg_rules.py answer only with an SQLSTATE and a table or constraint name.

audit.store.pg.pg_words calls `refusal` for SQLSTATE 42501 (insufficient privilege) and 25006
(a read-only transaction: the office's sessions).
"""

from __future__ import annotations

import re

import psycopg
import psycopg.errors

from audit.errors import StoreError
from audit.i18n import _
from audit.store import pg, pg_rules
from audit.store.pg_grants import ADMIN_TABLES

_TABLE = re.compile(r"permission denied for (?:table|relation) (\w+)")
# The writers' lock (pg_grants.lock_down): a login that may not take it may not write at all.
_WRITE_LOCK = re.compile(r"permission denied for function pg_\w*advisory")


def refusal(shown: str, exc: psycopg.Error) -> StoreError:
    """A write the account's role may not make, in words that say what was refused and who
    may do it (pg.pg_words, for SQLSTATE 42501 and 25006)."""
    reason = pg._reason(exc)
    rule = _row_rule(shown, exc.diag.constraint_name or "", reason, exc.diag.message_detail or "")
    if rule is not None:
        return rule
    found = _TABLE.search(reason)
    table = found.group(1) if found else ""
    if table in ADMIN_TABLES:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: enrolling "
                "technicians, accepting policies and exemptions, and changing settings are for "
                "the team's administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask the team history's administrator to do it."),
        )
    if not table and isinstance(exc, psycopg.errors.ReadOnlySqlTransaction):
        # The office's sessions are read-only: the server does not say what was refused.
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: it may only read. "
                "Recording audits and importing receipts are for technicians; enrolling "
                "technicians, accepting "
                "policies and exemptions, and changing settings are for the team's "
                "administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask a colleague whose account may do it, or your administrator."),
        )
    if table or _WRITE_LOCK.search(reason):
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: it may read, but "
                "recording audits and importing receipts are for technicians and the "
                "administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask a technician to do it, or your administrator for a technician's account."),
        )
    return StoreError(
        _("Your account on the team history {target} may not do this ({error}).").format(
            target=shown, error=reason
        ),
        _("Ask your administrator, or a colleague whose account may."),
    )


def _row_rule(shown: str, rule: str, reason: str, detail: str = "") -> StoreError | None:
    """A row rule of the database refused (audit/store/pg_rules.py): which one, in words."""
    if rule == pg_rules.CLOCK:
        return _clock_ahead(shown, detail)
    if rule == pg_rules.OTHERS_AUDIT:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: an audit is changed "
                "only by the login that recorded it, or by the team's administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask the technician who recorded it, or your administrator."),
        )
    if rule == pg_rules.RECEIPT:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: an audit that rests "
                "on a signed receipt counts only as its receipt says, and a hold on it is "
                "released only by the team's administrator ({error})."
            ).format(target=shown, error=reason),
            _("Ask your administrator to review it."),
        )
    if rule == pg_rules.KEY:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: the team history "
                "already trusts another key for this person, and accepting a new key is the "
                "team's administrator's decision ({error})."
            ).format(target=shown, error=reason),
            _(
                "Ask your administrator to check the new key with the person and accept it, or "
                "to enrol this bench's key as a technician's."
            ),
        )
    if rule == pg_rules.TOTALS:
        return StoreError(
            _(
                "Your account on the team history {target} may not do this: the dashboard's "
                "numbers must match the audits they count, and this change would not. Nothing "
                "was changed ({error})."
            ).format(target=shown, error=reason),
            _("Tell your administrator."),
        )
    return None


def _clock_ahead(shown: str, detail: str) -> StoreError:
    """The clock rule refused: a time written is ahead of the server's clock by more than the
    import's slack (times.CLOCK_SKEW). `detail`: "<time written> <server's time>"."""
    from audit.store.times import SKEW_WORDS, ahead_words

    written, _sep, server = detail.partition(" ")
    amount = ahead_words(written, server) or _("more than {skew}").format(skew=_(SKEW_WORDS))
    return StoreError(
        _(
            "This computer's clock is ahead of the team history's server {target} by {amount} "
            "(the server's clock says {server} UTC; this was dated {time}). Nothing more than "
            "{skew} ahead is saved there, so this was not saved."
        ).format(
            target=shown,
            amount=amount,
            server=server[:16].replace("T", " ") or "?",
            time=written[:16].replace("T", " ") or "?",
            skew=_(SKEW_WORDS),
        ),
        _(
            "Set this computer's date, time and time zone right and check again. A receipt "
            "file dated that far ahead cannot be imported."
        ),
    )
