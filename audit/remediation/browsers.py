"""How to uninstall a web app in the browser that installed it, step by step.

A web app belongs to its browser: deleting its launcher leaves the app registered in the browser
(which puts the launcher back), so the person removes it where the browser lists it. The
collectors name the browser in InstalledApp.installer ("Google Chrome web app").
"""

from __future__ import annotations

from dataclasses import dataclass

from audit.i18n import _


@dataclass(frozen=True)
class Browser:
    name: str
    family: str  # chromium | edge | epiphany | firefoxpwa | safari | unknown
    apps_page: str = ""  # the browser's own list of installed apps


_BROWSERS: tuple[tuple[str, Browser], ...] = (
    ("microsoft edge", Browser("Microsoft Edge", "edge", "edge://apps")),
    ("edge", Browser("Microsoft Edge", "edge", "edge://apps")),
    ("google chrome", Browser("Google Chrome", "chromium", "chrome://apps")),
    ("chrome", Browser("Google Chrome", "chromium", "chrome://apps")),
    ("chromium", Browser("Chromium", "chromium", "chrome://apps")),
    ("brave", Browser("Brave", "chromium", "brave://apps")),
    ("vivaldi", Browser("Vivaldi", "chromium", "vivaldi://apps")),
    ("opera", Browser("Opera", "chromium", "")),
    ("pwasforfirefox", Browser("Firefox (PWAsForFirefox)", "firefoxpwa")),
    ("firefox", Browser("Firefox (PWAsForFirefox)", "firefoxpwa")),
    ("gnome web", Browser("GNOME Web", "epiphany", "about:applications")),
    ("epiphany", Browser("GNOME Web", "epiphany", "about:applications")),
    ("safari", Browser("Safari", "safari")),
)


def browser_of(installer: str) -> Browser:
    """The browser named in an installer text such as 'Google Chrome web app (HKCU)'."""
    text = installer.casefold()
    for needle, browser in _BROWSERS:
        if needle in text:
            return browser
    return Browser(_("the browser that installed it"), "unknown")


def web_app_instructions(app_name: str, installer: str) -> tuple[str, ...]:
    """Numbered steps for a person, in that browser's own words."""
    browser = browser_of(installer)
    name = app_name or _("the web app")
    # Translators: the words in quotes and menu names are the browser's own: use the ones the
    # browser shows in your language. {browser} is the browser's name, {page} its apps page.
    if browser.family == "chromium":
        first = (
            _("Open {browser} and type {page} in the address bar.").format(
                browser=browser.name, page=browser.apps_page
            )
            if browser.apps_page
            else _("Open {browser}.").format(browser=browser.name)
        )
        return (
            first,
            _(
                "Right-click {app} and choose 'Remove from {browser}' (or 'Uninstall'), "
                "then confirm."
            ).format(app=name, browser=browser.name),
            _(
                "Or: open {app} itself, click the ⋮ menu at the top right of its window, choose "
                "'Uninstall {app}…' and confirm."
            ).format(app=name),
            _("Close the browser and open it again, then check the app is no longer listed."),
        )
    if browser.family == "edge":
        return (
            _("Open Microsoft Edge and type edge://apps in the address bar."),
            _(
                "Find {app}, click its ⋯ (More options) button and choose 'Uninstall', then "
                "confirm."
            ).format(app=name),
            _(
                "Or: open {app} itself, click ⋯ at the top right of its window, choose "
                "'App settings' and then 'Uninstall'."
            ).format(app=name),
        )
    if browser.family == "epiphany":
        return (
            _(
                "Open Web (GNOME's browser) and type about:applications in the address bar "
                "(or open the menu and choose 'Web Apps')."
            ),
            _("Click 'Delete' next to {app}.").format(app=name),
        )
    if browser.family == "firefoxpwa":
        return (
            _(
                "Firefox itself cannot install web apps; this one was made by the PWAsForFirefox "
                "extension."
            ),
            _("In Firefox, open the PWAsForFirefox extension (its icon in the toolbar)."),
            _("Find {app} in its list of web apps and choose 'Remove'.").format(app=name),
        )
    if browser.family == "safari":
        return (
            _(
                "Safari keeps the web apps you added to the Dock in the Applications folder of "
                "your home folder."
            ),
            _("In Finder, choose Go > Home, then open Applications."),
            _("Drag {app} to the Trash, then empty the Trash.").format(app=name),
        )
    return (
        _(
            "Open the browser that installed {app} and find its list of installed apps "
            "(in Chrome-like browsers: type chrome://apps in the address bar)."
        ).format(app=name),
        _("Remove or uninstall {app} there.").format(app=name),
    )
