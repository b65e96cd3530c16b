"""Writing inventory files quickly (issue 15) without changing what they say.

The writer lays the file out one line per app instead of `json.dumps(indent=2)`'s twenty; the
document is the same JSON, every reader reads it, and files written the old way still read.
Garbage collection is paused while the rows are built, and always comes back as it was.
"""

from __future__ import annotations

import gc
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import inventory
from audit.errors import InventoryFileError
from audit.model import (
    AppId,
    AppState,
    Device,
    DeviceKind,
    IdentifierKind,
    InstalledApp,
    RunningProcess,
    ScanResult,
    SourceReport,
    SourceStatus,
    UserKind,
    UserProfile,
)

T0 = datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
# What a hostile phone may name things: line breaks, quotes, escapes, a line separator that
# some tools split on, right-to-left overrides, terminal escapes, and text that looks like JSON.
HOSTILE = [
    'Tik"Tok',
    "Tik\nTok",
    "a\\b",
    "x\u2028y\u2029z",
    "\u202eevil",
    "\x1b[2Jcleared",
    '"}, {"identifier": "fake"',
    "",
    "🙂 emoji",
]


def scan_with(names: list[str]) -> ScanResult:
    device = Device("android:R58M", DeviceKind.ANDROID, names[0] if names else "", serial="R58M")
    apps = tuple(
        InstalledApp(
            identifier=f"com.example.app{n}",
            kind=IdentifierKind.ANDROID_PACKAGE,
            name=name,
            version=name,
            user="10",
            state=AppState.DISABLED if n % 2 else AppState.INSTALLED,
            installed_at=T0,
            other_ids=(AppId(IdentifierKind.DOMAIN, name),),
            state_confirmed=n % 3 == 0,
        )
        for n, name in enumerate(names)
    )
    return ScanResult(
        device,
        T0,
        T0,
        apps=apps,
        users=(UserProfile("10", "Work", UserKind.WORK_PROFILE),),
        processes=(RunningProcess(1, "init"),),
        sources=(SourceReport("pm", SourceStatus.OK, "", len(apps)),),
    )


def test_a_hostile_phones_names_read_back_exactly() -> None:
    scan = scan_with(HOSTILE)
    text = inventory.dumps(scan)
    assert inventory.loads(text) == scan
    # the same JSON document as before, only laid out differently
    assert json.loads(text) == inventory.scan_to_dict(scan)


def test_each_app_is_one_line_that_is_json_by_itself() -> None:
    """One app per line: grep finds an app's whole record, diff shows one line per change; no
    text a phone sends can break a record over two lines or pass for another record."""
    scan = scan_with(HOSTILE)
    lines = [line.strip().rstrip(",") for line in inventory.dumps(scan).split("\n")]
    app_lines = [line for line in lines if line.startswith('{"identifier": ')]
    assert [json.loads(line) for line in app_lines] == [inventory.app_to_dict(a) for a in scan.apps]


def test_files_written_the_old_way_still_read() -> None:
    scan = scan_with(HOSTILE)
    old = json.dumps(inventory.scan_to_dict(scan), indent=2, ensure_ascii=False) + "\n"
    assert inventory.loads(old) == scan


def test_saved_file_is_the_text_and_loads(tmp_path: Path) -> None:
    scan = scan_with(HOSTILE)
    inventory.save(scan, tmp_path / "phone.json")
    assert (tmp_path / "phone.json").read_text(encoding="utf-8") == inventory.dumps(scan)
    assert inventory.load(tmp_path / "phone.json") == scan


def test_an_empty_scan_is_a_valid_file() -> None:
    scan = ScanResult(Device("local:x", DeviceKind.COMPUTER, "pc"), T0, T0)
    assert inventory.loads(inventory.dumps(scan)) == scan


_TEXT = st.text(st.characters(exclude_categories=["Cs"]), max_size=40)


@settings(max_examples=150, deadline=None)
@given(st.lists(_TEXT, max_size=8))
def test_any_names_round_trip(names: list[str]) -> None:
    scan = scan_with(names)
    text = inventory.dumps(scan)
    assert inventory.loads(text) == scan
    assert json.loads(text) == inventory.scan_to_dict(scan)


# --- garbage collection ---------------------------------------------------------------------


@pytest.fixture
def gc_restored() -> Iterator[None]:
    was = gc.isenabled()
    yield
    (gc.enable if was else gc.disable)()


@pytest.mark.usefixtures("gc_restored")
def test_gc_is_paused_while_writing_and_back_after() -> None:
    gc.enable()
    seen = []
    with inventory.paused_gc():
        seen.append(gc.isenabled())
        with inventory.paused_gc():  # nested: the inner one must not turn it back on
            pass
        seen.append(gc.isenabled())
    assert seen == [False, False]
    assert gc.isenabled()


@pytest.mark.usefixtures("gc_restored")
def test_gc_switched_off_by_the_program_stays_off() -> None:
    gc.disable()
    inventory.dumps(scan_with(HOSTILE))
    assert not gc.isenabled()


@pytest.mark.usefixtures("gc_restored")
def test_gc_comes_back_when_the_work_fails() -> None:
    gc.enable()
    with pytest.raises(ValueError), inventory.paused_gc():
        raise ValueError("a failed write")
    assert gc.isenabled()
    with pytest.raises(InventoryFileError):
        inventory.loads("{not json")
    assert gc.isenabled()


@pytest.mark.usefixtures("gc_restored")
def test_gc_stays_paused_until_the_last_thread_is_done() -> None:
    """Phones written side by side: the first writer to finish must not turn collection back
    on under the others, and the last one must."""
    gc.enable()
    inside = threading.Barrier(4, timeout=30)
    leave = threading.Event()
    paused_while_others_work: list[bool] = []

    def writer(last: bool) -> None:
        with inventory.paused_gc():
            inside.wait()
            if not last:
                return
            leave.wait(timeout=30)
            paused_while_others_work.append(not gc.isenabled())

    threads = [threading.Thread(target=writer, args=(n == 0,)) for n in range(3)]
    for thread in threads:
        thread.start()
    inside.wait()  # all three are inside
    for thread in threads[1:]:
        thread.join(timeout=30)
    leave.set()
    threads[0].join(timeout=30)
    assert paused_while_others_work == [True]
    assert gc.isenabled()
