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
        assert enrolled_name.casefold() == technician.casefold()
        assert judged.identity == f"technician:{technician}"
    if not technician:
        assert judged.identity == attester.staff_id
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
