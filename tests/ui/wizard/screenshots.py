"""The README's wizard screenshots, taken from the real wizard walking the demo phone.

    QT_QPA_PLATFORM=offscreen python -m tests.ui.wizard.screenshots docs
    QT_QPA_PLATFORM=offscreen python -m tests.ui.wizard.screenshots /tmp/shots --all --helpdesk

Walks the app's own demo phone (audit.demo: in memory, no adb server), with an in-memory
keyring, and saves docs/screenshot-wizard-remove.png (a removal page, before
anything is done) and docs/screenshot-wizard-receipt.png (the saved receipt).

--all also saves every page it passes through, for looking at them: it removes the apps in a
first window, closes it unsigned, and finishes in a second window that carries the removal on.
--helpdesk walks it as a technician; --no-keyring on a computer without a keyring (nothing is
signed then).
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path
from typing import Any

SIZE = (820, 640)


def main(argv: list[str]) -> int:
    out = Path(argv[0] if argv and not argv[0].startswith("-") else "docs")
    every = "--all" in argv
    helpdesk = "--helpdesk" in argv
    no_keyring = "--no-keyring" in argv
    os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")
    home = Path(tempfile.mkdtemp(prefix="device-audit-shots-"))
    os.environ["DEVICE_AUDIT_HOME"] = str(home / "Device Audit")
    os.environ["PYTHON_KEYRING_BACKEND"] = "keyring.backends.fail.Keyring"

    import keyring
    from PySide6.QtCore import QEventLoop
    from PySide6.QtWidgets import QApplication

    from audit import demo
    from audit.policy import evaluate, load_policy
    from audit.sources.android.scan import scan_phone
    from tests.helpers.memkeyring import MemoryKeyring
    from ui.ops import Operations
    from ui.wizard import Pages, RemovalWizard

    if not no_keyring:
        keyring.set_keyring(MemoryKeyring())
    app = QApplication([])
    demo.switch_on()
    ops = Operations()
    prefix = "helpdesk-" if helpdesk else ""

    def wait(condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + 30
        while not condition():
            app.processEvents(QEventLoop.ProcessEventsFlag.AllEvents, 50)
            if time.monotonic() > deadline:
                raise TimeoutError("the wizard did not finish its work in time")

    def settle(wizard: RemovalWizard) -> None:
        wait(lambda: not wizard.busy and not wizard.keyring_checking)
        for _ in range(5):
            app.processEvents()

    def save(wizard: RemovalWizard, name: str, wanted: bool = False) -> None:
        settle(wizard)
        if wanted or every:
            path = out / (f"{name}.png" if wanted else f"{prefix}{name}.png")
            wizard.grab().save(str(path))
            print(f"saved {path}")

    def open_wizard() -> RemovalWizard:
        scan = scan_phone(demo.DEMO_ADDRESS)
        wizard = RemovalWizard(
            None,
            assessment=evaluate(scan, load_policy("us-federal-2023"), day=date(2023, 3, 20)),
            operations=ops,
            helpdesk=helpdesk,
        )
        wizard.resize(*SIZE)
        wizard.show()
        return wizard

    def page(wizard: RemovalWizard) -> Any:
        return wizard.currentPage()

    try:
        wizard = open_wizard()
        save(wizard, "wizard-review")
        wizard.next()
        number = 0
        while wizard.currentId() >= Pages.REMOVE:
            number += 1
            box = next(b for b in page(wizard).panel.step_boxes if b.button.isVisible())
            tiktok = box.step.target.app_name == "TikTok"
            if tiktok and not helpdesk and not no_keyring:
                save(wizard, "screenshot-wizard-remove", True)
            save(wizard, f"wizard-remove-{number}")
            box.button.click()
            save(wizard, f"wizard-remove-{number}-done")
            wizard.next()
        if every:  # close unsigned; a second window carries the removal on
            RemovalWizard.ask_confirm = classmethod(lambda *_a, **_k: True)  # type: ignore[method-assign,assignment]
            wizard.reject()
            wizard = open_wizard()
            save(wizard, "wizard-carried-on")
            while wizard.currentId() != Pages.VERIFY:
                wizard.next()
        save(wizard, "wizard-verify")
        wizard.next()
        save(wizard, "wizard-usb")
        page(wizard).confirmed.setChecked(True)
        wizard.next()
        attest = page(wizard)
        if helpdesk:
            attest.technician.setText("Tom Tech")
        attest.name.setText("Anna Smith")
        attest.staff_id.setText("S1234")
        attest.agree.setChecked(True)
        save(wizard, "wizard-attest")
        wizard.next()
        settle(wizard)
        if no_keyring:
            save(wizard, "wizard-attest-no-keyring")
            return 0
        wait(lambda: wizard.currentId() == Pages.RECEIPT)
        if not helpdesk:
            save(wizard, "screenshot-wizard-receipt", True)
        save(wizard, "wizard-receipt")
    finally:
        demo.switch_off()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
