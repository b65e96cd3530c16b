"""The word catalogue is complete: every marked string of the code is in the template, every one
is translated into French (Canada) with the same placeholders, and the compiled .mo the app reads
matches its .po (tools/i18n.py check; docs/translating.md says how to fix each problem)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

ROOT = Path(__file__).resolve().parents[1]


def _tools() -> ModuleType:
    """tools/i18n.py, which is not a package (it is not shipped)."""
    spec = importlib.util.spec_from_file_location(
        "device_audit_i18n_tools", ROOT / "tools" / "i18n.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


def test_the_catalogue_is_complete_and_matches_the_code() -> None:
    problems = _tools().check()
    shown = "\n".join(problems[:40]) + (
        f"\n... and {len(problems) - 40} more" if len(problems) > 40 else ""
    )
    assert not problems, f"run `python tools/i18n.py all`, then translate:\n{shown}"


def test_the_column_labels_of_the_command_line_keep_their_width_in_french() -> None:
    """`verify` and `attest` print "  signer    VALUE" lines whose values line up: a label's
    translation must take the same width, or the French columns go ragged."""
    import re

    tools = _tools()
    label = re.compile(r"^(  \S.*? +)\{value\}")
    catalog = tools._read(tools._po("fr_CA"), "fr_CA")
    ragged = []
    for message in catalog:
        english = label.match(message.id) if isinstance(message.id, str) else None
        if english is None:
            continue
        french = label.match(message.string)
        if french is None or len(french.group(1)) != len(english.group(1)):
            ragged.append(f"{message.id!r} -> {message.string!r}")
    assert ragged == []
    assert len([m for m in catalog if isinstance(m.id, str) and label.match(m.id)]) >= 8
