"""Whether a policy may be used for audits on a computer whose history requires signed
policies (`device-audit policy require-signed on`).

With the requirement on, the history refuses to accept a policy file without its issuer's
signature, and refuses receipts made under an accepted policy that was not signed
(trust.KnownPolicies.problem). Checking a device against such a policy here would make
receipts the helpdesk then refuses: the person is told before the check, in words, why the
file cannot be used and what to do. The built-in presets ship with Device Audit and are known
by their digest: they need no signature.
"""

from __future__ import annotations

from pathlib import Path

from audit.errors import StoreError
from audit.i18n import _
from audit.model import Policy
from audit.policy.loader import preset_digests
from audit.text import visible

REQUIRE_SIGNED_OFF = "device-audit policy require-signed off --by NAME"


def built_in(policy: Policy) -> bool:
    """A shipped preset, byte for byte (a copy of a preset's file is the preset)."""
    return bool(policy.sha256) and preset_digests().get(policy.id) == policy.sha256


def check_usable(policy: Policy, *, signed_required: bool) -> None:
    """StoreError saying why `policy` cannot be used when signed policies are required and it
    is neither signed by its issuer nor a built-in preset."""
    if not signed_required or policy.issuer_key or built_in(policy):
        return
    name = Path(policy.origin).name if policy.origin else policy.id
    shown = visible(name, limit=120)
    raise StoreError(
        _(
            "The policy '{title}' ({file}) is not signed by whoever issued it, and this helpdesk "
            "requires signed policies: receipts made under it would be refused, so it cannot be "
            "used here."
        ).format(title=visible(policy.title, limit=120), file=shown),
        _(
            "Ask the issuer for the signed file ({file} with {file}.sig beside it) and open that, "
            "or choose a built-in policy. Whoever runs the helpdesk can turn the requirement off "
            "({command})."
        ).format(file=shown, command=REQUIRE_SIGNED_OFF),
    )
