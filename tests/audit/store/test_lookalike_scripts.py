"""Look-alike identities an adversarial review got past the history (issue 13), each turned
into a test: a staff id or technician name with a Cyrillic or Greek letter, or O for 0, that
reads as another person's; a staff id "technician:Sam Lee" that took a technician's key pin when
the receipt named any technician; and an exemption that names nobody and nothing (it covers
everything), accepted with only a hint. Real keys, real SQLite histories, the real CLI, a
simulated phone through the real adb server."""

from __future__ import annotations

import json
import sqlite3
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Attester, Envelope, Signer, attest, write_receipt
from audit.attestation.dsse import sign
from audit.attestation.statement import canonical_json
from audit.cli import main
from audit.confusables import identity_look, mixed_alphabets
from audit.errors import AttestationRefused
from audit.model import Exemption
from audit.store import Store
from tests.audit.store import factory as f
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.nz_tiktok import STATEMENT
from tests.helpers.phones import AdbServer, PhoneFactory
from tests.phonesim.profiles import PROFILES_DIR

DAY = date(2023, 3, 28)
PAT = f.Person("Pat Kim", "PS-1042")

# Written out by eye for this test, apart from the product's own table: (look-alike, Latin).
TWINS = [
    ("\u0420", "P"),  # Cyrillic Р
    ("\u0440", "p"),
    ("\u0410", "A"),
    ("\u0430", "a"),
    ("\u0415", "E"),
    ("\u0435", "e"),
    ("\u041e", "O"),
    ("\u043e", "o"),
    ("\u0421", "C"),
    ("\u0441", "c"),
    ("\u0425", "X"),
    ("\u0445", "x"),
    ("\u041a", "K"),
    ("\u041c", "M"),
    ("\u041d", "H"),
    ("\u0422", "T"),
    ("\u0412", "B"),
    ("\u0405", "S"),
    ("\u0455", "s"),
    ("\u0406", "I"),
    ("\u0408", "J"),
    ("\u0443", "y"),
    ("\u0391", "A"),  # Greek Alpha
    ("\u0392", "B"),
    ("\u0395", "E"),
    ("\u0396", "Z"),
    ("\u0397", "H"),
    ("\u0399", "I"),
    ("\u039a", "K"),
    ("\u039c", "M"),
    ("\u039d", "N"),
    ("\u039f", "O"),
    ("\u03bf", "o"),
    ("\u03a1", "P"),
    ("\u03a4", "T"),
    ("\u03a5", "Y"),
    ("\u03a7", "X"),
    ("0", "O"),
    ("0", "o"),
    ("1", "l"),
    ("1", "I"),
    ("I", "l"),
]


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def drop(folder: Path, name: str, envelope: Envelope) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    write_receipt(envelope, folder / name)
    return folder / name


def forged(envelope: Envelope, signer: Signer, **attester: str) -> Envelope:
    """The receipt with these attester fields changed and signed again, as someone with a key
    and a text editor would (signing refuses such ids; a forger signs anyway)."""
    statement = json.loads(envelope.payload)
    statement["predicate"]["attester"].update(attester)
    if attester.get("technician"):
        statement["predicate"]["attester"]["mode"] = "technician"
    return sign(canonical_json(statement), signer)


def imported(capsys: pytest.CaptureFixture[str], folder: Path, db: Path) -> dict[str, Any]:
    _code, out, _ = run(capsys, "import", str(folder), "--db", str(db), "--json")
    return {Path(o["file"]).name: o for o in json.loads(out)["files"]}


# --- 1. what an identity looks like -------------------------------------------------------------


@pytest.mark.parametrize(
    ("lookalike", "genuine"),
    [
        ("PS-1O42", "PS-1042"),  # the letter O for a zero
        ("\u0420S-1042", "PS-1042"),  # a Cyrillic Р
        ("\u03a1S-1042", "PS-1042"),  # a Greek Rho
        ("PS-I042", "PS-1042"),  # a capital I for a one
        ("PS-l042", "PS-1042"),  # a small L for a one
        ("Alic\u0435 Smith", "Alice Smith"),  # a Cyrillic е
        ("\u0420\u0405-1042", "PS-1042"),  # every letter Cyrillic
    ],
)
def test_a_lookalike_reads_as_the_genuine_identity(lookalike: str, genuine: str) -> None:
    assert identity_look(lookalike) == identity_look(genuine)


@pytest.mark.parametrize(
    ("one", "other"),
    [("PS-1042", "PS-1043"), ("Ivan", "\u0418\u0432\u0430\u043d"), ("Sam Lee", "Sam Lea")],
)
def test_different_identities_still_read_differently(one: str, other: str) -> None:
    assert identity_look(one) != identity_look(other)


@pytest.mark.parametrize(
    "name",
    [
        "Alic\u0435 Smith",  # Latin with one Cyrillic е
        "\u0420S-1042",  # Cyrillic Р, Latin S
        "\u03a1S-1042",  # Greek Rho, Latin S
        "\u0418\u0432\u0430\u043d \u03a0",  # Cyrillic with Greek
    ],
)
def test_a_name_mixing_lookalike_alphabets_is_refused(name: str) -> None:
    assert "two alphabets that look alike" in mixed_alphabets("staff id", name)


@pytest.mark.parametrize(
    "name",
    [
        "\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432",  # Иван Петров
        "\u039d\u03af\u03ba\u03bf\u03c2 \u03a0\u03b1\u03c0\u03ac\u03c2",  # Νίκος Παπάς
        "Zo\u00eb O'Brien-M\u0101ori",  # Latin with accents
        "\uff30\uff33-1042",  # full-width Latin
        "\u6797\u4e00 PS-7",  # Han beside Latin: not a look-alike alphabet
        "PS-1042",
    ],
)
def test_a_name_in_one_alphabet_is_allowed(name: str) -> None:
    assert mixed_alphabets("staff id", name) == ""


LATIN = sorted({latin for _, latin in TWINS})


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.sampled_from(LATIN + list("-. 23456789")), min_size=1, max_size=20),
    st.data(),
)
def test_a_name_and_its_skeleton_twin_compare_equal(chars: list[str], data: Any) -> None:
    genuine = "".join(chars)
    twin = "".join(
        data.draw(st.sampled_from([c] + [look for look, latin in TWINS if latin == c]))
        for c in chars
    )
    assert identity_look(twin) == identity_look(genuine)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=40))
def test_how_an_identity_looks_never_fails_and_is_stable(text: str) -> None:
    look = identity_look(text)
    assert identity_look(look) == look
    assert isinstance(mixed_alphabets("staff id", text), str)


# --- 2. look-alike staff ids and technician names in a history ----------------------------------


@pytest.mark.parametrize(
    "lookalike", ["PS-1O42", "\u0420S-1042", "PS-I042", "\u0420\u0405-1O42", "\u03a1S-1042"]
)
def test_a_lookalike_staff_id_of_a_pinned_one_is_refused_on_import(
    lookalike: str, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    own, mallory = Signer.generate(), Signer.generate()
    db = tmp_path / "h.sqlite3"
    drop(tmp_path / "a", "own.json", f.receipt(own, f.phone("A1"), PAT, f.Outcome.CLEAN, day=DAY))
    assert imported(capsys, tmp_path / "a", db)["own.json"]["result"] == "imported"
    genuine = f.receipt(mallory, f.phone("A1"), PAT, f.Outcome.CLEAN, day=DAY)
    drop(tmp_path / "b", "fake.json", forged(genuine, mallory, staff_id=lookalike))
    outcome = imported(capsys, tmp_path / "b", db)["fake.json"]
    assert outcome["result"] == "refused"
    assert "two alphabets" in outcome["reason"] or "which looks like 'PS-1042'" in outcome["reason"]


def test_a_mixed_alphabet_staff_id_is_refused_even_in_an_empty_history(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    mallory = Signer.generate()
    genuine = f.receipt(mallory, f.phone("A1"), PAT, f.Outcome.CLEAN, day=DAY)
    drop(tmp_path, "fake.json", forged(genuine, mallory, staff_id="\u0420S-1042"))
    outcome = imported(capsys, tmp_path, tmp_path / "h.sqlite3")["fake.json"]
    assert outcome["result"] == "refused"
    assert (
        "uses letters from two alphabets that look alike (Latin and Cyrillic)"
        in (outcome["reason"])
    )


def test_a_mixed_alphabet_technician_name_is_refused_on_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bench = Signer.generate()
    genuine = f.receipt(bench, f.phone("A1"), PAT, f.Outcome.CLEAN, day=DAY, technician="Alice")
    drop(tmp_path, "t.json", forged(genuine, bench, technician="Alic\u0435 Smith"))
    outcome = imported(capsys, tmp_path, tmp_path / "h.sqlite3")["t.json"]
    assert outcome["result"] == "refused" and "technician's name" in outcome["reason"]


def test_a_cyrillic_lookalike_technician_name_is_not_enrolled(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "h.sqlite3")
    one, two = Signer.generate(), Signer.generate()
    assert (
        run(capsys, "technician", "enrol", "Alice Smith", one.fingerprint, "--by", "B", "--db", db)[
            0
        ]
        == 0
    )
    code, _out, err = run(
        capsys, "technician", "enrol", "Alic\u0435 Smith", two.fingerprint, "--by", "B", "--db", db
    )
    assert code != 0 and "two alphabets that look alike" in err
    _code, out, _ = run(capsys, "technician", "list", "--db", db)
    assert "Alic\u0435" not in out and len(out.strip().splitlines()) == 1


def test_a_name_wholly_in_cyrillic_is_enrolled(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = str(tmp_path / "h.sqlite3")
    ivan = "\u0418\u0432\u0430\u043d \u041f\u0435\u0442\u0440\u043e\u0432"
    code, *_ = run(
        capsys, "technician", "enrol", ivan, Signer.generate().fingerprint, "--by", "B", "--db", db
    )
    assert code == 0


# --- 3. a staff id written as a technician's identity -------------------------------------------


@pytest.mark.parametrize(
    "staff_id", ["technician:Sam Lee", "Technician: Sam Lee", "TECHN1CIAN:Sam"]
)
def test_signing_refuses_a_staff_id_written_as_a_technician(staff_id: str) -> None:
    """What the CLI's and the GUI's attest both end in: the attestation refuses to sign."""
    person = f.Person("Sam Lee", staff_id)
    with pytest.raises(AttestationRefused, match="written like a technician's name"):
        f.receipt(
            Signer.generate(), f.phone("S1"), person, f.Outcome.CLEAN, day=DAY, technician="Nobody"
        )


@pytest.mark.parametrize(
    ("staff_id", "technician"), [("\u0420S-1042", ""), ("PS-1042", "Alic\u0435 Smith")]
)
def test_signing_refuses_a_mixed_alphabet_staff_id_or_technician(
    staff_id: str, technician: str
) -> None:
    before, after, actions = f.audit_inputs(f.phone("S1"), PAT, f.Outcome.CLEAN, day=DAY)
    with pytest.raises(AttestationRefused, match="two alphabets that look alike"):
        attest(
            before=before,
            after=after,
            actions=actions,
            attester=Attester(name="Pat Kim", staff_id=staff_id, technician=technician),
            statement_text=STATEMENT,
            signer=Signer.generate(),
        )


def test_a_forged_technician_staff_id_naming_a_technician_is_refused_on_import(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The review's squat: --technician Nobody let "technician:Sam Lee" in and pin its key."""
    squatter = Signer.generate()
    genuine = f.receipt(squatter, f.phone("S1"), PAT, f.Outcome.CLEAN, day=DAY, technician="Nobody")
    drop(tmp_path, "squat.json", forged(genuine, squatter, staff_id="technician:Sam Lee"))
    db = tmp_path / "h.sqlite3"
    outcome = imported(capsys, tmp_path, db)["squat.json"]
    assert outcome["result"] == "refused"
    assert "written as a technician's identity" in outcome["reason"]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM keys").fetchone() == (0,)


def _pin(db: Path, identity: str, signer: str) -> None:
    """A key pin as a history imported before the import refused such staff ids holds it."""
    with sqlite3.connect(db) as conn:
        conn.execute(
            "INSERT INTO keys (identity, signer, first_seen, source, accepted) VALUES (?,?,?,?,0)",
            (identity, signer, datetime(2026, 12, 1, tzinfo=UTC).isoformat(), "squat.json"),
        )


def test_enrolling_a_technician_whose_identity_a_staff_receipt_holds_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db = tmp_path / "h.sqlite3"
    with Store(db):
        pass  # a history
    squatter, sam = Signer.generate(), Signer.generate()
    _pin(db, "technician:Sam Lee", squatter.fingerprint)
    code, _out, err = run(
        capsys, "technician", "enrol", "Sam Lee", sam.fingerprint, "--by", "Boss", "--db", str(db)
    )
    assert code != 0
    assert "Staff id 'technician:Sam Lee' already holds the place of technician" in err
    assert "enrol the technician under a name that reads differently" in err
    # A look-alike of the name is the same place; another name is free.
    code, *_ = run(
        capsys, "technician", "enrol", "sam lee", sam.fingerprint, "--by", "Boss", "--db", str(db)
    )
    assert code != 0
    code, *_ = run(
        capsys,
        "technician",
        "enrol",
        "Sam Lee PS-77",
        sam.fingerprint,
        "--by",
        "B",
        "--db",
        str(db),
    )
    assert code == 0


def test_a_technicians_own_pin_does_not_block_enrolling_their_next_key(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    """The pin of "technician:Sam" by Sam's own (since revoked) key is his, not a squat."""
    db, folder = tmp_path / "h.sqlite3", tmp_path / "in"
    old, new = Signer.generate(), Signer.generate()
    assert (
        run(capsys, "technician", "enrol", "Sam", old.fingerprint, "--by", "B", "--db", str(db))[0]
        == 0
    )
    drop(
        folder,
        "1.json",
        f.receipt(old, f.phone("W1"), PAT, f.Outcome.CLEAN, day=DAY, technician="Sam"),
    )
    assert imported(capsys, folder, db)["1.json"]["result"] == "imported"
    with sqlite3.connect(db) as conn:
        assert ("technician:Sam",) in conn.execute("SELECT identity FROM keys").fetchall()
    assert (
        run(capsys, "technician", "revoke", old.fingerprint, "--by", "B", "--db", str(db))[0] == 0
    )
    assert (
        run(capsys, "technician", "enrol", "Sam", new.fingerprint, "--by", "B", "--db", str(db))[0]
        == 0
    )


@pytest.mark.adb
@pytest.mark.usefixtures("memory_keyring")
def test_attest_on_the_cli_refuses_a_technician_staff_id_and_writes_nothing(
    sim_phone: PhoneFactory,
    adb_server: AdbServer,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The review's command line: attest --staff-id "technician:Sam Lee" --technician Nobody."""
    data = json.loads((PROFILES_DIR / "pixel-tiktok-lite.json").read_text())
    banned = ("musically", "trill", "capcut", "lemon", "lvoverseas", "aweme")
    data["packages"] = [p for p in data["packages"] if not any(b in p["package"] for b in banned)]
    phone = sim_phone(data)  # a phone with no banned app: it could be attested
    sent = len(phone.commands)
    out = tmp_path / "squat.json"
    code, said, err = run(
        capsys,
        "attest",
        "--device",
        phone.address,
        "--adb-port",
        str(adb_server.port),
        "--policy",
        "nz-parliament-2025",
        "--db",
        str(tmp_path / "bench.sqlite3"),
        "--name",
        "Sam Lee",
        "--staff-id",
        "technician:Sam Lee",
        "--technician",
        "Nobody",
        "--accept-statement",
        "--out",
        str(out),
    )
    assert code != 0, said
    assert "written like a technician's name" in err
    assert not out.exists()
    assert len(phone.commands) == sent  # refused before the phone was scanned
    bench = tmp_path / "bench.sqlite3"  # nothing recorded under that staff id either
    if bench.exists():
        with sqlite3.connect(bench) as conn:
            assert conn.execute("SELECT staff_id FROM audits").fetchall() == []


# --- 4. an exemption that covers everything -----------------------------------------------------


def _exemptions(tmp_path: Path, **scope: Any) -> Path:
    exemption = Exemption(
        id="EX-2",
        reason="blanket",
        approver="Nobody",
        granted=date(2026, 12, 1),
        expires=date(2199, 12, 31),
        **scope,
    )
    return f.exemptions_file(tmp_path / "ex.toml", exemption)


@pytest.mark.parametrize("scope", [{}, {"device": "android:M5A0023981"}])
def test_a_blanket_exemption_is_refused_unless_meant(
    scope: dict[str, str], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db, path = str(tmp_path / "h.sqlite3"), str(_exemptions(tmp_path, **scope))
    code, out, err = run(capsys, "exemption", "accept", path, "--by", "Helpdesk", "--db", db)
    assert code != 0, out
    assert "covers everything" in err and "every banned app of every policy" in err
    assert "--blanket" in err
    _code, out, _ = run(capsys, "exemption", "list", "--db", db, "--json")
    assert json.loads(out) == []
    code, out, _ = run(capsys, "exemption", "accept", path, "--blanket", "--by", "H", "--db", db)
    assert code == 0 and "blanket" in out
    _code, out, _ = run(capsys, "exemption", "list", "--db", db)
    assert "BLANKET" in out
    _code, out, _ = run(capsys, "exemption", "list", "--db", db, "--json")
    assert [e["blanket"] for e in json.loads(out)] == [True]


@pytest.mark.parametrize(
    "scope",
    [
        # One that names no person and no device covers everyone and needs --everyone
        # (tests/audit/store/test_exemption_for_everyone.py), so each names whom it is for.
        {"person": "PS-8"},
        {"device": "android:M5A0023981", "policy": "nz-parliament-2025"},
        {"person": "PS-8", "policy": "nz-parliament-2025"},
        {"device": "android:M5A0023981", "rules": ("tiktok",)},
        {"person": "PS-8", "apps": ("com.zhiliaoapp.musically",)},
    ],
)
def test_an_exemption_that_names_someone_or_something_is_accepted_as_before(
    scope: dict[str, Any], capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    db, path = str(tmp_path / "h.sqlite3"), str(_exemptions(tmp_path, **scope))
    code, out, err = run(capsys, "exemption", "accept", path, "--by", "Helpdesk", "--db", db)
    assert code == 0, err
    _code, out, _ = run(capsys, "exemption", "list", "--db", db, "--json")
    assert [e["blanket"] for e in json.loads(out)] == [False]


def test_a_refused_blanket_file_accepts_none_of_its_exemptions(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    named = f.exemption(PAT, DAY + timedelta(days=30))
    wide = Exemption(
        id="EX-ALL", reason="r", approver="A", granted=DAY, expires=DAY + timedelta(days=9)
    )
    path = f.exemptions_file(tmp_path / "two.toml", named, wide)
    db = str(tmp_path / "h.sqlite3")
    code, _out, err = run(capsys, "exemption", "accept", str(path), "--by", "H", "--db", db)
    assert code != 0 and "EX-ALL covers" in err
    _code, out, _ = run(capsys, "exemption", "list", "--db", db, "--json")
    assert json.loads(out) == []
