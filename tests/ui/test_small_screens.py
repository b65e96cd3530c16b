"""Every window fits a laptop screen of 1280×720 or 1366×768, with its title bar, and its
bottom buttons (Back, Next, Close) are inside it.

The test platform's screen is set once per process, so each size runs in a child process of
its own with the offscreen platform given a screen of that size, opening the windows the way
the app does and reporting where each one lies."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CHILD = textwrap.dedent(
    """
    import json, sys
    from PySide6.QtWidgets import QApplication, QWizard
    app = QApplication(["device-audit"])
    from audit import demo
    from audit.policy import evaluate, load_policy
    from audit.sources.android.scan import scan_phone
    from tests.ui.fakes import FeedTracker, Phones, fake_sources
    from ui.dashboard import DashboardWindow
    from ui.history import HistoryWindow
    from ui.main_window import MainWindow
    from ui.ops import Operations
    from ui.receipts_import import ImportWindow
    from ui.windows import FRAME
    from ui.wizard import open_removal_wizard

    main = MainWindow(fake_sources(Phones(), FeedTracker()), auto_scan_local=False)
    main.show()
    demo.switch_on()
    from datetime import date
    nz = load_policy("nz-parliament-2023")
    first = evaluate(scan_phone(demo.DEMO_ADDRESS), nz, day=date(2023, 3, 20))
    wizards = [
        open_removal_wizard(
            main, assessment=first, exemptions=(), person="", operations=main.ops,
            helpdesk=False, on_finished=lambda _path: None, cascade=step,
        )
        for step in range(2)
    ]
    others = {
        "history": HistoryWindow(main.recorder, main),
        "dashboard": DashboardWindow(main.recorder, main),
        "import": ImportWindow(main.recorder, main.recorder.store_path.parent, main),
    }
    for window in others.values():
        window.show()
    app.processEvents()
    screen = app.primaryScreen().availableGeometry()
    report = {"screen": [screen.x(), screen.y(), screen.width(), screen.height()],
              "frame": [FRAME.width(), FRAME.height()], "windows": {}}
    def bottom_of(wizard, which):
        button = wizard.button(which)
        return button.mapTo(wizard, button.rect().bottomLeft()).y()
    for name, window in [("main", main), *[(f"removal {i}", w) for i, w in enumerate(wizards)],
                         *others.items()]:
        g, f = window.geometry(), window.frameGeometry()
        report["windows"][name] = {"rect": [g.x(), g.y(), g.width(), g.height()],
                                   "frame": [f.x(), f.y(), f.width(), f.height()]}
        if name.startswith("removal"):
            report["windows"][name]["buttons"] = max(
                bottom_of(window, b)
                for b in (QWizard.WizardButton.NextButton, QWizard.WizardButton.CancelButton)
            )
    print(json.dumps(report))
    for w in wizards:
        w.busy_with = ""
    main.shutdown()
    """
)


@pytest.mark.parametrize(("width", "height"), [(1280, 720), (1366, 768)])
def test_every_window_and_its_bottom_buttons_fit_the_screen(
    tmp_path: Path, width: int, height: int
) -> None:
    config = tmp_path / "screen.json"
    screen = {"name": "laptop", "x": 0, "y": 0, "width": width, "height": height}
    config.write_text(json.dumps({"screens": [{**screen, "logicalDpi": 96, "dpr": 1}]}))
    env = {
        **os.environ,
        "QT_QPA_PLATFORM": f"offscreen:configfile={config}",
        "DEVICE_AUDIT_HOME": str(tmp_path / "home"),
        "PYTHONPATH": str(ROOT),
    }
    done = subprocess.run(
        [sys.executable, "-c", CHILD],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["screen"] == [0, 0, width, height]
    frame_w, frame_h = report["frame"]
    placed = set()
    for name, window in report["windows"].items():
        _, _, w, h = window["rect"]
        x, y, outer_w, outer_h = window["frame"]
        # The window as the desktop draws it is on the screen, with room for borders and a
        # title bar (bigger than the test platform's) besides.
        assert x >= 0 and y >= 0 and x + outer_w <= width and y + outer_h <= height, name
        assert w + frame_w <= width and h + frame_h <= height, (name, window)
        if "buttons" in window:
            assert window["buttons"] <= h, (name, window)  # Back, Next, Close in sight
            placed.add((x, y))
    assert len(placed) == 2  # the second removal window is not on top of the first
