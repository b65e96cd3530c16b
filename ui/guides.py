"""The user guides in resources/guides: how to switch on USB debugging, per phone maker.

The guides are our own Markdown files (trusted, shipped with the app), so they are rendered as
formatted text; nothing from a device or a user's file is ever shown here.
"""

from __future__ import annotations

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from audit.paths import resource
from audit.sources.android.guidance import phone_maker
from ui.windows import fit_to_screen

PHONE_GUIDES = (
    ("samsung", "Samsung Galaxy"),
    ("pixel", "Google Pixel"),
    ("xiaomi", "Xiaomi, Redmi or POCO"),
    ("oneplus-oppo-realme", "OnePlus, OPPO or realme"),
    ("motorola", "Motorola"),
    ("huawei-honor", "Huawei or Honor"),
    ("generic", "Another make of phone"),
)
OTHER_GUIDES = (
    ("linux-usb-permissions", "USB permissions on Linux"),
    ("turn-off", "Switch USB debugging off again"),
)


def guide_for(manufacturer: str) -> str:
    """The guide for a phone's maker (the same choice the USB-debugging-off steps make)."""
    return phone_maker(manufacturer)


def guide_text(name: str) -> str:
    """A guide as Markdown; a phone guide ends with the "tap Allow" and "switch off" guides."""
    known = {n for n, _ in PHONE_GUIDES + OTHER_GUIDES}
    if name not in known:
        raise KeyError(name)
    parts = [resource("guides", f"{name}.md").read_text(encoding="utf-8")]
    if name in dict(PHONE_GUIDES):
        for extra in ("allow", "turn-off"):
            parts.append(resource("guides", f"{extra}.md").read_text(encoding="utf-8"))
    return "\n\n".join(parts)


class GuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, guide: str = "generic") -> None:
        super().__init__(parent)
        self.setWindowTitle("How to switch on USB debugging")
        self.choice = QComboBox(self)
        self.choice.setAccessibleName("Phone maker")
        for name, title in PHONE_GUIDES + OTHER_GUIDES:
            self.choice.addItem(title, name)
        chooser = QLabel("&Your phone:", self)
        chooser.setBuddy(self.choice)
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(False)
        self.text.setAccessibleName("Guide")
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close, self)
        buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(chooser)
        layout.addWidget(self.choice)
        layout.addWidget(self.text, 1)
        layout.addWidget(buttons)
        self.choice.currentIndexChanged.connect(self._show)
        fit_to_screen(self, 620, 560)
        self.show_guide(guide)

    def show_guide(self, name: str) -> None:
        index = self.choice.findData(name)
        self.choice.setCurrentIndex(index if index >= 0 else self.choice.findData("generic"))
        self._show()

    def current_guide(self) -> str:
        return str(self.choice.currentData())

    def _show(self) -> None:
        self.text.setMarkdown(guide_text(self.current_guide()))
