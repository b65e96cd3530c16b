"""Writes the version from git into the built package (audit/VERSION), for wheels.

Everything else is in pyproject.toml. A wheel has no `.git` to ask at run time, so build_py
writes what git says now beside audit/version.py, which reads it (an editable install asks git
itself, so nothing is written for one).
"""

from __future__ import annotations

import importlib.util
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

HERE = Path(__file__).resolve().parent


def version_now() -> str:
    spec = importlib.util.spec_from_file_location(
        "_device_audit_version", HERE / "audit" / "version.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return str(module.find_version(HERE / "audit"))


class BuildWithVersion(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "audit" / "VERSION"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(version_now() + "\n", encoding="ascii")


setup(cmdclass={"build_py": BuildWithVersion})
