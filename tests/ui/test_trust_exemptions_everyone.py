"""The exemptions tab accepts an exemption for everyone (no person, no device) only when the
helpdesk ticks the box for it on purpose, as `exemption accept --everyone` (audit.store.blanket):
unticked, the file is refused with what it covers and a next step naming the box, not the
command line; the tick holds for one file; it never lets a blanket exemption in. Real widgets
over a real history, offscreen."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest
from PySide6.QtWidgets import QTableWidget
from pytestqt.qtbot import QtBot

from audit.model import Exemption
from audit.store import Store
from tests.audit.store import factory as f
from ui.recorder import AuditRecorder
from ui.trust_window import TrustWindow

WAIT = 10_000
TODAY = date.today()


@pytest.fixture
def window(qtbot: QtBot, recorder: AuditRecorder, keep_alive: list[object]) -> TrustWindow:
    trust = TrustWindow(recorder)
    keep_alive.append(trust)
    qtbot.addWidget(trust)
    trust.resize(1280, 720)
    trust.show()
    trust.tabs.setCurrentIndex(2)
    qtbot.waitUntil(lambda: trust.policies.rowCount() > 0, timeout=WAIT)
    return trust


def _exemption(ident: str, **named: object) -> Exemption:
    return Exemption(
        id=ident,
        reason="Marketing team posts the campaign videos",
        approver="Head of Comms",
        granted=TODAY - timedelta(days=1),
        expires=TODAY + timedelta(days=90),
        **named,  # type: ignore[arg-type]
    )


EVERYONE = _exemption("EX-TEAM", policy=f.POLICY.id, apps=("com.zhiliaoapp.musically",))
BLANKET = _exemption("EX-ALL")


def ids(table: QTableWidget) -> list[str]:
    items = [table.item(row, 0) for row in range(table.rowCount())]
    return ["" if item is None else item.text() for item in items]


def accepted(db: Path) -> set[str]:
    with Store(db) as store:
        return {e.exemption_id for e in store.accepted_exemptions()}


def test_an_exemption_for_everyone_is_accepted_only_with_the_box_ticked(
    qtbot: QtBot, window: TrustWindow, db: Path, tmp_path: Path
) -> None:
    team = f.exemptions_file(tmp_path / "team.toml", EVERYONE)
    tab = window.exemptions
    tab.ask_file = lambda: str(team)  # type: ignore[method-assign]
    tab.by.setText("Helpdesk lead")
    assert not tab.everyone.isChecked()  # never on by default

    tab.accept_button.click()
    qtbot.waitUntil(lambda: "team.toml was not accepted" in window.message.text(), timeout=WAIT)
    words = window.message.text()
    assert "for every person on every device" in words  # what it would have covered
    assert 'tick "Also accept exemptions for everyone"' in words  # this window's way
    assert "--everyone" not in words  # not the command line's
    assert "EX-TEAM" not in accepted(db)
    window.grab().save(str(tmp_path / "refused.png"))  # looked at by hand (1280x720)

    tab.everyone.click()
    assert tab.everyone.isChecked()
    tab.accept_button.click()
    assert not tab.everyone.isChecked()  # on purpose for that one file
    qtbot.waitUntil(lambda: "EX-TEAM" in ids(tab.table), timeout=WAIT)
    assert "EX-TEAM accepted for everyone" in window.message.text()
    assert "EX-TEAM" in accepted(db)
    window.grab().save(str(tmp_path / "everyone.png"))  # looked at by hand


def test_the_tick_holds_for_one_file_only(
    qtbot: QtBot, window: TrustWindow, db: Path, tmp_path: Path
) -> None:
    """A reluctant helpdesk ticks it once for a file it meant; the next file for everyone,
    chosen later, is refused again."""
    meant = f.exemptions_file(tmp_path / "meant.toml", _exemption("EX-ONE", person="PS-1"))
    later = f.exemptions_file(tmp_path / "later.toml", EVERYONE)
    tab = window.exemptions
    tab.by.setText("Helpdesk lead")
    tab.everyone.click()
    tab.ask_file = lambda: str(meant)  # type: ignore[method-assign]
    tab.accept_button.click()
    qtbot.waitUntil(lambda: "EX-ONE accepted" in window.message.text(), timeout=WAIT)
    assert "for everyone" not in window.message.text()  # it names a person
    tab.ask_file = lambda: str(later)  # type: ignore[method-assign]
    tab.accept_button.click()
    qtbot.waitUntil(lambda: "later.toml was not accepted" in window.message.text(), timeout=WAIT)
    assert "EX-TEAM" not in accepted(db)


def test_the_box_never_lets_a_blanket_exemption_in(
    qtbot: QtBot, window: TrustWindow, db: Path, tmp_path: Path
) -> None:
    """A blanket exemption covers every app of every policy: the box for everyone is not the
    command line's --blanket, and its refusal keeps saying so."""
    wide = f.exemptions_file(tmp_path / "wide.toml", BLANKET, EVERYONE)
    tab = window.exemptions
    tab.ask_file = lambda: str(wide)  # type: ignore[method-assign]
    tab.by.setText("Helpdesk lead")
    tab.everyone.click()
    tab.accept_button.click()
    qtbot.waitUntil(lambda: "wide.toml was not accepted" in window.message.text(), timeout=WAIT)
    assert "--blanket" in window.message.text()
    assert not {"EX-ALL", "EX-TEAM"} & accepted(db)
