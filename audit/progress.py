"""The contract long-running work in `audit` offers to its callers.

Work takes a progress callback and a cancel check instead of knowing about threads or Qt; the UI's
background helper adapts both to signals. Cancelling is cooperative: the work checks between steps
and raises `Cancelled`, which callers treat as silence, not as an error.
"""

from __future__ import annotations

from collections.abc import Callable

from audit.errors import Cancelled

Progress = Callable[[float, str], None]
"""Called with a fraction done (0.0 to 1.0) and a sentence saying what is happening now."""

CancelCheck = Callable[[], bool]
"""Returns True once the caller wants the work to stop."""


def no_progress(fraction: float, message: str) -> None:
    """A progress callback for callers that do not show progress."""


def never_cancelled() -> bool:
    return False


def raise_if_cancelled(cancelled: CancelCheck) -> None:
    if cancelled():
        raise Cancelled()
