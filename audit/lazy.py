"""A package's public names, each loaded from its module on first use (issue 15).

`audit.attestation` and `audit.remediation` re-export names from modules that pull in
cryptography, keyring and psutil; `remove --help` and `attest --help` need none of them. The
package keeps a table of where each name lives and gets its `__getattr__` and `__dir__` here
(PEP 562), so `from audit.remediation import plan_for` still works and loads only what it uses.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping
from typing import Any


def lazy_names(
    package: str, where: Mapping[str, str], namespace: dict[str, Any]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """The `__getattr__` and `__dir__` of `package`, whose names live in the modules `where`
    says; a name, once loaded, is kept in the package's `namespace` (its globals())."""

    def getattr_(name: str) -> Any:
        module = where.get(name)
        if module is None:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(module), name)
        namespace[name] = value
        return value

    def dir_() -> list[str]:
        return sorted(set(namespace) | set(where))

    return getattr_, dir_
