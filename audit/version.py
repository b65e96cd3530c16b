"""Which version of Device Audit this is, taken from git.

The version is signed into every receipt, so it must name the code that ran: it comes from the
repository's tags (v1.2.0), with a dev suffix between them (1.2.1.dev5+g1a2b3c4d: five commits
after v1.2.0) and a mark for uncommitted changes (+g1a2b3c4d.dirty). Where it is read from:

1. A source checkout (a `.git` beside the packages: an editable install, or running from the
   clone) asks git each time the app starts, so a new commit or tag shows without reinstalling.
2. A build (a wheel, the packaged app) reads the VERSION file that the build wrote beside this
   module from git (setup.py, packaging/build.py): a build has no `.git` to ask.
3. Neither (a copy of the source without git metadata, or no git program): "0+unknown", never a
   crash, and never a number that looks like a release.

Nothing here is trusted as it stands: a VERSION file or a tag that is not a plain version is
ignored. Only the standard library (audit/ must import without Qt or third-party packages).
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "BEFORE_FIRST_TAG",
    "UNKNOWN",
    "VERSION_FILE",
    "ShowVersion",
    "find_version",
    "from_describe",
    "from_file",
    "from_git",
    "is_version",
]

UNKNOWN = "0+unknown"
BEFORE_FIRST_TAG = "0.1.0"  # commits before any tag count towards this release: 0.1.0.devN
VERSION_FILE = "VERSION"
GIT_TIMEOUT = 5.0
MAX_FILE = 200  # bytes read from a VERSION file: a version is a short line

# The versions this module writes, a strict subset of PEP 440, so any tool can read them.
_VERSION = re.compile(
    r"\d{1,9}(?:\.\d{1,9}){0,5}(?:(?:a|b|rc)\d{1,9})?(?:\.post\d{1,9})?(?:\.dev\d{1,9})?"
    r"(?:\+[a-z0-9]{1,40}(?:\.[a-z0-9]{1,40}){0,5})?"
)
# A release tag: v1.2.3 or 1.2.3, optionally a pre-release (v2.0.0rc1).
_TAG = re.compile(r"v?(?P<release>\d{1,9}(?:\.\d{1,9}){0,5})(?:(?P<pre>a|b|rc)(?P<pre_n>\d{1,9}))?")
# `git describe --long`: TAG-DISTANCE-gHASH, and -dirty with uncommitted changes.
_DESCRIBED = re.compile(
    r"(?P<tag>.+)-(?P<distance>\d{1,9})-g(?P<hash>[0-9a-f]{4,40})(?P<dirty>-dirty)?"
)
# `git describe --always` where no tag matches: HASH, and -dirty.
_UNTAGGED = re.compile(r"(?P<hash>[0-9a-f]{4,40})(?P<dirty>-dirty)?")


def is_version(text: str) -> bool:
    """Whether `text` is a version as this module writes them (PEP 440, nothing else)."""
    return _VERSION.fullmatch(text) is not None


def _next(tag: re.Match[str]) -> str:
    """The release after a tag, which commits since it lead to: 1.2.3 → 1.2.4, 2.0.0rc1 →
    2.0.0rc2 (the next candidate, not the release it is a candidate for)."""
    release = tag["release"]
    if tag["pre"]:
        return f"{release}{tag['pre']}{int(tag['pre_n']) + 1}"
    *head, last = release.split(".")
    return ".".join([*head, str(int(last) + 1)])


def from_describe(described: str, commits: int = 0) -> str | None:
    """The version that `git describe --tags --long --dirty --always` output means; `commits`
    is the number of commits (for a repository with no release tag yet). None for output that
    is neither form, or a tag that is not a release version."""
    described = described.strip()
    found = _DESCRIBED.fullmatch(described)
    if found is not None:
        tag = _TAG.fullmatch(found["tag"])
        if tag is None:
            return None
        distance, short = int(found["distance"]), found["hash"]
        if distance == 0 and not found["dirty"]:
            base = tag["release"] + (f"{tag['pre']}{int(tag['pre_n'])}" if tag["pre"] else "")
            return base
        local = f"+g{short}" + (".dirty" if found["dirty"] else "")
        return f"{_next(tag)}.dev{distance}{local}"
    untagged = _UNTAGGED.fullmatch(described)
    if untagged is not None and commits >= 0:
        local = f"+g{untagged['hash']}" + (".dirty" if untagged["dirty"] else "")
        return f"{BEFORE_FIRST_TAG}.dev{commits}{local}"
    return None


def _git(root: Path, *args: str) -> str | None:
    # Imported here, not with the module: every command builds the parser that holds
    # ShowVersion, and only `--version` runs git (subprocess costs ~8 ms to import; issue 15).
    import subprocess

    try:
        done = subprocess.run(
            ["git", "-C", str(root), *args],
            capture_output=True,
            text=True,
            timeout=GIT_TIMEOUT,
            check=False,
            stdin=subprocess.DEVNULL,
        )
    except (OSError, subprocess.SubprocessError, ValueError):
        return None  # no git program, or it hung
    return done.stdout if done.returncode == 0 else None


def from_git(root: Path) -> str | None:
    """The version of the checkout at `root` (which holds `.git`), or None when it is not one
    or git cannot say. Only tags that are release versions count (a v1.x tag is passed over)."""
    if not (root / ".git").exists():
        return None  # never a repository further up (a copy unpacked inside another clone)
    listed = _git(root, "tag", "--merged", "HEAD", "--list", "v[0-9]*")
    if listed is None:
        return None
    releases = [tag for tag in listed.split() if _TAG.fullmatch(tag)]
    commits = 0
    if releases:
        matches = [f"--match={tag}" for tag in releases]
        described = _git(root, "describe", "--tags", "--long", "--dirty", "--abbrev=8", *matches)
    else:
        described = _git(root, "describe", "--always", "--dirty", "--abbrev=8", "--exclude=*")
        counted = _git(root, "rev-list", "--count", "HEAD")
        if counted is None or not counted.strip().isdigit():
            return None
        commits = int(counted.strip())
    version = None if described is None else from_describe(described, commits)
    return version if version is not None and is_version(version) else None


def from_file(path: Path) -> str | None:
    """The version a build wrote into `path`, or None when there is none or it is not one."""
    try:
        with path.open("rb") as file:
            raw = file.read(MAX_FILE + 1)
    except OSError:
        return None
    if len(raw) > MAX_FILE:
        return None
    try:
        text = raw.decode("ascii").strip()
    except UnicodeDecodeError:
        return None
    return text if is_version(text) else None


def find_version(package_dir: Path) -> str:
    """This copy's version: git where it runs from a checkout, else what its build wrote, else
    UNKNOWN. `package_dir` is the `audit` package's folder."""
    return from_git(package_dir.parent) or from_file(package_dir / VERSION_FILE) or UNKNOWN


class ShowVersion(argparse.Action):
    """`--version`: prints "device-audit VERSION" and exits, asking git only then (building the
    parser for every other command does not run git)."""

    def __init__(self, option_strings: Sequence[str], dest: str, **kwargs: Any) -> None:
        # Imported here: setup.py loads this file on its own, where `audit` cannot be imported.
        # Translated when the parser is built, after the language is chosen.
        from audit.i18n import _

        kwargs.setdefault("help", _("show the version and exit"))
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        _namespace: argparse.Namespace,
        _values: object,
        _option_string: str | None = None,
    ) -> None:
        from audit import __version__

        sys.stdout.write(f"device-audit {__version__}\n")  # on stdout, as argparse's own
        parser.exit()
