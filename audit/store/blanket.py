"""Blanket exemptions: ones that name no person, no policy, no rule and no app; and exemptions
for everyone: ones that name no person and no device, whatever else they name.

A blanket exemption covers every banned app of every policy for everyone, so one line with any
approver and a far expiry, accepted by mistake, would make every receipt that lists it
"compliant with exceptions" whatever is installed. The helpdesk accepts one only on purpose
(`exemption accept --blanket`), and `exemption list` marks it (audit.store.holds).

An exemption for everyone is narrower in what (one policy, one rule, one app) but not in whom:
the approver who grants TikTok to a team and forgets `person` has granted it to every staff
member who gets hold of the file, and the history counts each of them "compliant with
exceptions" (an exemption that names nobody is checked against nobody). So it is accepted only
on purpose too (`exemption accept --everyone`), and `exemption list` marks it EVERYONE.
"""

from __future__ import annotations

import json
from collections.abc import Sequence

from audit.errors import StoreError
from audit.i18n import _
from audit.model import Exemption
from audit.text import visible

# Fields of an accepted exemption's stored text (writes.exemption_row less the audit id).
_PERSON, _DEVICE, _POLICY, _RULES, _APPS = 6, 7, 8, 9, 10


def is_blanket(exemption: Exemption) -> bool:
    """Names no person, no policy, no rule and no app (a device alone still covers everyone
    using it, for every app of every policy)."""
    named = exemption.person.strip() or exemption.policy.strip()
    return not (named or exemption.rules or exemption.apps)


def is_for_everyone(exemption: Exemption) -> bool:
    """Names no person and no device: whoever lists it is covered (a blanket one is too)."""
    return not (exemption.person.strip() or exemption.device.strip())


def everyone_words(exemption: Exemption) -> str:
    """What an exemption for everyone covers, in plain words."""
    if exemption.apps:
        words = _("{apps}, for every person on every device, until {expires}")
    elif exemption.rules:
        words = _("what the rules {rules} ban, for every person on every device, until {expires}")
    else:
        words = _(
            "every banned app of policy {policy}, for every person on every device, until {expires}"
        )
    return words.format(
        apps=visible(", ".join(exemption.apps), limit=120),
        rules=visible(", ".join(exemption.rules), limit=120),
        policy=visible(exemption.policy, limit=80),
        expires=exemption.expires,
    )


def blanket_words(exemption: Exemption) -> str:
    """What a blanket exemption covers, in plain words."""
    if exemption.device.strip():
        words = _(
            "every banned app of every policy, for every person, on device {device}, until "
            "{expires}"
        )
    else:
        words = _(
            "every banned app of every policy, for every person, on every device, until {expires}"
        )
    return words.format(device=exemption.device, expires=exemption.expires)


def refuse_wide(
    exemptions: Sequence[Exemption], *, file_name: str, blanket: bool, everyone: bool
) -> None:
    """StoreError, for the whole file, when it has a blanket exemption and `blanket` is not
    given, or one for everyone and `everyone` is not: the helpdesk accepts those on purpose."""
    wide = [e for e in exemptions if is_blanket(e)]
    if wide and not blanket:
        words = "; ".join(
            _("{exemption} covers {what}").format(exemption=e.id, what=blanket_words(e))
            for e in wide[:3]
        )
        raise StoreError(
            _(
                "{file} was not accepted: it has an exemption that names no person, no policy, "
                "no rule and no app, so it covers everything ({exemptions})."
            ).format(file=file_name, exemptions=words),
            _(
                "Ask the approver to say whom and which apps it is for. If it really is meant for "
                "everyone and everything, accept it on purpose: device-audit exemption accept "
                "FILE --blanket --by NAME."
            ),
        )
    anyone = [e for e in exemptions if is_for_everyone(e) and not is_blanket(e)]
    if anyone and not everyone:
        words = "; ".join(
            _("{exemption} covers {what}").format(exemption=e.id, what=everyone_words(e))
            for e in anyone[:3]
        )
        raise StoreError(
            _(
                "{file} was not accepted: it has an exemption that names no person and no "
                "device, so anyone who lists it keeps the app ({exemptions})."
            ).format(file=file_name, exemptions=words),
            _(
                "Ask the approver to name the person (one exemption for each person) or the "
                "device. If it really is meant for everyone, accept it on purpose: "
                "device-audit exemption accept FILE --everyone --by NAME."
            ),
        )


def blanket_content(content: object) -> bool:
    """Whether an accepted exemption's stored text (a JSON list of its fields) is blanket; a
    text changed outside the app that cannot be read is not called blanket."""
    parts = _list(content)
    if len(parts) <= _APPS:
        return False
    named = parts[_PERSON].strip() or parts[_POLICY].strip()
    return not (named or _list(parts[_RULES]) or _list(parts[_APPS]))


def everyone_content(content: object) -> bool:
    """Whether an accepted exemption's stored text names no person and no device; a text
    changed outside the app that cannot be read is not called so."""
    parts = _list(content)
    if len(parts) <= _DEVICE:
        return False
    return not (parts[_PERSON].strip() or parts[_DEVICE].strip())


def _list(value: object) -> list[str]:
    try:
        data = json.loads(str(value))
    except (ValueError, RecursionError):
        return []
    return [str(item) for item in data] if isinstance(data, list) else []
