"""A phone the adb server refuses without a reason ("closed") as its check starts: unplugged
phones are said to be unplugged, and a phone still ready is checked once more."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from audit.errors import Cancelled, DeviceError, DeviceGone, DeviceOffline
from audit.model import ScanResult
from audit.sources.android.scan import settled as scan_settled
from tests.audit.test_inventory import sample_scan

SERIAL = "127.0.0.1:5555"


def scans(*outcomes: ScanResult | BaseException) -> tuple[Callable[[], ScanResult], list[int]]:
    """A scan that gives each outcome in turn; the list counts the calls."""
    calls: list[int] = []

    def scan() -> ScanResult:
        calls.append(1)
        outcome = outcomes[len(calls) - 1]
        if isinstance(outcome, BaseException):
            raise outcome
        return outcome

    return scan, calls


def refused() -> DeviceError:
    return DeviceError(SERIAL, f"The adb server refused the phone {SERIAL}: closed")


def states(*listed: str | None) -> Callable[[], str | None]:
    """The server's answers about the phone, the last one repeated."""
    answers = list(listed)

    def state() -> str | None:
        return answers.pop(0) if len(answers) > 1 else answers[0]

    return state


def test_a_phone_still_ready_after_a_bare_refusal_is_checked_once_more() -> None:
    result = sample_scan()
    scan, calls = scans(refused(), result)
    assert scan_settled(SERIAL, scan, states("device"), lambda: False, settle_s=0.1) is result
    assert len(calls) == 2


@pytest.mark.parametrize("listed", [("device", "offline"), (None,), ("unauthorized",)])
def test_a_phone_no_longer_ready_after_a_bare_refusal_was_unplugged(
    listed: tuple[str | None, ...],
) -> None:
    scan, calls = scans(refused())
    with pytest.raises(DeviceGone) as raised:
        scan_settled(SERIAL, scan, states(*listed), lambda: False, settle_s=5)
    assert len(calls) == 1
    assert raised.value.message == f"The phone {SERIAL} was disconnected as its check began."
    assert "plug the phone in again" in raised.value.next_step


def test_typed_errors_pass_through_without_asking_the_server() -> None:
    asked: list[int] = []

    def state() -> str | None:
        asked.append(1)
        return "device"

    offline = DeviceOffline(SERIAL, "not answering")
    scan, calls = scans(offline)
    with pytest.raises(DeviceOffline):
        scan_settled(SERIAL, scan, state, lambda: False)
    assert not asked and len(calls) == 1


def test_a_second_refusal_is_reported_as_it_is() -> None:
    second = refused()
    scan, _calls = scans(refused(), second)
    with pytest.raises(DeviceError) as raised:
        scan_settled(SERIAL, scan, states("device"), lambda: False, settle_s=0.05)
    assert raised.value is second


def test_a_server_that_cannot_list_phones_keeps_the_first_words() -> None:
    first = refused()
    scan, _calls = scans(first)

    def broken() -> str | None:
        raise OSError("connection refused")

    with pytest.raises(DeviceError) as raised:
        scan_settled(SERIAL, scan, broken, lambda: False)
    assert raised.value is first


def test_cancel_while_settling_stops_without_a_second_scan() -> None:
    scan, calls = scans(refused(), sample_scan())
    with pytest.raises(Cancelled):
        scan_settled(SERIAL, scan, states("device"), lambda: True, settle_s=5)
    assert len(calls) == 1
