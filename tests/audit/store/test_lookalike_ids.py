"""A staff id that only looks like a pinned one must not get past its key: another case, a
look-alike dash, an invisible character, or a staff id written as a technician's identity
(found by an adversarial review: each imported as a row under the person's name)."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Envelope, Signer, write_receipt
from audit.cli import main
from audit.store.lookalike import identity_look
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)
AROHA = f.Person("Aroha Ngata", "PS-1042")


def drop(folder: Path, name: str, envelope: Envelope) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    write_receipt(envelope, folder / name)


def imported(capsys: pytest.CaptureFixture[str], folder: Path, db: Path) -> dict[str, dict]:
    main(["import", str(folder), "--db", str(db), "--json"])
    return {Path(o["file"]).name: o for o in json.loads(capsys.readouterr().out)["files"]}


@pytest.mark.parametrize(
    "lookalike",
    ["ps-1042", "PS\u20101042", "PS-1042\u200b", "PS\u2011\u200d1042", "ＰＳ-1042", "PS -1042 "],
)
def test_a_staff_id_that_looks_like_a_pinned_one_is_refused(
    lookalike: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    own, mallory = Signer.generate(), Signer.generate()
    db = tmp_path / "h.sqlite3"
    drop(
        tmp_path / "a",
        "own.json",
        f.receipt(own, f.phone("A1"), AROHA, f.Outcome.VIOLATION, day=DAY),
    )
    assert imported(capsys, tmp_path / "a", db)["own.json"]["result"] == "imported"
    fake = f.Person("Aroha Ngata", lookalike)
    drop(
        tmp_path / "b",
        "fake.json",
        f.receipt(mallory, f.phone("A1"), fake, f.Outcome.CLEAN, day=DAY),
    )
    outcome = imported(capsys, tmp_path / "b", db)["fake.json"]
    assert outcome["result"] == "refused"
    assert "which looks like 'PS-1042'" in outcome["reason"]


def test_a_staff_id_written_as_a_technicians_identity_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    # Signing refuses such a staff id (statement.check_attester), so it is a forger's
    # re-signed receipt (tests/audit/store/test_lookalike_scripts.py: forged).
    from tests.audit.store.test_lookalike_scripts import forged

    mallory = Signer.generate()
    someone = f.Person("Mallory", "PS-1")
    genuine = f.receipt(mallory, f.phone("M1"), someone, f.Outcome.CLEAN, day=DAY)
    drop(tmp_path, "pose.json", forged(genuine, mallory, staff_id="technician:Sam Lee"))
    outcome = imported(capsys, tmp_path, tmp_path / "h.sqlite3")["pose.json"]
    assert outcome["result"] == "refused"
    assert "written as a technician's identity" in outcome["reason"]


def test_an_ordinary_different_staff_id_is_not_a_lookalike(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    drop(
        tmp_path / "a",
        "a.json",
        f.receipt(Signer.generate(), f.phone("A1"), AROHA, f.Outcome.CLEAN, day=DAY),
    )
    other = f.Person("Ben", "PS-1043")
    drop(
        tmp_path / "b",
        "b.json",
        f.receipt(Signer.generate(), f.phone("B1"), other, f.Outcome.CLEAN, day=DAY),
    )
    imported(capsys, tmp_path / "a", db)
    assert imported(capsys, tmp_path / "b", db)["b.json"]["result"] == "imported"


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=40))
def test_how_an_identity_looks_is_stable_and_never_fails(text: str) -> None:
    look = identity_look(text)
    assert identity_look(look) == look
    assert look == look.strip()


def _own_policy(tmp_path: Path, *, policy_id: str, title: str = "") -> Path:
    """nz-parliament-2025 with TikTok made review-only, under another id (and title)."""
    from audit.paths import resource

    text = resource("policies").joinpath("nz-parliament-2025.toml").read_text("utf-8")
    text = text.replace('id = "nz-parliament-2025"', f'id = "{policy_id}"', 1)
    if title:
        start = text.index("\ntitle = ")
        end = text.index("\n", start + 1)
        text = text[:start] + f'\ntitle = "{title}"' + text[end:]
    path = tmp_path / f"{policy_id}.toml"
    path.write_text(text, "utf-8")
    return path


@pytest.mark.parametrize(
    ("policy_id", "title"),
    [
        ("NZ-Parliament-2025", ""),  # the preset's id in other letters, and its title
        ("NZ-PARLIAMENT-2025", ""),  # (look-alike dashes are refused by the id grammar)
        (
            "our-own-2025",
            "New Zealand Parliament: DeepSeek, WeChat, RedNote, CapCut and TikTok "
            "off devices with parliamentary network access",
        ),  # the preset's title
    ],
)
def test_a_policy_that_reads_as_a_preset_is_not_accepted(
    policy_id: str, title: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _own_policy(tmp_path, policy_id=policy_id, title=title)
    code = main(["policy", "accept", str(path), "--by", "Tom Tech", "--db", str(tmp_path / "h.db")])
    assert code != 0
    assert "reads as the built-in policy 'nz-parliament-2025'" in capsys.readouterr().err


def test_an_organisations_own_policy_is_still_accepted(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    path = _own_policy(tmp_path, policy_id="acme-apps-2025", title="Acme: banned apps 2025")
    db = tmp_path / "h.db"
    assert main(["policy", "accept", str(path), "--by", "Tom Tech", "--db", str(db)]) == 0


@pytest.mark.parametrize("name", ["Sam\nLee", "Sam Lee\u200b", "S" * 201, "  "])
def test_a_technician_name_is_one_readable_line(
    name: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    fingerprint = Signer.generate().fingerprint
    db = tmp_path / "h.db"
    code = main(["technician", "enrol", name, fingerprint, "--by", "Ana", "--db", str(db)])
    assert code != 0
    assert "cannot be enrolled" in capsys.readouterr().err
