"""Blanket exemptions: ones that name no person, no policy, no rule and no app.

Such an exemption covers every banned app of every policy for everyone, so one line with any
approver and a far expiry, accepted by mistake, would make every receipt that lists it
"compliant with exceptions" whatever is installed. The helpdesk accepts one only on purpose
(`exemption accept --blanket`), and `exemption list` marks it (audit.store.holds).
"""

from __future__ import annotations

import json

from audit.i18n import _
from audit.model import Exemption

# Fields of an accepted exemption's stored text (writes.exemption_row less the audit id).
_PERSON, _POLICY, _RULES, _APPS = 6, 8, 9, 10


def is_blanket(exemption: Exemption) -> bool:
    """Names no person, no policy, no rule and no app (a device alone still covers everyone
    using it, for every app of every policy)."""
    named = exemption.person.strip() or exemption.policy.strip()
    return not (named or exemption.rules or exemption.apps)


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


def blanket_content(content: object) -> bool:
    """Whether an accepted exemption's stored text (a JSON list of its fields) is blanket; a
    text changed outside the app that cannot be read is not called blanket."""
    parts = _list(content)
    if len(parts) <= _APPS:
        return False
    named = parts[_PERSON].strip() or parts[_POLICY].strip()
    return not (named or _list(parts[_RULES]) or _list(parts[_APPS]))


def _list(value: object) -> list[str]:
    try:
        data = json.loads(str(value))
    except (ValueError, RecursionError):
        return []
    return [str(item) for item in data] if isinstance(data, list) else []
