"""Runs first in the packaged app, in place of PyInstaller's PySide6 run-time hook.

PyInstaller's own hook imports PySide6.QtCore at every start to check for an embedded qt.conf
(PySide6's wheels make one themselves when QtCore loads): that loads Qt's libraries, ICU's data
included, before `device-audit --help` or any other command that never shows a window (measured
with bench/bundle.py). This hook only says where Qt's plugins are; Qt loads when the app does.
"""

import os
import sys

_base = getattr(sys, "_MEIPASS", os.path.dirname(sys.executable))
_qt = (
    os.path.join(_base, "PySide6")
    if sys.platform.startswith("win")
    else os.path.join(_base, "PySide6", "Qt")
)
os.environ["QT_PLUGIN_PATH"] = os.path.join(_qt, "plugins")
if sys.platform.startswith("win"):  # Qt finds OpenSSL and other DLLs collected beside the app
    os.environ["PATH"] = _base + os.pathsep + os.environ.get("PATH", "")
elif sys.platform == "darwin":
    os.environ["DYLD_LIBRARY_PATH"] = _base + os.pathsep + os.environ.get("DYLD_LIBRARY_PATH", "")
