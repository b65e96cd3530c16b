"""Build the Device Audit app that a person double-clicks: a one-folder PyInstaller bundle, packed
as a tarball (Linux, macOS) or a zip (Windows), from this checkout.

    python3 packaging/build.py                 # Linux and macOS
    py packaging\\build.py                      # Windows

Steps: a new virtual environment under build/package-venv with the app's packages pinned by
constraints.txt (Qt from PySide6-Essentials only; psycopg for a team history) and PyInstaller;
the version from git written into build/package/VERSION (audit.version; a checkout without git
metadata builds "0+unknown"); PyInstaller with packaging/device-audit.spec; then the archive in
dist/. Prints the version, the folder and archive sizes, and the path of the archive (last line),
for .ci/run and the smoke test.

Why PyInstaller and a folder: it runs this app as it is (the same main.py, CLI and GUI), needs no
compiler (Nuitka needs one and builds for many minutes), and a folder starts faster than a
one-file bundle, which unpacks itself to a temporary folder at every start.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tarfile
import tomllib
import venv
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build"
DIST = ROOT / "dist"
NAME = "device-audit"


def run(*command: str | Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(str(c) for c in command), flush=True)
    subprocess.run([str(c) for c in command], check=True, env=env)


def python_in(folder: Path) -> Path:
    return folder / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def requirements() -> list[str]:
    """The app's own dependencies, the team extra and the build extra, as pyproject.toml lists
    them. The team extra (psycopg 3 with its own libpq) is optional for pip users, who choose
    it; the bundle is one download for everyone, so a technician who joins a helpdesk team's
    history (issue 18) finds it there. It costs nothing at start-up: psycopg loads only for a
    postgresql:// history."""
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    extras = project["optional-dependencies"]
    return [*project["dependencies"], *extras["team"], *extras["build"]]


def make_venv(folder: Path, *, fresh: bool) -> Path:
    if fresh and folder.exists():
        shutil.rmtree(folder)
    if not python_in(folder).exists():
        venv.create(folder, with_pip=True)
    python = python_in(folder)
    wanted = BUILD / "package-requirements.txt"
    wanted.parent.mkdir(parents=True, exist_ok=True)
    wanted.write_text("\n".join(requirements()) + "\n", encoding="utf-8")
    run(python, "-m", "pip", "install", "-q", "-c", ROOT / "constraints.txt", "-r", wanted)
    return python


def write_version(stage: Path) -> str:
    sys.path.insert(0, str(ROOT))
    from audit.version import VERSION_FILE, find_version

    version = find_version(ROOT / "audit")
    stage.mkdir(parents=True, exist_ok=True)
    (stage / VERSION_FILE).write_text(version + "\n", encoding="ascii")
    return version


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


def archive(bundle: Path, version: str) -> Path:
    system = {"Linux": "linux", "Darwin": "macos", "Windows": "windows"}.get(
        platform.system(), platform.system().lower()
    )
    stem = f"{NAME}-{version}-{system}-{platform.machine().lower()}"
    DIST.mkdir(exist_ok=True)
    if os.name == "nt":
        target = DIST / f"{stem}.zip"
        with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as packed:
            for path in sorted(bundle.rglob("*")):
                packed.write(path, Path(NAME) / path.relative_to(bundle))
        return target
    target = DIST / f"{stem}.tar.gz"
    with tarfile.open(target, "w:gz") as packed:
        packed.add(bundle, arcname=NAME)
    return target


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--venv", type=Path, default=BUILD / "package-venv", help="the build environment"
    )
    parser.add_argument(
        "--fresh", action="store_true", help="make the build environment anew (CI does)"
    )
    args = parser.parse_args(argv)
    python = make_venv(args.venv, fresh=args.fresh)
    stage = BUILD / "package"
    version = write_version(stage)
    print(f"Version: {version}", flush=True)
    env = {**os.environ, "DEVICE_AUDIT_VERSION_FILE": str(stage / "VERSION")}
    work, out = BUILD / "pyinstaller", BUILD / "pyinstaller-dist"
    spec = ROOT / "packaging" / f"{NAME}.spec"
    run(python, "-m", "PyInstaller", "--noconfirm", "--clean", "--log-level=WARN",
        "--workpath", work, "--distpath", out, spec, env=env)  # fmt: skip
    bundle = out / NAME
    packed = archive(bundle, version)
    print(f"Bundle folder: {bundle} ({folder_size(bundle) / 1e6:.0f} MB)")
    print(f"Archive: {packed.stat().st_size / 1e6:.0f} MB")
    print(packed)
    return 0


if __name__ == "__main__":
    sys.exit(main())
