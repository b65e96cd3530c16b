"""The version comes from git (audit.version): a tag, a dev suffix between tags, a mark for
uncommitted changes, the file a build writes, and "0+unknown" (never a crash, never a number
that looks like a release) for a copy without git metadata. Checked on the parser, fuzzed, and
on real repositories made here: this project's code copied into a new repository, tagged and
untagged, and its `--version`, and a wheel built from it."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.version import (
    UNKNOWN,
    VERSION_FILE,
    find_version,
    from_describe,
    from_file,
    from_git,
    is_version,
)

ROOT = Path(__file__).resolve().parent.parent
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc", "VERSION")


@pytest.mark.parametrize(
    ("described", "commits", "version"),
    [
        ("v1.2.0-0-g1a2b3c4d", 0, "1.2.0"),
        ("v1.2.0-5-g1a2b3c4d", 0, "1.2.1.dev5+g1a2b3c4d"),
        ("v1.2.0-5-g1a2b3c4d-dirty", 0, "1.2.1.dev5+g1a2b3c4d.dirty"),
        ("v1.2.0-0-g1a2b3c4d-dirty", 0, "1.2.1.dev0+g1a2b3c4d.dirty"),  # never "1.2.0" itself
        ("v2.0.0rc1-0-g1a2b3c4d", 0, "2.0.0rc1"),
        ("v2.0.0rc1-3-g1a2b3c4d", 0, "2.0.0rc2.dev3+g1a2b3c4d"),
        ("1.9-12-gabcdef01", 0, "1.10.dev12+gabcdef01"),
        ("v1.2.0-beta-2-gabcdef01", 0, None),  # a tag that is no release version
        ("1a2b3c4d", 241, "0.1.0.dev241+g1a2b3c4d"),  # no tag yet
        ("1a2b3c4d-dirty", 7, "0.1.0.dev7+g1a2b3c4d.dirty"),
        ("", 3, None),
        ("fatal: not a git repository", 0, None),
    ],
)
def test_git_describe_output_becomes_a_pep_440_version(
    described: str, commits: int, version: str | None
) -> None:
    assert from_describe(described, commits) == version
    if version is not None:
        assert is_version(version)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=80), st.integers(min_value=0, max_value=10**6))
def test_any_describe_output_is_a_version_or_none_never_a_crash(text: str, commits: int) -> None:
    version = from_describe(text, commits)
    assert version is None or is_version(version)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=300))
def test_a_version_file_holding_anything_is_read_as_a_version_or_ignored(
    tmp_path_factory: pytest.TempPathFactory, raw: bytes
) -> None:
    path = tmp_path_factory.mktemp("v") / VERSION_FILE
    path.write_bytes(raw)
    read = from_file(path)
    assert read is None or (is_version(read) and read == raw.decode("ascii").strip())


def test_a_version_file_is_read_only_when_it_holds_one_short_version(tmp_path: Path) -> None:
    path = tmp_path / VERSION_FILE
    assert from_file(path) is None  # none there
    path.write_text("1.4.0\n")
    assert from_file(path) == "1.4.0"
    for bad in ("1.4.0; rm -rf /", "Compliant", "1.4.0\n1.5.0", "v1.4.0", "1" * 300):
        path.write_text(bad)
        assert from_file(path) is None, bad


def git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        [
            "git",
            "-C",
            str(repo),
            "-c",
            "user.name=Test",
            "-c",
            "user.email=test@example.org",
            *args,
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return done.stdout.strip()


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A new repository holding this project's audit package (as it is in the working tree) and
    main.py, with one commit and no tag."""
    repo = tmp_path / "clone"
    repo.mkdir()
    shutil.copytree(ROOT / "audit", repo / "audit", ignore=IGNORE)
    shutil.copy2(ROOT / "main.py", repo / "main.py")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    return repo


def run_version(repo: Path, *, path: str | None = None) -> str:
    """What `device-audit --version` prints, run from `repo`'s own copy of the code."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GIT_", "PYTHON"))}
    if path is not None:
        env["PATH"] = path
    done = subprocess.run(
        [sys.executable, "-S", "-c", "import sys, main; sys.exit(main.main(['--version']))"],
        cwd=repo,
        env={**env, "PYTHONPATH": str(repo)},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("device-audit "), done.stdout
    return done.stdout.removeprefix("device-audit ").strip()


@pytest.mark.slow
def test_a_checkout_says_its_tag_its_distance_and_its_changes(repo: Path) -> None:
    head = git(repo, "rev-parse", "--short=8", "HEAD")
    assert find_version(repo / "audit") == f"0.1.0.dev1+g{head}"  # no tag yet
    git(repo, "tag", "v1.3.0")
    assert run_version(repo) == "1.3.0"
    (repo / "audit" / "extra.py").write_text("# a change\n")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "second")
    head = git(repo, "rev-parse", "--short=8", "HEAD")
    assert run_version(repo) == f"1.3.1.dev1+g{head}"
    (repo / "audit" / "extra.py").write_text("# an uncommitted change\n")
    assert run_version(repo) == f"1.3.1.dev1+g{head}.dirty"
    # A tag that is not a version (v1.x) is not taken for one.
    git(repo, "checkout", "-q", "--", ".")
    git(repo, "tag", "v1.x")
    assert run_version(repo) == f"1.3.1.dev1+g{head}"


@pytest.mark.slow
def test_a_copy_without_git_metadata_says_unknown_or_what_its_build_wrote(repo: Path) -> None:
    shutil.rmtree(repo / ".git")
    assert from_git(repo) is None
    assert run_version(repo) == UNKNOWN
    (repo / "audit" / VERSION_FILE).write_text("1.3.0\n")
    assert run_version(repo) == "1.3.0"
    (repo / "audit" / VERSION_FILE).write_text("<script>\n")
    assert run_version(repo) == UNKNOWN


@pytest.mark.slow
def test_no_git_program_falls_back_without_a_crash(repo: Path, tmp_path: Path) -> None:
    (repo / "audit" / VERSION_FILE).write_text("2.0.0\n")
    empty = tmp_path / "no-programs"
    empty.mkdir()
    assert run_version(repo, path=str(empty)) == "2.0.0"  # git cannot be asked: the file
    (repo / "audit" / VERSION_FILE).unlink()
    assert run_version(repo, path=str(empty)) == UNKNOWN


@pytest.mark.slow
def test_a_wheel_built_from_a_tagged_checkout_carries_its_version(tmp_path: Path) -> None:
    """setup.py writes git's answer into the wheel (audit/VERSION), which has no .git."""
    repo = tmp_path / "src"
    repo.mkdir()
    for name in ("audit", "ui", "resources"):
        shutil.copytree(ROOT / name, repo / name, ignore=IGNORE)
    for name in ("main.py", "setup.py", "pyproject.toml", "README.md"):
        shutil.copy2(ROOT / name, repo / name)
    (repo / ".gitignore").write_text("build/\n*.egg-info/\n")
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "first")
    git(repo, "tag", "v3.1.0")
    out = tmp_path / "out"
    pip = [sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "--no-build-isolation"]
    built = subprocess.run(
        [*pip, "--no-index", "-w", str(out), str(repo)],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )
    assert built.returncode == 0, built.stdout + built.stderr
    [wheel] = out.glob("device_audit-*.whl")
    assert wheel.name.startswith("device_audit-3.1.0-")
    assert zipfile.ZipFile(wheel).read("audit/VERSION").decode().strip() == "3.1.0"
    site = tmp_path / "site"
    zipfile.ZipFile(wheel).extractall(site)
    assert find_version(site / "audit") == "3.1.0"
    assert git(repo, "status", "--porcelain") == ""  # the build left the checkout clean
