"""What ships: the wheel holds the app and nothing of the tests (issue 11, part 4).

The simulated phone and its profiles live in tests/, so anyone with the installed app alone has
no simulator to make receipts with; the demo phone ships, in memory (audit/demo). The wheel is
built from a copy of this tree, the way `pip install .` builds it, then listed; its code is then
imported from the unpacked wheel alone, with `tests` made unimportable.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
import textwrap
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_TOP = {"audit", "ui", "resources", "main.py"}
LEFT_OUT = shutil.ignore_patterns(
    ".git", ".venv", "venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)

IMPORT_ALL = textwrap.dedent(
    """
    import importlib, pkgutil, sys

    class NoTests:
        def find_spec(self, name, path=None, target=None):
            if name == "tests" or name.startswith("tests."):
                raise ImportError(f"the installed app imports {name}")
            return None

    sys.meta_path.insert(0, NoTests())
    here = sys.argv[1]
    names = []
    for top in ("audit", "ui"):
        package = importlib.import_module(top)
        assert package.__file__.startswith(here), f"{top} came from {package.__file__}"
        for info in pkgutil.walk_packages(package.__path__, top + "."):
            importlib.import_module(info.name)
            names.append(info.name)
    import audit.demo
    phone = audit.demo.switch_on()
    assert phone.scan().device.simulated
    print(len(names))
    """
)


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The wheel `pip` builds from this tree (a copy: building writes into the source tree)."""
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=LEFT_OUT)
    out = work / "out"
    pip = [sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*pip, "-q", "--no-index", "-w", str(out), str(source)],
        capture_output=True,
        text=True,
        check=False,
        timeout=90,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [found] = out.glob("device_audit-*.whl")
    return found


@pytest.mark.slow
def test_the_wheel_holds_the_app_and_the_demo_phone_and_nothing_of_the_tests(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/")[0] for name in names if not name.split("/")[0].endswith(".dist-info")}
    assert tops == SHIPPED_TOP
    assert not [n for n in names if "phonesim" in n or n.startswith("tests/") or "/tests/" in n]
    profiles = [n for n in names if n.endswith(".json") and not n.startswith("resources/")]
    assert profiles == []  # no phone profile (demo-phone.json, _package-sets.json...)
    assert not [n for n in names if "package-sets" in n or "demo-phone" in n]
    assert {"audit/demo/phone.py", "audit/demo/inventory.py", "ui/demo.py"} <= set(names)
    assert "resources/policies/nz-parliament-2023.toml" in names  # data files do ship
    # The compiled French catalogue ships (the app reads .mo); the tools that make it do not.
    assert "resources/locale/fr_CA/LC_MESSAGES/device_audit.mo" in names
    assert not [n for n in names if n.startswith("tools/")]
    for name in names:
        if name.endswith(".py"):
            text = zipfile.ZipFile(wheel).read(name).decode("utf-8")
            assert "from tests" not in text and "import tests" not in text, name


@pytest.mark.slow
def test_the_installed_app_imports_without_the_tests(wheel: Path, tmp_path: Path) -> None:
    unpacked = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(unpacked)
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(unpacked)],
        cwd=unpacked,
        capture_output=True,
        text=True,
        check=False,
        timeout=90,
        env={**_env(), "PYTHONPATH": str(unpacked)},
    )
    assert result.returncode == 0, result.stderr
    assert int(result.stdout.strip()) >= 50  # the walk really imported both packages


def test_the_import_check_catches_an_import_of_the_tests(tmp_path: Path) -> None:
    """The check above is only worth something if a module that imports tests fails it."""
    fake = tmp_path / "site"
    (fake / "audit").mkdir(parents=True)
    (fake / "ui").mkdir()
    (fake / "audit" / "__init__.py").write_text("")
    (fake / "audit" / "leak.py").write_text("from tests.phonesim import SimulatedPhone\n")
    (fake / "ui" / "__init__.py").write_text("")
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_ALL, str(fake)],
        cwd=fake,
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={**_env(), "PYTHONPATH": str(fake)},
    )
    assert result.returncode != 0
    assert "the installed app imports tests" in result.stderr


def _env() -> dict[str, str]:
    import os

    return {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
