"""What the builds rest on, checked without building (the build and its smoke test run in
.ci/run): the app runs on Qt's Essentials half alone, every package it installs is pinned in
constraints.txt, and the build recipe ships the sample receipt that the smoke test verifies."""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
import textwrap
import tomllib
from pathlib import Path

import pytest

from audit.attestation import verify_file
from audit.model import DeviceStatus

ROOT = Path(__file__).resolve().parent.parent

# Every Qt module that is not in PySide6's Essentials half (PySide6_Essentials.json lists those)
# made unimportable, whether or not the Addons half is installed.
ESSENTIALS_ONLY = textwrap.dedent(
    """
    import importlib, importlib.util, json, pkgutil, sys
    from pathlib import Path
    [folder] = importlib.util.find_spec("PySide6").submodule_search_locations
    listing = Path(folder) / "PySide6_Essentials.json"
    essentials = {"PySide6.Qt" + name for name in json.loads(listing.read_text())}
    assert "PySide6.QtWidgets" in essentials and "PySide6.QtCharts" not in essentials

    class NoAddons:
        def find_spec(self, name, path=None, target=None):
            if name.startswith("PySide6.Qt") and name.split(".")[1] and (
                ".".join(name.split(".")[:2]) not in essentials
            ):
                raise ImportError(f"the app imports {name}, from PySide6-Addons")
            return None

    sys.meta_path.insert(0, NoAddons())
    count = 0
    for top in sys.argv[1:]:
        package = importlib.import_module(top)
        for info in pkgutil.walk_packages(package.__path__, top + "."):
            importlib.import_module(info.name)
            count += 1
    import main
    from PySide6.QtWidgets import QApplication
    app = QApplication([])
    from ui.dashboard_chart import StackedBarChart
    StackedBarChart().grab()
    print(count)
    """
)


def run_without_addons(*packages: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", ESSENTIALS_ONLY, *packages],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={**os.environ, "QT_QPA_PLATFORM": "offscreen", "PYTHONPATH": str(ROOT)},
    )


@pytest.mark.slow
def test_the_app_imports_and_draws_its_chart_without_the_addons_half_of_qt() -> None:
    result = run_without_addons("audit", "ui")
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 50


def test_the_addons_check_catches_an_import_of_qtcharts(tmp_path: Path) -> None:
    """The check above is only worth something if a module importing QtCharts fails it."""
    (tmp_path / "leaky").mkdir()
    (tmp_path / "leaky" / "__init__.py").write_text("")
    (tmp_path / "leaky" / "chart.py").write_text("from PySide6.QtCharts import QChart\n")
    result = subprocess.run(
        [sys.executable, "-c", ESSENTIALS_ONLY, "leaky"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
        env={
            **os.environ,
            "QT_QPA_PLATFORM": "offscreen",
            "PYTHONPATH": os.pathsep.join((str(tmp_path), str(ROOT))),
        },
    )
    assert result.returncode != 0
    assert "the app imports PySide6.QtCharts, from PySide6-Addons" in result.stderr


def pinned() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            assert version, f"not an exact pin: {line}"
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_every_package_the_app_its_tests_and_its_build_name_is_pinned() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    wanted = [*project["dependencies"]]
    for extra in project["optional-dependencies"].values():
        wanted += extra
    names = {
        re.sub(r"[-_.]+", "-", re.split(r"[<>=!~;\[ ]", w, maxsplit=1)[0]).lower() for w in wanted
    }
    pins = pinned()
    assert names - pins.keys() == set()
    assert "pyside6" not in pins  # the whole of Qt is never what a build installs
    assert pins["pyside6-essentials"] == pins["shiboken6"]


def test_the_build_installs_essentials_not_the_whole_of_qt() -> None:
    spec = importlib.util.spec_from_file_location("_package_build", ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    names = [re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] for r in build.requirements()]
    assert "PySide6-Essentials" in names and "pyinstaller" in names
    assert "PySide6" not in names and "PySide6-Addons" not in names


def test_the_shipped_sample_receipt_verifies_and_says_it_is_a_sample() -> None:
    receipt = verify_file(ROOT / "resources" / "samples" / "sample-receipt.json")  # raises if not
    assert receipt.status is DeviceStatus.COMPLIANT and not receipt.simulated
    assert receipt.attester.name.startswith("SAMPLE") and receipt.attester.staff_id == "SAMPLE-0000"
