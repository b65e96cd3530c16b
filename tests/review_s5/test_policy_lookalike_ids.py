"""A policy whose banned package name cannot be an Android package name is loaded without a word,
and its rule never matches: the phone with TikTok is judged "Compliant".

How a person does it: the organisation's policy file is written by copying TikTok's package name
from a web page or a chat message. The copy carries a zero-width space or a soft hyphen (both
invisible), or a rogue technician who prepares the file for the helpdesk types one Cyrillic "а"
in "musically". The file reads exactly like the right one on screen; `check` shows the rule, and
`policy accept` takes it. Android's package grammar allows only ASCII letters, digits, "_" and
"." (PackageParser.validateName), so no phone can ever report such a name: the rule is inert, and
every phone with TikTok is signed and counted compliant under it. The loader already refuses a
value with spaces around it ("it starts or ends with spaces") for the same reason; these values
are just as dead but pass.

What the product should do: refuse the file with a clear error naming the key and the
character (as for the spaces), so the rule can never silently match nothing.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from audit.cli import main

TIKTOK = "com.zhiliaoapp.musically"

INVENTORY = """{"format":"device-audit-inventory","version":1,
 "device":{"id":"android:R5CT1","kind":"android","serial":"R5CT1"},
 "started_at":"2026-12-08T03:00:00+00:00",
 "users":[{"id":"0","name":"Owner","kind":"owner"}],
 "sources":[{"name":"android:user0","status":"ok"}],
 "apps":[{"identifier":"com.zhiliaoapp.musically","kind":"android_pkg","name":"TikTok",
          "user":"0","state":"installed"}]}
"""

POLICY = """id = "acme-2026"
title = "Acme: no TikTok"
authority = "Acme Ltd"
deadline = 2023-03-31

[[rule]]
id = "tiktok"
title = "The TikTok app"
identifiers = [ {{ kind = "android_pkg", value = "{value}" }} ]
"""

LOOKALIKES = {
    "cyrillic a": TIKTOK.replace("a", "\u0430", 1),
    "zero-width space": TIKTOK + "\\u200b",  # a TOML escape: the file holds the invisible one
    "soft hyphen": "com.zhiliao\\u00adapp.musically",
    "fullwidth full stop": TIKTOK.replace(".", "\uff0e", 1),
}


def _files(tmp_path: Path, value: str) -> tuple[Path, Path]:
    policy = tmp_path / "acme.toml"
    policy.write_text(POLICY.format(value=value), encoding="utf-8")
    inventory = tmp_path / "phone.json"
    inventory.write_text(INVENTORY, encoding="utf-8")
    return policy, inventory


def test_the_right_name_finds_tiktok(tmp_path: Path) -> None:
    """The control: the same file with the plain name says the phone is not compliant."""
    policy, inventory = _files(tmp_path, TIKTOK)
    assert main(["check", "--policy", str(policy), "--inventory", str(inventory)]) == 1


@pytest.mark.parametrize("value", LOOKALIKES.values(), ids=LOOKALIKES.keys())
def test_a_package_name_no_phone_can_have_never_makes_tiktok_compliant(
    tmp_path: Path, value: str, capsys: pytest.CaptureFixture[str]
) -> None:
    policy, inventory = _files(tmp_path, value)
    code = main(["check", "--policy", str(policy), "--inventory", str(inventory)])
    out = capsys.readouterr()
    # Today: exit 0, "Status:  Compliant: no banned apps found." with TikTok installed.
    assert code != 0, out.out
    assert code == 2, "the policy file should be refused as not valid, naming the key"
    assert "rule[1].identifiers[1].value" in out.err


def test_the_helpdesk_does_not_accept_such_a_policy(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`policy accept` takes the file today ("Accepted: acme-2026 version 1"), so receipts
    signed under it are imported and counted compliant with TikTok on the phone."""
    from audit.store import Store

    policy, _inventory = _files(tmp_path, LOOKALIKES["cyrillic a"])
    db = tmp_path / "history.sqlite3"
    Store(db).close()
    code = main(["policy", "accept", str(policy), "--by", "Helpdesk lead", "--db", str(db)])
    out = capsys.readouterr()
    assert code == 2, out.out
    assert "Accepted" not in out.out
