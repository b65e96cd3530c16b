"""The main window's actions, toolbar and menus: their words, shortcuts and tips, in one place,
and the Help menu's windows (guides, the log folder, About), which need nothing of the rest.

Split out of ui/main_window.py, which connects each action to what it does (`_connect_actions`)
and wires the controllers; here is only what the person sees and presses. Every action is added
to the window, so its shortcut works wherever the focus is in it.
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, QUrl, Slot
from PySide6.QtGui import QAction, QDesktopServices, QKeySequence
from PySide6.QtWidgets import QComboBox, QMainWindow, QMessageBox, QToolButton

from audit.i18n import _
from ui.errors import log_file
from ui.plain import label


class MainWindowBase(QMainWindow):
    """The window with its actions and menus, before anything is connected to them."""

    def _action(self, text: str, shortcut: Any = None, tip: str = "") -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(QKeySequence(shortcut))
        if tip:
            action.setToolTip(tip)
            action.setStatusTip(tip)
        self.addAction(action)
        return action

    def _build_actions(self) -> None:
        key = QKeySequence.StandardKey
        self.scan_action = self._action(
            _("&Scan"), "F5", _("List the apps on the selected device (F5)")
        )
        self.cancel_action = self._action(
            _("S&top"), "Esc", _("Stop checking the selected device (Esc)")
        )
        self.cancel_action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
        self.remove_action = self._action(_("&Remove…"), "Ctrl+R")
        self.attest_action = self._action(_("&Attest…"), "Ctrl+Shift+A")
        self.export_action = self._action(
            _("&Export inventory…"),
            "Ctrl+E",
            _("Save the list of apps on the selected device as a JSON inventory file"),
        )
        self.export_audits_action = self._action(
            _("Export a&udits for the compliance office…"),
            "Ctrl+Shift+E",
            _(
                "Save one row per person's device, with its result, dates, exemption and receipt, "
                "as CSV or JSON"
            ),
        )
        self.import_action = self._action(
            _("&Import receipts…"),
            "Ctrl+I",
            _(
                "Check and add the signed receipts in a folder (staff made them on their own "
                "computers) to the history"
            ),
        )
        self.history_action = self._action(
            _("&History"), "Ctrl+H", _("Every audit made or imported, searchable")
        )
        self.dashboard_action = self._action(
            _("&Dashboard"),
            "Ctrl+Shift+D",
            _("Who is compliant, overdue or excepted under a policy, with a chart"),
        )
        self.helpdesk_action = self._action(
            _("Helpdesk &mode"),
            "Ctrl+Shift+H",
            _("A queue of the phones plugged in at the bench, each checked at once"),
        )
        self.helpdesk_action.setCheckable(True)
        self.queue_focus_action = self._action(
            _("Go to the &queue"), "F6", _("Move to the list of phones (F6)")
        )
        self.queue_next_action = self._action(
            _("&Next phone that needs me"),
            "F7",
            _("Select the next phone in the queue that needs you (F7)"),
        )
        self.queue_previous_action = self._action(
            _("&Previous phone that needs me"),
            "Shift+F7",
            _("Select the previous phone in the queue that needs you (Shift+F7)"),
        )
        self.open_policy_action = self._action(
            _("&Open policy file…"), key.Open, _("Use a policy file")
        )
        self.exemptions_action = self._action(
            _("Load e&xemptions file…"),
            "Ctrl+Shift+O",
            _("Load the exemptions your organisation granted"),
        )
        self.find_action = self._action(_("&Find app"), key.Find)
        self.quit_action = self._action(_("&Quit"), key.Quit)
        # Audits kept on this computer while the team history was away (ui.outbox_badge).
        self.send_now_action = self._action(_("Send now"))
        self.send_now_action.setObjectName("sendNowAction")
        self.send_now_action.setEnabled(False)
        self.demo_action = self._action(
            _("Try the &demo phone"),
            "Ctrl+D",
            _("Add a SIMULATED phone, to try Device Audit without a real one"),
        )
        self.demo_action.setCheckable(True)
        self.guide_action = self._action(_("How to switch on &USB debugging"), key.HelpContents)
        self.turn_off_action = self._action(_("Switch USB debugging &off again"))
        self.udev_action = self._action(_("USB permissions on &Linux"))
        self.log_action = self._action(_("Open the &log folder"))
        self.about_action = self._action(_("&About Device Audit"))

    def _build_toolbar(self, policy_box: QComboBox) -> None:
        # Translators: the main toolbar's name (a right click on the toolbar shows it)
        toolbar = self.addToolBar(_("Main"))
        toolbar.setObjectName("mainToolbar")
        toolbar.setMovable(False)
        toolbar.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        policy_label = label(_("&Policy:"), self, wrap=False, selectable=False)
        policy_label.setTextFormat(Qt.TextFormat.PlainText)
        policy_label.setBuddy(policy_box)
        toolbar.addWidget(policy_label)
        toolbar.addWidget(policy_box)
        toolbar.addAction(self.exemptions_action)
        toolbar.addSeparator()
        for action in (
            self.scan_action,
            self.cancel_action,
            self.remove_action,
            self.attest_action,
            self.export_action,
        ):
            toolbar.addAction(action)
        for button in toolbar.findChildren(QToolButton):
            if button.defaultAction() is not None:
                button.setAccessibleName(button.defaultAction().text().replace("&", ""))

    def _build_menus(self) -> None:
        bar = self.menuBar()
        file_menu = bar.addMenu(_("&File"))
        file_menu.addAction(self.open_policy_action)
        file_menu.addAction(self.exemptions_action)
        file_menu.addSeparator()
        file_menu.addAction(self.export_action)
        file_menu.addAction(self.export_audits_action)
        file_menu.addAction(self.import_action)
        from ui import team_history
        from ui.trust_window import install_menu  # Accept policy…, Technician keys…

        install_menu(self, file_menu)
        team_history.install_menu(self, file_menu)  # Team history… (issue 18)
        file_menu.addAction(self.send_now_action)  # the audits waiting on this computer
        file_menu.addSeparator()
        file_menu.addAction(self.quit_action)
        device_menu = bar.addMenu(_("&Device"))
        for action in (
            self.scan_action,
            self.cancel_action,
            self.remove_action,
            self.attest_action,
        ):
            device_menu.addAction(action)
        view_menu = bar.addMenu(_("&View"))
        view_menu.addAction(self.find_action)
        view_menu.addSeparator()
        view_menu.addAction(self.history_action)
        view_menu.addAction(self.dashboard_action)
        view_menu.addSeparator()
        view_menu.addAction(self.helpdesk_action)
        view_menu.addAction(self.queue_focus_action)
        view_menu.addAction(self.queue_next_action)
        view_menu.addAction(self.queue_previous_action)
        help_menu = bar.addMenu(_("&Help"))
        help_menu.addAction(self.demo_action)
        help_menu.addSeparator()
        help_menu.addAction(self.guide_action)
        help_menu.addAction(self.turn_off_action)
        help_menu.addAction(self.udev_action)
        help_menu.addSeparator()
        help_menu.addAction(self.log_action)
        help_menu.addAction(self.about_action)

    # --- help -------------------------------------------------------------------------------

    def show_guide(self, guide: str) -> None:
        from ui.guides import GuideDialog, guide_for

        dialog = GuideDialog(self, guide or guide_for(""))
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        dialog.open()

    @Slot(str)
    def _on_guide_requested(self, manufacturer: str) -> None:
        from ui.guides import guide_for

        self.show_guide(guide_for(manufacturer))

    def _open_log_folder(self) -> None:
        QDesktopServices.openUrl(QUrl.fromLocalFile(str(log_file().parent)))

    def _about(self) -> None:
        from audit import __version__
        from audit.version import UNKNOWN

        box = QMessageBox(self)
        box.setObjectName("aboutBox")
        box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        box.setWindowTitle(_("About Device Audit"))
        box.setTextFormat(Qt.TextFormat.PlainText)
        # The version is signed into every receipt: a copy that cannot tell its own says so.
        which = (
            _(
                "Version unknown: this copy was made without its git history, so its receipts "
                "say {version}."
            ).format(version=UNKNOWN)
            if __version__ == UNKNOWN
            else _("Version {version}").format(version=__version__)
        )
        does = _(
            "Finds banned apps on this computer and on Android phones, explains why they are "
            "banned, and what to do next."
        )
        box.setText(f"Device Audit\n{which}\n\n{does}")
        box.open()
