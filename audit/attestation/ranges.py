"""The range every number and time in a signed receipt must fall in.

A signature proves only that a key signed the content; anyone can make a key, so an integer of
2^70 or the time 0001-01-01 is as possible in a "valid" receipt as in any file. Such values
crashed the history (SQLite holds 64-bit integers; year 1 cannot move to UTC) and lost a whole
import batch, so they are refused where the receipt is read, with the field named.

The ranges are wide: no real receipt comes near their ends, and a time outside them is a clock
or a forger, not an audit.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from audit.i18n import N_, _

EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2200, 1, 1, tzinfo=UTC)
FIRST_DAY = EARLIEST.date()
LAST_DAY = date(2199, 12, 31)

# JSON's safe integers (what every reader of the receipt, in any language, gets exactly)
MAX_INTEGER = 2**53 - 1
MAX_DIGITS = len(str(MAX_INTEGER))  # an integer literal longer than this is out of range
MAX_COUNT = 10_000_000  # apps on one device, and any other count a receipt holds
MAX_SDK = 10_000  # Android API levels are two digits today

SPAN = N_("between the years 2000 and 2199")  # marked: translated where it is shown

# How far ahead of this computer's clock a receipt may be dated: clocks a day apart (a wrong
# time zone setting) are common and harmless; a receipt from further ahead is refused by the
# import and not valid for verify.
CLOCK_SKEW = timedelta(hours=24)
SKEW_WORDS = N_("a day")  # marked: translated where it is shown


class OutOfRange(Exception):
    """A number in a receipt's JSON beyond the safe integers, with where it is."""

    def __init__(self, where: str, literal: str) -> None:
        shown = literal
        if len(literal) > 30:
            shown = _("{start}… ({count} digits)").format(start=literal[:12], count=len(literal))
        super().__init__(
            _("'{where}' is {value}, larger than any number a receipt holds").format(
                where=where, value=shown
            )
        )


class _TooBig:
    """What an out-of-range integer parses to, so that its place can be named."""

    __slots__ = ("literal",)

    def __init__(self, literal: str) -> None:
        self.literal = literal


def loads_in_range(text: bytes | str) -> Any:
    """json.loads, raising OutOfRange for an integer beyond the safe integers (2^53). Costs
    nothing more for a receipt without one: the place is looked for only when there is one."""
    found: list[_TooBig] = []

    def parse_int(literal: str) -> int | _TooBig:
        if len(literal.lstrip("-")) > MAX_DIGITS or abs(value := int(literal)) > MAX_INTEGER:
            found.append(_TooBig(literal))
            return found[-1]
        return value

    data = json.loads(text, parse_int=parse_int)
    if found:
        try:
            where = _place(data, found[0])
        except RecursionError:
            where = ""
        raise OutOfRange(where or _("a number"), found[0].literal)
    return data


def _place(data: Any, target: _TooBig, where: str = "") -> str:
    if data is target:
        return where or _("the content")
    children: Any = ()
    if isinstance(data, dict):
        children = data.items()
    elif isinstance(data, list):
        children = enumerate(data)
    for key, value in children:
        path = f"{where}[{key}]" if isinstance(key, int) else f"{where}.{key}" if where else key
        if found := _place(value, target, path):
            return found
    return ""


def time_in_range(value: datetime) -> bool:
    return EARLIEST <= value < LATEST


def day_in_range(value: date) -> bool:
    return FIRST_DAY <= value <= LAST_DAY
