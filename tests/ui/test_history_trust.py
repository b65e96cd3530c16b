"""The history window says what each audit is worth (issue 13 §2, §4): an assurance column
(witnessed, self-attested, not signed) with the trust note when a technician's claim was not
taken, and a details pane with the evidence: receipt, assurance, the policy's id, version and
digest, how the phone was reached, the checks before and after. Real receipts signed with real
keys, imported into a real SQLite history; real widgets offscreen."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from pytestqt.modeltest import ModelTester
from pytestqt.qtbot import QtBot

from audit.attestation import Signer
from audit.store import Store
from tests.audit.store import factory as f
from tests.audit.store.test_trust_attacks import NETWORK, USB, cabled, drop
from ui.history import HistoryColumn, HistoryWindow
from ui.recorder import AuditRecorder

WAIT = 10_000
DAY = date(2023, 3, 28)
WITNESSED = f.Person("Pat Seven", "PS-7000")
POSING = f.Person("Ola Eight", "PS-8000")
NETWORKED = f.Person("Rua Nine", "PS-9000")
HOSTILE_TECHNICIAN = "<b>Sam</b><img src=x>"


@pytest.fixture
def db(tmp_path: Path) -> Path:
    """A witnessed receipt; one naming a technician (with markup in the name) but signed by a
    key nobody enrolled; one signed by the enrolled technician for a phone on the network; and
    a check nobody signed."""
    path = tmp_path / "trust.sqlite3"
    bench, stranger = Signer.generate(), Signer.generate()
    folder = tmp_path / "in"
    drop(
        folder,
        "w.json",
        f.receipt(bench, cabled("W1", USB), WITNESSED, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    drop(
        folder,
        "p.json",
        f.receipt(
            stranger,
            cabled("P1", USB),
            POSING,
            f.Outcome.CLEAN,
            day=DAY,
            technician=HOSTILE_TECHNICIAN,
        ),
    )
    drop(
        folder,
        "n.json",
        f.receipt(
            bench, cabled("N1", NETWORK), NETWORKED, f.Outcome.CLEAN, day=DAY, technician="Sam"
        ),
    )
    with Store(path) as store:
        store.enrol_technician("Sam", bench.fingerprint, by="Lead")
        assert store.import_folder(folder).imported == 3
        before, after, actions = f.audit_inputs(cabled("L1"), f.AROHA, f.Outcome.CLEAN, day=DAY)
        store.record_audit(
            [before, after], actions, person_name=f.AROHA.name, staff_id=f.AROHA.staff_id
        )
    return path


@pytest.fixture
def window(qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]) -> HistoryWindow:
    history = HistoryWindow(recorder, today=lambda: DAY)
    keep_alive.append(history)
    qtbot.addWidget(history)
    history.show()
    qtbot.waitUntil(lambda: history.model.rowCount() == 4, timeout=WAIT)
    return history


def by_staff(window: HistoryWindow) -> dict[str, int]:
    return {r.audit.staff_id: i for i, r in enumerate(window.model.rows)}


def cell(window: HistoryWindow, staff_id: str, column: HistoryColumn, role: int = 0) -> str:
    index = window.model.index(by_staff(window)[staff_id], column)
    return str(index.data(role) or "")


def evidence(qtbot: QtBot, window: HistoryWindow, staff_id: str) -> str:
    audit = window.model.rows[by_staff(window)[staff_id]].audit
    with qtbot.waitSignal(window.detailed, timeout=WAIT):
        assert window.select_audit(audit.id)
    return "\n".join(window.details.texts())


def test_each_audit_says_how_much_its_receipt_is_worth(
    window: HistoryWindow, qtmodeltester: ModelTester
) -> None:
    qtmodeltester.check(window.model)
    assurance = {s: cell(window, s, HistoryColumn.ASSURANCE) for s in by_staff(window)}
    assert assurance == {
        "PS-7000": "Witnessed",
        "PS-8000": "Self-attested (!)",  # names a technician, signed by a key nobody enrolled
        "PS-9000": "Self-attested (!)",  # the enrolled key, but the phone was on the network
        "PS-1042": "Not signed",
    }
    tip = cell(window, "PS-8000", HistoryColumn.ASSURANCE, Qt.ItemDataRole.ToolTipRole)
    assert "is not a technician key this helpdesk enrolled" in tip
    assert "&lt;b&gt;Sam&lt;/b&gt;&lt;img src=x&gt;" in tip  # literal, never rendered
    assert "<img" not in tip
    network = cell(window, "PS-9000", HistoryColumn.ASSURANCE, Qt.ItemDataRole.ToolTipRole)
    assert "not witnessed" in network
    header = window.model.headerData(
        HistoryColumn.ASSURANCE, Qt.Orientation.Horizontal, Qt.ItemDataRole.ToolTipRole
    )
    assert "Witnessed: signed at the helpdesk bench" in header
    assert all(not cell(window, s, HistoryColumn.POLICY_TEXT) for s in by_staff(window))


def test_the_details_show_the_evidence_of_a_witnessed_receipt(
    qtbot: QtBot, window: HistoryWindow
) -> None:
    text = evidence(qtbot, window, "PS-7000")
    assert "Evidence" in window.details.texts()
    assert "Receipt: Attested on " in text and ", imported, signature checked again" in text
    assert "Receipt id " in text
    assert "Assurance: witnessed: signed at the helpdesk bench by an enrolled technician's key" in (
        text
    )
    assert "Policy judged against: nz-parliament-2023, version " in text
    assert f"sha256 {f.POLICY.sha256}" in text
    assert "The version in force now" in text
    assert "Reached: by USB cable (USB port 1-1.2)" in text
    assert "Check before: " in text and "Check after: " in text


def test_the_details_say_why_a_claimed_technician_was_not_taken(
    qtbot: QtBot, window: HistoryWindow
) -> None:
    text = evidence(qtbot, window, "PS-9000")
    assert "Assurance: self-attested: a signed claim by the holder of the key" in text
    assert "not witnessed" in text
    assert "Reached: over the network, not a USB cable (192.168.1.20:5555)" in text
    posing = evidence(qtbot, window, "PS-8000")
    assert f"it names technician {HOSTILE_TECHNICIAN}" in posing  # plain text in a label
    unsigned = evidence(qtbot, window, "PS-1042")
    assert "Receipt: none signed." in unsigned and "Assurance: no signed receipt" in unsigned


def test_an_unsigned_check_the_history_holds_back_says_why(db: Path) -> None:
    """A check nobody signed can still be held (an exemption the history has not accepted):
    the details say why, as they do for a signed one."""
    from dataclasses import replace

    from ui.history_details import assurance_lines

    with Store(db) as store:
        unsigned = next(a for a in store.history() if not a.assurance)
    note = "exemption not accepted by the helpdesk"
    lines = assurance_lines(replace(unsigned, trust_note=note))
    assert lines[0] == "Assurance: no signed receipt"
    assert any(note in line for line in lines[1:])
