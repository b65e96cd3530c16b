"""Reading the Windows registry behind a small interface, so the same code runs anywhere.

On Windows `WindowsRegistry` reads the live registry through the standard library's `winreg`.
Everywhere else `RegFileRegistry` serves a registry export (the `.reg` text that `reg export`
and regedit write), which is how the tests run the Windows collectors on Linux, and how a
technician could audit a registry exported from another machine.
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol

REG_NONE = 0
REG_SZ = 1
REG_EXPAND_SZ = 2
REG_BINARY = 3
REG_DWORD = 4
REG_MULTI_SZ = 7
REG_QWORD = 11

RegData = str | int | bytes | list[str] | None


class Hive(StrEnum):
    HKLM = "HKEY_LOCAL_MACHINE"
    HKCU = "HKEY_CURRENT_USER"
    HKU = "HKEY_USERS"
    HKCR = "HKEY_CLASSES_ROOT"


_HIVE_NAMES = {
    **{h.value: h for h in Hive},
    "HKLM": Hive.HKLM,
    "HKCU": Hive.HKCU,
    "HKU": Hive.HKU,
    "HKCR": Hive.HKCR,
}


@dataclass(frozen=True)
class RegValue:
    data: RegData
    type: int


class RegistryReader(Protocol):
    """Read-only access to registry keys (always the 64-bit view on 64-bit Windows).

    `subkeys` and `values` raise FileNotFoundError when the key does not exist and another
    OSError (PermissionError...) when it cannot be read.
    """

    def subkeys(self, hive: Hive, path: str) -> list[str]: ...

    def values(self, hive: Hive, path: str) -> dict[str, RegValue]: ...

    def expand(self, text: str) -> str:
        """Expand %VARIABLES% in a REG_EXPAND_SZ value as Windows would."""
        ...


def open_windows_registry() -> RegistryReader | None:
    """The live registry on Windows; None elsewhere."""
    if sys.platform == "win32":
        return WindowsRegistry()
    return None


if sys.platform == "win32":
    import winreg

    class WindowsRegistry:
        _ROOTS: ClassVar[dict[Hive, int]] = {
            Hive.HKLM: winreg.HKEY_LOCAL_MACHINE,
            Hive.HKCU: winreg.HKEY_CURRENT_USER,
            Hive.HKU: winreg.HKEY_USERS,
            Hive.HKCR: winreg.HKEY_CLASSES_ROOT,
        }

        def _open(self, hive: Hive, path: str) -> winreg.HKEYType:
            # KEY_WOW64_64KEY: a 32-bit Python must still see the 64-bit view; the 32-bit
            # entries are read explicitly under WOW6432Node.
            access = winreg.KEY_READ | winreg.KEY_WOW64_64KEY
            return winreg.OpenKey(self._ROOTS[hive], path, 0, access)

        def subkeys(self, hive: Hive, path: str) -> list[str]:
            names: list[str] = []
            with self._open(hive, path) as key:
                for index in range(winreg.QueryInfoKey(key)[0]):
                    try:
                        names.append(winreg.EnumKey(key, index))
                    except OSError:  # a key removed while we enumerate
                        break
            return names

        def values(self, hive: Hive, path: str) -> dict[str, RegValue]:
            found: dict[str, RegValue] = {}
            with self._open(hive, path) as key:
                for index in range(winreg.QueryInfoKey(key)[1]):
                    try:
                        name, data, kind = winreg.EnumValue(key, index)
                    except OSError:
                        break
                    found[name] = RegValue(data, kind)
            return found

        def expand(self, text: str) -> str:
            return winreg.ExpandEnvironmentStrings(text)


# --- registry exports (.reg files) -------------------------------------------------------------

_VALUE_LINE = re.compile(r'^(?:@|"((?:[^"\\]|\\.)*)")\s*=\s*(.*)$', re.DOTALL)
_HEX_TYPE = re.compile(r"^hex(?:\(([0-9a-fA-F]+)\))?:(.*)$", re.DOTALL)
_ENV = re.compile(r"%([^%\s]+)%")

DEFAULT_ENVIRONMENT = {
    "SYSTEMROOT": r"C:\Windows",
    "WINDIR": r"C:\Windows",
    "SYSTEMDRIVE": "C:",
    "PROGRAMFILES": r"C:\Program Files",
    "PROGRAMFILES(X86)": r"C:\Program Files (x86)",
    "PROGRAMDATA": r"C:\ProgramData",
    "COMMONPROGRAMFILES": r"C:\Program Files\Common Files",
}


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def _hex_bytes(text: str) -> bytes:
    digits = [d for d in re.split(r"[,\s\\]+", text) if d]
    return bytes(int(d, 16) for d in digits)


def _utf16(data: bytes) -> str:
    return data.decode("utf-16-le", errors="replace")


def _decode_value(raw: str) -> RegValue | None:
    """A value's data as regedit writes it; None for a deletion ("-"). Raises ValueError."""
    raw = raw.strip()
    if raw == "-":
        return None
    if raw.startswith('"'):
        if len(raw) < 2 or not raw.endswith('"'):
            raise ValueError("a string value without its closing quote")
        return RegValue(_unquote(raw[1:-1]), REG_SZ)
    if raw.lower().startswith("dword:"):
        return RegValue(int(raw[6:].strip(), 16) & 0xFFFFFFFF, REG_DWORD)
    match = _HEX_TYPE.match(raw)
    if not match:
        raise ValueError(f"unknown value data {raw[:40]!r}")
    kind = int(match.group(1), 16) if match.group(1) else REG_BINARY
    data = _hex_bytes(match.group(2))
    if kind in (REG_SZ, REG_EXPAND_SZ):
        return RegValue(_utf16(data).split("\0", 1)[0], kind)
    if kind == REG_MULTI_SZ:
        return RegValue([s for s in _utf16(data).split("\0") if s], kind)
    if kind == REG_DWORD and len(data) >= 4:
        return RegValue(int.from_bytes(data[:4], "little"), kind)
    if kind == REG_QWORD and len(data) >= 8:
        return RegValue(int.from_bytes(data[:8], "little"), kind)
    return RegValue(data, kind)


def decode_reg_bytes(data: bytes) -> str:
    """regedit writes UTF-16 with a byte order mark; REGEDIT4 files are in the ANSI code page."""
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return data.decode("utf-16", errors="replace")
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="replace")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("cp1252", errors="replace")


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Lines with hex continuations ("...,\\" then an indented line) joined."""
    lines: list[tuple[int, str]] = []
    pending = ""
    start = 0
    for number, raw in enumerate(text.splitlines(), 1):
        line = raw.strip() if pending else raw.rstrip()
        if not pending:
            start = number
        if line.endswith("\\") and not line.endswith('"') and "=" in pending + line:
            pending += line[:-1]
            continue
        lines.append((start, pending + line))
        pending = ""
    if pending:
        lines.append((start, pending))
    return lines


class RegFileRegistry:
    """A registry served from `.reg` export text: keys, values, and %VAR% expansion."""

    def __init__(self, environment: Mapping[str, str] | None = None) -> None:
        self._keys: dict[tuple[Hive, str], dict[str, RegValue]] = {}
        self._children: dict[tuple[Hive, str], dict[str, str]] = {}
        env = DEFAULT_ENVIRONMENT if environment is None else environment
        self._env = {k.upper(): v for k, v in env.items()}

    @classmethod
    def from_text(
        cls, text: str, environment: Mapping[str, str] | None = None
    ) -> tuple[RegFileRegistry, list[str]]:
        registry = cls(environment)
        problems = registry.load(text)
        return registry, problems

    def load(self, text: str) -> list[str]:
        """Apply an export to this registry; returns a problem per line it could not use."""
        problems: list[str] = []
        current: tuple[Hive, str] | None = None
        lines = _logical_lines(text.lstrip("\ufeff"))
        body = [(n, line.strip()) for n, line in lines if line.strip() and not line.startswith(";")]
        if body and body[0][1] in ("Windows Registry Editor Version 5.00", "REGEDIT4"):
            body = body[1:]
        elif body:
            problems.append("line 1: not a registry export header")
        for number, line in body:
            try:
                if line.startswith("["):
                    current = None  # a broken key line: what follows belongs to no key
                    current = self._key_line(line)
                elif current is None:
                    raise ValueError("a value outside any key")
                else:
                    self._value_line(current, line)
            except ValueError as exc:
                problems.append(f"line {number}: {exc}")
        return problems

    def _key_line(self, line: str) -> tuple[Hive, str] | None:
        """Open (or delete, for "[-...]") a key; the key values that follow go to."""
        if not line.endswith("]"):
            raise ValueError("a key without its closing ']'")
        delete = line.startswith("[-")
        hive, path = self._split(line[2:-1] if delete else line[1:-1])
        if hive is None:
            raise ValueError(f"unknown registry hive in {line[:60]!r}")
        if delete:
            self._delete(hive, path)
            return None
        self._create(hive, path)
        return (hive, path)

    def _value_line(self, key: tuple[Hive, str], line: str) -> None:
        match = _VALUE_LINE.match(line)
        if not match:
            raise ValueError("not a 'name=value' line")
        name = "" if line.startswith("@") else _unquote(match.group(1))
        try:
            value = _decode_value(match.group(2))
        except ValueError as exc:
            raise ValueError(f"value {name!r}: {exc}") from None
        values = self._keys[(key[0], key[1].lower())]
        if value is None:
            values.pop(name, None)
        else:
            values[name] = value

    @staticmethod
    def _split(full: str) -> tuple[Hive | None, str]:
        root, _, path = full.strip().partition("\\")
        return _HIVE_NAMES.get(root.upper()), path.strip("\\")

    def _create(self, hive: Hive, path: str) -> None:
        parts = [p for p in path.split("\\") if p]
        for depth in range(len(parts) + 1):
            key = "\\".join(parts[:depth])
            self._keys.setdefault((hive, key.lower()), {})
            if depth:
                parent = "\\".join(parts[: depth - 1]).lower()
                self._children.setdefault((hive, parent), {})[parts[depth - 1].lower()] = parts[
                    depth - 1
                ]

    def _delete(self, hive: Hive, path: str) -> None:
        lower = path.lower()
        for key in [k for k in self._keys if k[0] == hive]:
            if key[1] == lower or key[1].startswith(lower + "\\"):
                del self._keys[key]
                self._children.pop(key, None)
        parent, _, leaf = lower.rpartition("\\")
        self._children.get((hive, parent), {}).pop(leaf, None)

    def _get(self, hive: Hive, path: str) -> tuple[Hive, str]:
        key = (hive, path.strip("\\").lower())
        if key not in self._keys:
            raise FileNotFoundError(2, "The system cannot find the file specified", path)
        return key

    def subkeys(self, hive: Hive, path: str) -> list[str]:
        return sorted(self._children.get(self._get(hive, path), {}).values(), key=str.lower)

    def values(self, hive: Hive, path: str) -> dict[str, RegValue]:
        return dict(self._keys[self._get(hive, path)])

    def expand(self, text: str) -> str:
        return _ENV.sub(lambda m: self._env.get(m.group(1).upper(), m.group(0)), text)
