"""Pictures of the helpdesk screens, made from the real app against simulated phones.

    Xvfb :99 -screen 0 1400x900x24 &
    DISPLAY=:99 python -m tests.ui.make_screenshots [OUT_DIR]

Writes helpdesk.png (the queue with phones in different stages), dashboard.png, history.png
and import.png into OUT_DIR (default docs/, as screenshot-*.png for the first two). Everything
runs in a temporary data folder with a private adb server and an in-memory keyring: nothing of
the user's is read or written. A script, not a test: it waits by polling the event loop.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2023, 3, 20)
TIMEOUT_S = 60.0


def wait_until(app: object, condition: Callable[[], bool], what: str) -> None:
    deadline = time.monotonic() + TIMEOUT_S
    while not condition():
        app.processEvents()  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.01)


def settle(app: object, seconds: float = 0.4) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()  # type: ignore[attr-defined]
        time.sleep(0.01)


def main(out: Path) -> None:
    home = Path(tempfile.mkdtemp(prefix="device-audit-shots-"))
    os.environ["DEVICE_AUDIT_HOME"] = str(home / "data")
    import keyring
    from PySide6.QtWidgets import QApplication

    from tests.helpers.memkeyring import MemoryKeyring
    from tests.helpers.phones import start_adb_server, stop_adb_server
    from tests.phonesim import SimulatedPhone
    from ui import settings
    from ui.helpdesk import STAGE_WORDS
    from ui.main_window import MainWindow
    from ui.sources import real_sources
    from ui.wizard import Pages

    keyring.set_keyring(MemoryKeyring())
    app = QApplication(["device-audit"])
    app.setApplicationDisplayName("Device Audit")
    if os.environ.get("DEVICE_AUDIT_DARK"):  # to look at the screens on a dark palette
        dark(app)
    settings.configure()
    server = start_adb_server(home)
    phones: list[SimulatedPhone] = []
    try:
        window = MainWindow(
            real_sources(server.port),
            auto_scan_local=False,
            helpdesk=True,
            today=lambda: DAY,
            receipts_dir=home / "receipts",
        )
        window.resize(1400, 900)
        window.show()
        window.start()
        wait_until(app, lambda: bool(window.presets), "policies")
        window.choose_policy("nz-parliament-2023")
        wait_until(app, lambda: window.policy is not None, "the policy")

        def stage(serial: str) -> str:
            item = window.queue_panel.model.item(serial)
            return STAGE_WORDS[item.stage] if item is not None else ""

        def plug(profile: str, **options: object) -> str:
            phone = SimulatedPhone(profile, **options).start()
            phones.append(phone)
            server.client().connect(phone.address, timeout=10)
            return phone.address

        def forward(wizard: object, page: int) -> None:
            from tests.ui.wizard.drive import forward_button

            forward_button(wizard).click()  # type: ignore[arg-type]
            wait_until(app, lambda: wizard.currentId() == page, f"page {page}")  # type: ignore[attr-defined]

        def remove_all(wizard: object) -> None:
            from tests.ui.wizard.drive import open_box, remove_page

            for _ in wizard.remove_ids:  # type: ignore[attr-defined]
                forward(wizard, wizard.currentPage().nextId())  # type: ignore[attr-defined]
                open_box(remove_page(wizard)).button.click()  # type: ignore[arg-type]
                wait_until(app, lambda: not wizard.busy, "a removal")  # type: ignore[attr-defined]
            forward(wizard, Pages.VERIFY)
            wait_until(app, lambda: not wizard.busy, "the check")  # type: ignore[attr-defined]

        first = plug("samsung-work-profile")
        wait_until(app, lambda: stage(first) == "Needs removal", "the first phone")
        wizard = window.open_wizard(first)
        remove_all(wizard)
        forward(wizard, Pages.USB_DEBUGGING)
        wizard.currentPage().confirmed.setChecked(True)
        forward(wizard, Pages.ATTEST)
        page = wizard.currentPage()
        page.technician.setText("Sam Tech")
        page.name.setText("Aroha Ngata")
        page.staff_id.setText("PS-1042")
        page.agree.setChecked(True)
        forward(wizard, Pages.RECEIPT)
        wizard.accept()
        wait_until(app, lambda: stage(first) == "Attested", "the attestation")

        second = plug("pixel-tiktok-lite")
        wait_until(app, lambda: stage(second) == "Needs removal", "the second phone")
        second_wizard = window.open_wizard(second)
        remove_all(second_wizard)
        second_wizard.hide()
        wait_until(app, lambda: stage(second) == "Verified", "the second check")

        third = plug("oem-preinstalled-tiktok")
        wait_until(app, lambda: stage(third) == "Needs removal", "the third phone")
        fourth = plug("samsung-secure-folder", latency_ms=20_000)
        wait_until(app, lambda: stage(fourth) == "Checking…", "the fourth phone")
        window.queue_panel.select(third)
        window.queue_panel.view.setFocus()
        settle(app, 1.0)
        window.grab().save(str(out / "screenshot-helpdesk.png"))

        history = window.show_history()
        history.resize(1200, 760)
        wait_until(app, lambda: history.model.rowCount() >= 3, "the history")
        history.select_audit(history.model.rows[-1].audit.id)
        wait_until(app, lambda: history.details.details is not None, "an audit")
        settle(app)
        history.grab().save(str(out / "history.png"))

        dashboard_shot(app, home, out)
        import_shot(app, home, window, out)
        second_wizard.close()
        window.close()
    finally:
        for phone in phones:
            phone.stop()
        stop_adb_server(server)
        shutil.rmtree(home, ignore_errors=True)


def dark(app: object) -> None:
    from PySide6.QtGui import QColor, QPalette

    app.setStyle("Fusion")  # type: ignore[attr-defined]
    palette = QPalette()
    role = QPalette.ColorRole
    for which, colour in (
        (role.Window, "#2b2b2b"),
        (role.WindowText, "#e8e8e8"),
        (role.Base, "#1e1e1e"),
        (role.AlternateBase, "#2a2a2a"),
        (role.Text, "#e8e8e8"),
        (role.Button, "#353535"),
        (role.ButtonText, "#e8e8e8"),
        (role.Highlight, "#3d6fb4"),
        (role.HighlightedText, "#ffffff"),
        (role.Mid, "#555555"),
    ):
        palette.setColor(which, QColor(colour))
    app.setPalette(palette)  # type: ignore[attr-defined]


def dashboard_shot(app: object, home: Path, out: Path) -> None:
    """A policy's dashboard over a busier history: 40 people audited over 30 days."""
    from audit.store import Store
    from tests.audit.store import factory as f
    from ui.dashboard import DashboardWindow
    from ui.recorder import AuditRecorder

    path = home / "office.sqlite3"
    outcomes = [f.Outcome.CLEAN] * 5 + [f.Outcome.VIOLATION] * 2 + [f.Outcome.EXCEPTED]
    outcomes += [f.Outcome.INCOMPLETE]
    first_day = DAY - timedelta(days=24)
    with Store(path) as store:
        for n in range(40):
            person = f.Person(f"Staff member {n + 1}", f"PS-{1000 + n}")
            outcome = outcomes[(n * 7) % len(outcomes)]
            day = first_day + timedelta(days=(n * 11) % 30)
            before, after, actions = f.audit_inputs(
                f.phone(f"SER{n:03d}", f"Phone {n + 1}"),
                person,
                outcome,
                day=day,
                exemption_expires=day + timedelta(days=14 + n % 20),
            )
            store.record_audit(
                [before, after], actions, person_name=person.name, staff_id=person.staff_id
            )
    from ui.ops import Operations

    ops = Operations()
    recorder = AuditRecorder(ops, path)
    dashboard = DashboardWindow(recorder, policy_id=f.POLICY.id, today=lambda: DAY + timedelta(6))
    dashboard.resize(1200, 860)
    dashboard.show()
    wait_until(app, lambda: dashboard.counts is not None, "the dashboard")
    dashboard.list_people("non_compliant")
    wait_until(app, lambda: dashboard.people.rowCount() > 0, "the people")
    settle(app, 1.0)
    dashboard.grab().save(str(out / "screenshot-dashboard.png"))
    dashboard.close()
    recorder.close()
    ops.shutdown()


def import_shot(app: object, home: Path, window: object, out: Path) -> None:
    """The import report: a good receipt, a duplicate, a tampered file, a changed key."""
    from audit.attestation import Signer, write_receipt
    from audit.store import Store
    from tests.audit.store import factory as f
    from ui.receipts_import import ImportWindow

    folder = home / "from-staff"
    folder.mkdir()
    first = home / "aroha-earlier.json"
    clean = f.Outcome.CLEAN
    write_receipt(f.receipt(Signer.generate(), f.phone("A1"), f.AROHA, clean, day=DAY), first)
    with Store(window.recorder.store_path) as store:  # type: ignore[attr-defined]
        store.import_files([first])
    shutil.copy(first, folder / "aroha-again.json")
    good = folder / "ben.json"
    excepted = f.Outcome.EXCEPTED
    write_receipt(f.receipt(Signer.generate(), f.phone("B1"), f.BEN, excepted, day=DAY), good)
    data = bytearray(good.read_bytes())
    data[len(data) // 3] ^= 1
    (folder / "ben-edited.json").write_bytes(bytes(data))
    write_receipt(
        f.receipt(Signer.generate(), f.phone("A2"), f.AROHA, f.Outcome.CLEAN, day=DAY),
        folder / "aroha-new-phone.json",
    )
    report = ImportWindow(window.recorder, folder, window)  # type: ignore[attr-defined, arg-type]
    report.resize(1100, 560)
    report.show()
    report.start()
    wait_until(app, lambda: report.report is not None, "the import")
    settle(app)
    report.grab().save(str(out / "import.png"))
    report.close()


if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "docs")
