"""audit.attestation and audit.remediation load their modules on first use (issue 15), and every
public name is still there, the same object as in its module."""

from __future__ import annotations

import importlib
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("package", ["audit.attestation", "audit.remediation"])
def test_every_public_name_is_importable_and_is_its_modules_own(package: str) -> None:
    module = importlib.import_module(package)
    for name in module.__all__:
        value = getattr(module, name)
        home = getattr(value, "__module__", None)
        if isinstance(home, str) and home.startswith(package + "."):
            assert getattr(importlib.import_module(home), name) is value, name
    assert set(module.__all__) <= set(dir(module))
    with pytest.raises(AttributeError):
        module.no_such_name  # noqa: B018


def test_names_that_share_their_modules_name_stay_functions() -> None:
    """`verify` and `statement_text` are functions in modules of the same name: importing the
    module after the package must not put the module in the function's place."""
    import audit.remediation.session  # noqa: F401  (imports audit.remediation.verify)
    from audit.remediation import statement_text, verify

    assert callable(verify) and not isinstance(verify, type(sys))
    assert callable(statement_text) and not isinstance(statement_text, type(sys))


def test_importing_the_packages_loads_no_keys_or_signing() -> None:
    code = (
        "import sys, audit.attestation, audit.remediation\n"
        "print(sorted(m for m in ('cryptography', 'keyring', 'psutil') if m in sys.modules))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert out.stdout.strip() == "[]"
