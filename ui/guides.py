"""The user guides in resources/guides: how to switch on USB debugging, per phone maker.

The guides are our own Markdown files (trusted, shipped with the app), so they are rendered as
formatted text; nothing from a device or a user's file is ever shown here.

A guide is a page of text, not a catalogue string: each language has its own copy of the files
(resources/guides/fr_CA/), with the phone's own words for its settings in that language, and a
guide not written in a language yet is shown in English rather than not at all.
"""

from __future__ import annotations

from pathlib import Path

from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QTextBrowser,
    QVBoxLayout,
    QWidget,
)

from audit.i18n import N_, _, language
from audit.paths import resource
from audit.sources.android.guidance import phone_maker
from ui.windows import fit_to_screen

# The guide's file name and its title in the list (marked, translated when the list is made; the
# makers' names are names, the same in every language: only the ones with words are marked).
PHONE_GUIDES = (
    ("samsung", "Samsung Galaxy"),
    ("pixel", "Google Pixel"),
    ("xiaomi", N_("Xiaomi, Redmi or POCO")),
    ("oneplus-oppo-realme", N_("OnePlus, OPPO or realme")),
    ("motorola", "Motorola"),
    ("huawei-honor", N_("Huawei or Honor")),
    ("generic", N_("Another make of phone")),
)
OTHER_GUIDES = (
    ("linux-usb-permissions", N_("USB permissions on Linux")),
    ("turn-off", N_("Switch USB debugging off again")),
)
_NAMES_ONLY = frozenset({"samsung", "pixel", "motorola"})


def guide_for(manufacturer: str) -> str:
    """The guide for a phone's maker (the same choice the USB-debugging-off steps make)."""
    return phone_maker(manufacturer)


def guide_text(name: str) -> str:
    """A guide as Markdown; a phone guide ends with the "tap Allow" and "switch off" guides."""
    known = {n for n, _ in PHONE_GUIDES + OTHER_GUIDES}
    if name not in known:
        raise KeyError(name)
    parts = [_guide_file(name).read_text(encoding="utf-8")]
    if name in dict(PHONE_GUIDES):
        for extra in ("allow", "turn-off"):
            parts.append(_guide_file(extra).read_text(encoding="utf-8"))
    return "\n\n".join(parts)


def _guide_file(name: str) -> Path:
    """The guide in the language in use where it is written, else the English one."""
    translated = resource("guides", language(), f"{name}.md")
    return translated if translated.is_file() else resource("guides", f"{name}.md")


class GuideDialog(QDialog):
    def __init__(self, parent: QWidget | None = None, guide: str = "generic") -> None:
        super().__init__(parent)
        self.setWindowTitle(_("How to switch on USB debugging"))
        self.choice = QComboBox(self)
        self.choice.setAccessibleName(_("Phone maker"))
        for name, title in PHONE_GUIDES + OTHER_GUIDES:
            self.choice.addItem(title if name in _NAMES_ONLY else _(title), name)
        chooser = QLabel(_("&Your phone:"), self)
        chooser.setBuddy(self.choice)
        self.text = QTextBrowser(self)
        self.text.setOpenExternalLinks(False)
        self.text.setAccessibleName(_("Guide"))
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
