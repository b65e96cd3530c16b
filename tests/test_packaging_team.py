"""The packaged app carries the team history's driver (issue 18 in issue 17's bundle).

What can be checked without building a bundle: the build installs psycopg with its own libpq at
the pinned version, and the receipts the smoke test imports into its PostgreSQL server are
accepted by an import once, and only once. The bundle itself (psycopg loads its own libpq, and
only for a team history) is tried by packaging/smoke.sh on the built artefact.
"""

from __future__ import annotations

import importlib.util
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

from audit.cli import main
from audit.store import Store

ROOT = Path(__file__).resolve().parent.parent


def _build_module() -> ModuleType:
    spec = importlib.util.spec_from_file_location("_package_build", ROOT / "packaging" / "build.py")
    assert spec is not None and spec.loader is not None
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    return build


def _pins() -> dict[str, str]:
    pins = {}
    for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, _, version = line.partition("==")
            pins[re.sub(r"[-_.]+", "-", name).lower()] = version
    return pins


def test_the_build_installs_psycopg_with_its_own_libpq_at_one_pinned_version() -> None:
    requirements = _build_module().requirements()
    driver = [r for r in requirements if re.match(r"psycopg\b", r)]
    # The binary extra: libpq comes inside psycopg-binary's wheel, so staff install nothing.
    assert driver and all(r.startswith("psycopg[binary]") for r in driver), driver
    pins = _pins()
    # psycopg refuses a psycopg-binary of another version: the two pins move together.
    assert pins["psycopg"] == pins["psycopg-binary"]


def test_the_build_installs_the_team_extra_and_still_no_addons() -> None:
    names = [re.split(r"[<>=!~;\[ ]", r, maxsplit=1)[0] for r in _build_module().requirements()]
    assert "psycopg" in names
    assert "PySide6-Addons" not in names and "PySide6" not in names


def _make_receipts(folder: Path) -> list[str]:
    done = subprocess.run(
        [sys.executable, str(ROOT / "packaging" / "make_smoke_receipts.py"), str(folder)],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return done.stdout.splitlines()


def test_the_smoke_receipts_import_once_and_are_no_samples(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The smoke test counts on "2 imported", then "2 already in the history": if the import's
    rules change (a sample key, a day, a time check), this fails here, not only in CI's build."""
    lines = _make_receipts(tmp_path / "receipts")
    assert len(lines) == 2 and all(line.endswith(": compliant") for line in lines)
    history = tmp_path / "history.sqlite3"
    Store(history).close()
    assert main(["import", "--db", str(history), str(tmp_path / "receipts")]) == 0
    assert "2 files: 2 imported, 0 already in the history, 0 refused" in capsys.readouterr().out
    assert main(["import", "--db", str(history), str(tmp_path / "receipts")]) == 0
    assert "2 files: 0 imported, 2 already in the history" in capsys.readouterr().out
    assert main(["history", "--db", str(history)]) == 0
    listed = capsys.readouterr().out
    assert listed.count("SMOKE TEST") == 2 and "compliant" in listed


def test_each_run_signs_with_new_keys(tmp_path: Path) -> None:
    """Throwaway keys: two runs share no key, so no key of the smoke test can be reused to
    sign anything else (and none is kept)."""
    _make_receipts(tmp_path / "a")
    _make_receipts(tmp_path / "b")
    a = (tmp_path / "a" / "SMOKE-0001.json").read_text(encoding="utf-8")
    b = (tmp_path / "b" / "SMOKE-0001.json").read_text(encoding="utf-8")
    key = re.compile(r'"keyid":\s*"([^"]+)"')
    assert key.findall(a) and key.findall(a) != key.findall(b)


@pytest.mark.skipif(shutil.which("bash") is None, reason="no bash on this computer")
def test_the_smoke_script_parses() -> None:
    subprocess.run(["bash", "-n", str(ROOT / "packaging" / "smoke.sh")], check=True, timeout=30)
