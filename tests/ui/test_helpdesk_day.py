"""The helpdesk's queue of the day survives a restart: phones signed for earlier today (the
history has their receipts) show as done, are not counted as needing the technician, and
checking them again does not write a new unnamed audit. A phone whose check finds a banned
app again needs the technician as any other."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from pytestqt.qtbot import QtBot

from audit.attestation import Signer, write_receipt
from audit.store import HistoryFilter, Store
from tests.audit.store import factory as f
from tests.ui.drive import start_main_window
from tests.ui.fakes import FeedTracker, Phones, fake_sources
from tests.ui.samples import DAY, phone_scan
from ui.helpdesk import STAGE_WORDS
from ui.main_window import MainWindow

NZ = "nz-parliament-2023"
WAIT = 10_000
ANNA = f.Person("Anna Smith", "S1234")
BEN = f.Person("Ben Clarke", "PS-2001")
TIKTOK = "com.zhiliaoapp.musically"


@pytest.fixture
def history(tmp_path: Path) -> Path:
    """This morning at the bench: P1 and P2 attested (both are still plugged in), P3 attested
    and handed back; yesterday, P4."""
    path = tmp_path / "history.sqlite3"
    signer = Signer.generate()
    receipts = tmp_path / "receipts"
    receipts.mkdir()
    with Store(path) as store:
        for serial, person, day in (
            ("P1", ANNA, DAY),
            ("P2", BEN, DAY),
            ("P3", ANNA, DAY),
            ("P4", BEN, DAY.replace(day=DAY.day - 1)),
        ):
            phone = f.phone(serial)
            before, after, actions = f.audit_inputs(phone, person, f.Outcome.CLEAN, day=day)
            envelope = f.receipt(signer, phone, person, f.Outcome.CLEAN, day=day)
            file = receipts / f"{serial}.json"
            write_receipt(envelope, file)
            store.record_audit(
                [before, after],
                actions,
                person_name=person.name,
                staff_id=person.staff_id,
                technician="Tom Tech",
                envelope=envelope,
                file_name=str(file),
            )
    return path


@pytest.fixture
def window(
    qtbot: QtBot,
    phones: Phones,
    tracker: FeedTracker,
    history: Path,
    keep_alive: list[object],
) -> Iterator[MainWindow]:
    main = MainWindow(
        fake_sources(phones, tracker),
        auto_scan_local=False,
        helpdesk=True,
        today=lambda: DAY,
        history_path=history,
    )
    keep_alive.append(main)
    qtbot.addWidget(main)
    yield start_main_window(qtbot, main, timeout=WAIT, policy=NZ)
    main.shutdown()


def stages(window: MainWindow) -> dict[str, str]:
    assert window.queue_panel is not None
    return {i.serial: STAGE_WORDS[i.stage] for i in window.queue_panel.model.items()}


def audits_of(history: Path, serial: str) -> int:
    with Store(history) as store:
        return store.count(HistoryFilter(device=f"android:{serial}", unnamed_scans=True))


def test_after_a_restart_the_phones_signed_today_are_done_and_not_audited_again(
    qtbot: QtBot, window: MainWindow, phones: Phones, tracker: FeedTracker, history: Path
) -> None:
    clean = phone_scan(serial="P1")
    clean = replace(clean, apps=tuple(a for a in clean.apps if a.identifier != TIKTOK))
    phones.results["P1"] = clean
    phones.results["P2"] = phone_scan(serial="P2")  # TikTok is back on P2
    tracker.put("P1")
    tracker.put("P2")
    tracker.put("P5")  # a new phone of the day, with TikTok
    qtbot.waitUntil(
        lambda: (
            stages(window)
            == {
                "P1": "Attested",
                "P2": "Needs removal",
                "P3": "Attested",
                "P5": "Needs removal",
            }
        ),
        timeout=WAIT,
    )
    model = window.queue_panel.model  # type: ignore[union-attr]
    assert model.item("P1").person == "Anna Smith (S1234)"
    assert model.item("P3").person == "Anna Smith (S1234)"
    assert model.item("P3").phone == "Pixel 7"  # unplugged: named as the history has it
    assert "P4" not in stages(window)  # yesterday's queue is not today's
    assert window.queue_panel.counts.text() == "4 phones: 2 need you, 0 in progress, 2 done"  # type: ignore[union-attr]
    # Every check is written once the history is asked: P2 and P5 got audits, P1 did not.
    qtbot.waitUntil(lambda: audits_of(history, "P5") == 1, timeout=WAIT)
    qtbot.waitUntil(lambda: audits_of(history, "P2") == 2, timeout=WAIT)
    window.recorder.close()
    assert audits_of(history, "P1") == 1  # only this morning's, with its receipt
