"""The README's wizard screenshots, taken from the real wizard walking the demo phone.

    QT_QPA_PLATFORM=offscreen python -m tests.ui.wizard.screenshots docs

Runs its own adb server on a private port (as the tests do) and the simulated demo phone, with
an in-memory keyring, and saves docs/screenshot-wizard-remove.png (a removal page, before
anything is done) and docs/screenshot-wizard-receipt.png (the saved receipt). Pass --all to
also save every page it passes through, for looking at them.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

SIZE = (820, 600)


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv and not argv[0].startswith("-") else "docs")
    every = "--all" in argv
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="device-audit-shots-"))
    os.environ["DEVICE_AUDIT_HOME"] = str(home / "Device Audit")

    import keyring
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from audit.phonesim import SimulatedPhone
    from audit.policy import evaluate, load_policy
    from audit.sources.android.scan import scan_phone
    from tests.helpers.memkeyring import MemoryKeyring
    from tests.helpers.phones import start_adb_server, stop_adb_server
    from ui.ops import Operations
    from ui.wizard import Pages, RemovalWizard

    keyring.set_keyring(MemoryKeyring())
    app = QApplication([])
    server = start_adb_server(home)
    phone = SimulatedPhone("demo-phone").start()

    def wait(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if time.monotonic() > deadline:
                raise TimeoutError("the wizard did not finish its work in time")

    def save(wizard: RemovalWizard, name: str, wanted: bool) -> None:
        for _ in range(5):
            app.processEvents()
        if wanted or every:
            path = out / f"{name}.png"
            wizard.grab().save(str(path))
            print(f"saved {path}")

    try:
        server.client().connect(phone.address, timeout=10)
        server.wait_for_state(phone.address, {"device"})
        policy = load_policy("us-federal-2023")
        scan = scan_phone(phone.address, adb_port=server.port)
        wizard = RemovalWizard(
            None,
            assessment=evaluate(scan, policy, day=date(2023, 3, 20)),
            operations=Operations(),
            adb_port=server.port,
        )
        wizard.resize(*SIZE)
        wizard.show()
        save(wizard, "wizard-review", False)
        wizard.next()
        while wizard.currentId() >= Pages.REMOVE:
            page = wizard.currentPage()
            box = next(b for b in page.panel.step_boxes if b.button.isVisible())  # type: ignore[attr-defined]
            tiktok = box.step.target.app_name == "TikTok"
            save(wizard, "screenshot-wizard-remove", tiktok)
            box.button.click()
            wait(lambda: not wizard.busy)
            wizard.next()
        wait(lambda: not wizard.busy)
        save(wizard, "wizard-verify", False)
        wizard.next()
        save(wizard, "wizard-usb", False)
        wizard.currentPage().confirmed.setChecked(True)  # type: ignore[attr-defined]
        wizard.next()
        attest = wizard.currentPage()
        attest.name.setText("Anna Smith")  # type: ignore[attr-defined]
        attest.staff_id.setText("S1234")  # type: ignore[attr-defined]
        attest.agree.setChecked(True)  # type: ignore[attr-defined]
        save(wizard, "wizard-attest", False)
        wizard.next()
        wait(lambda: not wizard.busy and wizard.currentId() == Pages.RECEIPT)
        save(wizard, "screenshot-wizard-receipt", True)
    finally:
        phone.stop()
        stop_adb_server(server)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
