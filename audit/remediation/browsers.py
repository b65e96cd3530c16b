"""How to uninstall a web app in the browser that installed it, step by step.

A web app belongs to its browser: deleting its launcher leaves the app registered in the browser
(which puts the launcher back), so the person removes it where the browser lists it. The
collectors name the browser in InstalledApp.installer ("Google Chrome web app").
"""

from __future__ import annotations

from dataclasses import dataclass


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
    return Browser("the browser that installed it", "unknown")


def web_app_instructions(app_name: str, installer: str) -> tuple[str, ...]:
    """Numbered steps for a person, in that browser's own words."""
    browser = browser_of(installer)
    name = app_name or "the web app"
    if browser.family == "chromium":
        first = (
            f"Open {browser.name} and type {browser.apps_page} in the address bar."
            if browser.apps_page
            else f"Open {browser.name}."
        )
        return (
            first,
            f"Right-click {name} and choose 'Remove from {browser.name}' (or 'Uninstall'), "
            "then confirm.",
            f"Or: open {name} itself, click the ⋮ menu at the top right of its window, choose "
            f"'Uninstall {name}…' and confirm.",
            "Close the browser and open it again, then check the app is no longer listed.",
        )
    if browser.family == "edge":
        return (
            "Open Microsoft Edge and type edge://apps in the address bar.",
            f"Find {name}, click its ⋯ (More options) button and choose 'Uninstall', then confirm.",
            f"Or: open {name} itself, click ⋯ at the top right of its window, choose "
            "'App settings' and then 'Uninstall'.",
        )
    if browser.family == "epiphany":
        return (
            "Open Web (GNOME's browser) and type about:applications in the address bar "
            "(or open the menu and choose 'Web Apps').",
            f"Click 'Delete' next to {name}.",
        )
    if browser.family == "firefoxpwa":
        return (
            "Firefox itself cannot install web apps; this one was made by the PWAsForFirefox "
            "extension.",
            "In Firefox, open the PWAsForFirefox extension (its icon in the toolbar).",
            f"Find {name} in its list of web apps and choose 'Remove'.",
        )
    if browser.family == "safari":
        return (
            "Safari keeps the web apps you added to the Dock in the Applications folder of your "
            "home folder.",
            "In Finder, choose Go > Home, then open Applications.",
            f"Drag {name} to the Trash, then empty the Trash.",
        )
    return (
        f"Open the browser that installed {name} and find its list of installed apps "
        "(in Chrome-like browsers: type chrome://apps in the address bar).",
        f"Remove or uninstall {name} there.",
    )
