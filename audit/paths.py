"""Where Device Audit finds its resources and keeps its data.

`DEVICE_AUDIT_HOME` moves all of the user's data (history, logs, settings) into one folder; the
tests set it so that they never touch a real user's data.
"""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "Device Audit"
APP_AUTHOR = "DeviceAudit"

RESOURCES = Path(__file__).resolve().parent.parent / "resources"


def resource(*parts: str) -> Path:
    return RESOURCES.joinpath(*parts)


def data_dir() -> Path:
    """The user's data folder (history database, logs, remembered keys), created on demand."""
    override = os.environ.get("DEVICE_AUDIT_HOME")
    if override:
        path = Path(override)
    else:  # imported here: finding a resource (every policy load) does not need it (issue 15)
        import platformdirs

        path = Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR))
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = data_dir() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path
