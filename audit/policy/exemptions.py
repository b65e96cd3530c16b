"""Exemptions: the file that records who may keep a banned app, why, and until when.

Read as strictly as policies, because an exemption decides whether a person keeps their network
access: a typo in `expires` must not grant a year nobody approved.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path

from audit.errors import ExemptionsError
from audit.files import open_regular, path_problem
from audit.i18n import _
from audit.model import Device, Exemption, InstalledApp, Policy, Rule
from audit.policy.matching import normalise_id, normalise_text
from audit.policy.tomlfile import TomlDocument, parse_text, read_file

EXEMPTION_KEYS = (
    "id",
    "person",
    "device",
    "policy",
    "rules",
    "apps",
    "approver",
    "approver_role",
    "reason",
    "granted",
    "expires",
    "mitigations",
)


def parse_exemptions(doc: TomlDocument) -> tuple[Exemption, ...]:
    root = doc.root()
    root.only(("exemption",))
    out: list[Exemption] = []
    seen: set[str] = set()
    for table in root.tables("exemption"):
        table.only(EXEMPTION_KEYS)
        exemption_id = table.text("id", required=True)
        if exemption_id in seen:
            raise table.fail(
                "id", _("the exemption id '{id}' is used twice").format(id=exemption_id)
            )
        seen.add(exemption_id)
        granted = table.day("granted", required=True)
        expires = table.day("expires", required=True)
        assert granted is not None and expires is not None
        if expires < granted:
            raise table.fail(
                "expires",
                _("it expires ({expires}) before it is granted ({granted})").format(
                    expires=expires, granted=granted
                ),
            )
        out.append(
            Exemption(
                id=exemption_id,
                reason=table.text("reason", required=True),
                approver=table.text("approver", required=True),
                granted=granted,
                expires=expires,
                person=table.text("person").strip(),
                device=table.text("device").strip(),
                rules=table.texts("rules"),
                apps=table.texts("apps"),
                policy=table.text("policy").strip(),
                approver_role=table.text("approver_role"),
                mitigations=table.texts("mitigations"),
            )
        )
    return tuple(out)


def loads_exemptions(text: str, path: Path | str = "<exemptions>") -> tuple[Exemption, ...]:
    return parse_exemptions(parse_text(text, path, ExemptionsError))


class ExemptionsFileUnreadable(ExemptionsError):
    """The exemptions file is missing, a folder or not readable: a wrong path, which the person
    fixes by checking the path, not by editing a file that may not exist."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(path, problem)
        # Translators: {problem} is "is a folder, not a file", "cannot be found", ...
        self.message = _("The exemptions file {path} {problem}.").format(path=path, problem=problem)
        self.next_step = _(
            "Check the path of the exemptions file, or leave it out to judge without exemptions."
        )
        self.args = (self.message,)


def _unreadable(path: Path) -> ExemptionsFileUnreadable | None:
    try:
        if path.is_dir():
            return ExemptionsFileUnreadable(path, _("is a folder, not a file"))
        with open_regular(path):
            return None
    except FileNotFoundError:
        return ExemptionsFileUnreadable(path, _("cannot be found"))
    except OSError as exc:
        problem = path_problem(exc)
        return ExemptionsFileUnreadable(
            path, _("cannot be read ({problem})").format(problem=problem)
        )


def load_exemptions(path: Path | str) -> tuple[Exemption, ...]:
    """Every exemption in the file, or ExemptionsError naming what is wrong (nothing partial)."""
    unreadable = _unreadable(Path(path))
    if unreadable is not None:
        raise unreadable
    doc, _raw = read_file(path, ExemptionsError)
    return parse_exemptions(doc)


# --- which exemption covers what -------------------------------------------------------------


def applies(exemption: Exemption, policy: Policy, device: Device, person: str) -> bool:
    """Whether the exemption is for this policy, device and person at all (dates aside).

    An exemption for a named person applies only when the check knows who the person is: an
    unnamed check of someone's phone must not borrow a colleague's exemption.
    """
    if exemption.policy and exemption.policy != policy.id:
        return False
    if exemption.device and exemption.device not in {device.id, device.serial} - {""}:
        return False
    return not exemption.person or exemption.person == person.strip()


def covers(exemption: Exemption, rule: Rule, app: InstalledApp, app_label: str = "") -> bool:
    """Whether an applicable exemption covers this rule's match of this app.

    `apps` lists identifiers (`com.zhiliaoapp.musically`, compared as the identifier's kind
    compares) or app names from the catalog (`TikTok`, compared ignoring case).
    """
    if exemption.rules and rule.id not in exemption.rules:
        return False
    if not exemption.apps:
        return True
    wanted_names = {normalise_text(a) for a in exemption.apps}
    if app_label and normalise_text(app_label) in wanted_names:
        return True
    for app_id in app.all_ids:
        value = normalise_id(app_id.kind, app_id.value)
        if any(normalise_id(app_id.kind, a) == value for a in exemption.apps):
            return True
    return False


def problems(exemptions: Iterable[Exemption], policy: Policy) -> list[str]:
    """Exemptions that name rules the policy does not have: they would silently cover nothing."""
    rule_ids = {rule.id for rule in policy.rules}
    out = []
    for exemption in exemptions:
        if exemption.policy and exemption.policy != policy.id:
            continue
        unknown = [r for r in exemption.rules if r not in rule_ids]
        if unknown:
            out.append(
                _(
                    "Exemption {id} names rules this policy does not have: {rules}. It covers "
                    "nothing for them."
                ).format(id=exemption.id, rules=", ".join(unknown))
            )
    return out


def choose(candidates: Sequence[Exemption]) -> Exemption | None:
    """Of several exemptions, the one to show: the one that lasts longest."""
    return max(candidates, key=lambda e: (e.expires, e.granted, e.id), default=None)
