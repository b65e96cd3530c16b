"""The trust rules (audit.store.trust) on any input: never a traceback, never witnessed without
an enrolled key and a cable, never a known policy without its exact digest."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Attester
from audit.cli import main
from audit.model import Connection, ConnectionKind
from audit.store.trust import Assurance, KnownPolicies, Technician, judge
from tests.audit.store import factory as f

KNOWN = KnownPolicies.load(None)
HEX = st.text("0123456789abcdef", min_size=0, max_size=64)
TEXT = st.text(max_size=40)
CONNECTIONS = st.one_of(
    st.none(),
    st.builds(
        Connection,
        kind=st.sampled_from(ConnectionKind),
        usb_path=TEXT,
        address=TEXT,
    ),
)


@settings(max_examples=200, deadline=None)
@given(policy_id=TEXT, sha=HEX)
def test_only_a_known_id_and_digest_pair_is_a_known_policy(policy_id: str, sha: str) -> None:
    problem = KNOWN.problem(policy_id, sha)
    known = KNOWN.by_sha.get(sha)
    assert (problem == "") == (known is not None and known.id == policy_id)


def test_the_built_in_presets_are_known_by_their_shipped_digest() -> None:
    assert KNOWN.problem(f.POLICY.id, f.POLICY.sha256) == ""
    assert KNOWN.problem(f.POLICY.id, "0" * 64) != ""


@settings(max_examples=200, deadline=None)
@given(
    attester=st.builds(Attester, name=TEXT, staff_id=TEXT, technician=TEXT),
    signer=HEX,
    connection=CONNECTIONS,
    enrolment=st.tuples(TEXT, st.booleans()),
)
def test_witnessed_only_by_an_enrolled_active_key_of_that_technician_on_a_cable(
    attester: Attester, signer: str, connection: Connection | None, enrolment: tuple[str, bool]
) -> None:
    enrolled_name, revoked = enrolment
    now = datetime(2023, 3, 28, tzinfo=UTC)
    revoked_at = now if revoked else None
    tech = Technician(signer, enrolled_name, "Lead", now, "Lead" if revoked else "", revoked_at)
    technician = attester.technician
    judged = judge(attester, signer, connection, {signer: tech})
    if judged.assurance is Assurance.WITNESSED:
        assert technician and not revoked and connection is not None and connection.cabled
        assert enrolled_name == technician  # exactly: a look-alike name is refused
        assert judged.identity == f"technician:{technician}"
    if not technician:
        # An enrolled technician key is never pinned as a staff id's own key.
        assert judged.refusal and judged.identity == f"technician:{enrolled_name}"
        assert judged.assurance is Assurance.SELF_ATTESTED
    unenrolled = judge(attester, signer, connection, {})
    assert unenrolled.assurance is Assurance.SELF_ATTESTED
    assert unenrolled.identity == attester.staff_id


@settings(max_examples=60, deadline=None)
@given(fingerprint=st.text(max_size=80), name=TEXT)
def test_technician_commands_never_trace_back(
    fingerprint: str, name: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    db = tmp_path_factory.mktemp("h") / "h.sqlite3"
    for argv in (
        ["technician", "enrol", name or "x", fingerprint, "--by", "Lead", "--db", str(db)],
        ["technician", "revoke", fingerprint, "--by", "Lead", "--db", str(db)],
    ):
        try:
            code = main(argv)
        except SystemExit as exit:  # argparse refusing the fingerprint
            code = int(exit.code or 0)
        assert code in (0, 2)


@settings(max_examples=60, deadline=None)
@given(content=st.binary(max_size=400))
def test_accepting_any_file_as_a_policy_never_traces_back(
    content: bytes, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("p")
    path = folder / "policy.toml"
    path.write_bytes(content)
    code = main(["policy", "accept", str(path), "--by", "Lead", "--db", str(folder / "h.db")])
    assert code == 2  # random bytes are never a valid policy: refused with words


@settings(max_examples=60, deadline=None)
@given(content=st.binary(max_size=400), which=st.text(max_size=80))
def test_exemption_commands_never_trace_back(
    content: bytes, which: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("e")
    path = folder / "exemptions.toml"
    path.write_bytes(content)
    db = str(folder / "h.db")
    for argv in (
        ["exemption", "accept", str(path), "--by", "Lead", "--db", db],
        # after "--": an id may start with "-" (argparse would take it for an option)
        ["exemption", "revoke", "--by", "Lead", "--db", db, "--", which or "x"],
        ["exemption", "list", "--db", db],
    ):
        assert main(argv) in (0, 2)


@settings(max_examples=100, deadline=None)
@given(entry=st.text(max_size=120))
def test_an_accepted_key_is_an_id_and_a_fingerprint_or_refused_with_words(entry: str) -> None:
    from audit.errors import StoreError
    from audit.store.holds import parse_accepted_keys

    try:
        [(identity, fingerprint)] = parse_accepted_keys([entry])
    except StoreError as error:
        assert "ID=FINGERPRINT" in error.message
    else:
        assert identity and entry.startswith(f"{identity}=")
        assert len(fingerprint) == 64 and set(fingerprint) <= set("0123456789abcdef")


@settings(max_examples=40, deadline=None)
@given(entry=st.text(max_size=80))
def test_import_with_any_accepted_key_never_traces_back(
    entry: str, tmp_path_factory: pytest.TempPathFactory
) -> None:
    folder = tmp_path_factory.mktemp("i")
    (folder / "in").mkdir()
    # "--accept-new-key=ENTRY": an entry starting with "-" is otherwise taken for an option
    code = main(
        ["import", str(folder / "in"), "--db", str(folder / "h.db"), f"--accept-new-key={entry}"]
    )
    assert code in (0, 2)


DEEP = "[" * 5000 + "]" * 5000  # JSON nested past Python's recursion limit
CELLS = st.one_of(st.text(max_size=30), st.integers(), st.none(), st.just("[1, 2]"), st.just(DEEP))


@settings(max_examples=150, deadline=None)
@given(
    rows=st.lists(st.lists(CELLS, min_size=0, max_size=13), max_size=4),
    device_json=st.one_of(st.text(max_size=60), st.none(), st.just('{"serial": 5}'), st.just(DEEP)),
    excepted=st.lists(st.tuples(TEXT, TEXT, TEXT, TEXT), max_size=4),
    day=st.text(max_size=12),
)
def test_the_exemption_scope_check_reads_any_stored_row_without_a_traceback(
    rows: list[list[object]], device_json: object, excepted: list[tuple[str, ...]], day: str
) -> None:
    """What the history stores (exemption rows, device JSON, findings) may have been changed
    outside Device Audit: the hold is judged, never a crash; a held audit always says why."""
    from audit.store.holds import EXEMPTION_NOTE, Scope, device_ids, exemption_problem

    full = [row + [""] * (12 - len(row)) for row in rows]  # a stored row has its 12 columns
    scope = Scope(device_ids("android:X", device_json), "nz", tuple(excepted), day=day)  # type: ignore[arg-type]
    words = exemption_problem(frozenset(), "PS-1", full, scope)
    assert words == "" or words.startswith(EXEMPTION_NOTE)
    if full:  # nothing is accepted here: every listed exemption is held
        assert words.startswith(EXEMPTION_NOTE)
