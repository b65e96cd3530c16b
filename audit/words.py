"""The words for a device's status, in one place (issue 17: they were defined five times).

Every screen, the CLI, the receipt and the PDF name a status through these three functions, so
"Not compliant" reads the same everywhere, in every language. The stored and signed codes
(`compliant`, `non_compliant`, ...) are never translated; only these words are.
"""

from __future__ import annotations

from audit.i18n import N_, _
from audit.model import DeviceStatus

# A label: a table cell, a tile, a badge.
_LABELS = {
    DeviceStatus.COMPLIANT: N_("Compliant"),
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: N_("Compliant with exceptions"),
    DeviceStatus.NON_COMPLIANT: N_("Not compliant"),
    DeviceStatus.OVERDUE: N_("Overdue"),
    DeviceStatus.INCOMPLETE: N_("Incomplete"),
}

# A sentence's words: what a status means, for a person reading a receipt or a summary.
_MEANINGS = {
    DeviceStatus.COMPLIANT: N_("Compliant"),
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: N_("Compliant with exceptions"),
    DeviceStatus.NON_COMPLIANT: N_("Not compliant"),
    DeviceStatus.OVERDUE: N_("Not compliant, deadline passed"),
    DeviceStatus.INCOMPLETE: N_("Incomplete: the device could not be fully checked"),
}

# Inside a sentence, after other words: "{who}: still {status}", "{before} under version 1 →
# {after} under version 2" (the re-judgement's report, audit.store.rejudge).
_IN_SENTENCE = {
    DeviceStatus.COMPLIANT: N_("compliant"),
    DeviceStatus.COMPLIANT_WITH_EXCEPTIONS: N_("compliant with exceptions"),
    DeviceStatus.INCOMPLETE: N_("incomplete (the scan could not see everything)"),
    DeviceStatus.NON_COMPLIANT: N_("not compliant"),
    DeviceStatus.OVERDUE: N_("not compliant, past the deadline"),
}


def status_label(status: DeviceStatus) -> str:
    """ "Compliant", "Not compliant", "Overdue": short, for a cell or a badge."""
    return _(_LABELS[status])


def status_meaning(status: DeviceStatus) -> str:
    """ "Not compliant, deadline passed": what the status means, for a receipt or a summary."""
    return _(_MEANINGS[status])


def status_code_label(code: str) -> str:
    """The label of a status stored or signed as its code ("non_compliant"); an unknown code
    (a newer tool's) is shown as it is, never guessed."""
    try:
        return status_label(DeviceStatus(code))
    except ValueError:
        return code


def status_in_sentence(status: DeviceStatus, *, translated: bool = True) -> str:
    """ "not compliant, past the deadline": the status inside a sentence, in lower case. With
    `translated=False`, the English words, for text the history stores and its export carries as
    it is (a re-judged audit's trust note): stored text never depends on who wrote it."""
    words = _IN_SENTENCE[status]
    return _(words) if translated else words
