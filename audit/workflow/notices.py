"""What an audit tells its caller along the way, as plain values.

The workflow never prints and never opens a window: a saved removal continued or set aside, a
history that could not be written, a PDF that was skipped are each a `Notice` handed to the
caller's `Say`. The command line prints them (warnings on stderr with their next step); the
window shows them. So the words are written once, here in the core, for both.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Notice:
    """One thing to tell the person: `warning` when something did not go as it should."""

    text: str
    next_step: str = ""
    warning: bool = False


Say = Callable[[Notice], None]


def say_nothing(_notice: Notice) -> None:
    """A `Say` for callers that show no notices (tests, background checks)."""
