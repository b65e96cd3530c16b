"""How the phone was reached: signed into the statement, read back, shown in verify and the PDF."""

from __future__ import annotations

import base64
import json
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, attest, verify_bytes, write_receipt
from audit.attestation.dsse import sign
from audit.attestation.receipt_text import receipt_content
from audit.attestation.statement import build_statement, canonical_json
from audit.cli import main
from audit.errors import AttestationInvalid
from audit.model import Assessment, Connection, ConnectionKind
from audit.provenance import connection_from_dict, connection_to_dict, reached_words
from tests.audit.attestation import builders as b

USB = Connection(
    ConnectionKind.USB, usb_path="1-1", product="sunfish", model="Pixel_4a", device="sunfish"
)
NETWORK = Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555")
LOOPBACK = Connection(ConnectionKind.LOOPBACK, address="127.0.0.1:40123")
EMULATOR = Connection(ConnectionKind.EMULATOR, address="emulator-5554")


def reached(connection: Connection | None, assessment: Assessment) -> Assessment:
    device = replace(assessment.scan.device, connection=connection)
    return replace(assessment, scan=replace(assessment.scan, device=device))


def clean_via(connection: Connection | None, signer: Signer) -> dict[str, Any]:
    return b.clean(
        before=reached(connection, b.before()),
        after=reached(connection, b.after_clean()),
        signer=signer,
    )


def resigned(statement: dict[str, Any], signer: Signer) -> bytes:
    return sign(canonical_json(statement), signer).to_file_bytes()


def test_the_statement_signs_how_the_phone_was_reached(signer: Signer) -> None:
    statement = build_statement(
        **{k: v for k, v in clean_via(USB, signer).items() if k != "signer"}
    )
    assert statement["predicate"]["device"]["connection"] == {
        "kind": "usb",
        "usb_path": "1-1",
        "address": "",
        "product": "sunfish",
        "model": "Pixel_4a",
        "device": "sunfish",
    }
    # the subject names the device, not how it was reached: the same phone on another cable
    other = build_statement(
        **{k: v for k, v in clean_via(NETWORK, signer).items() if k != "signer"}
    )
    assert other["subject"] == statement["subject"]


@pytest.mark.parametrize("connection", [USB, NETWORK, LOOPBACK, EMULATOR, None])
def test_verify_reads_back_the_connection_as_signed(
    connection: Connection | None, signer: Signer
) -> None:
    verified = verify_bytes(attest(**clean_via(connection, signer)).to_file_bytes())
    assert verified.connection == connection


def test_altering_the_connection_breaks_the_signature(signer: Signer) -> None:
    """The signature covers the connection like every other byte: a network phone cannot be
    made to read as a USB one afterwards."""
    data = json.loads(attest(**clean_via(NETWORK, signer)).to_file_bytes())
    payload = base64.b64decode(data["payload"])
    assert b'"kind":"network"' in payload
    forged = payload.replace(b'"kind":"network"', b'"kind":"usb"').replace(
        b'"address":"192.168.1.20:5555"', b'"address":""'
    )
    data["payload"] = base64.b64encode(forged).decode("ascii")
    with pytest.raises(AttestationInvalid, match="signature"):
        verify_bytes(json.dumps(data, indent=2).encode())


def test_a_receipt_without_a_connection_reads_as_not_recorded(signer: Signer) -> None:
    """Receipts made before the connection was recorded have no such key: still valid, and
    never taken for a cable."""
    statement = json.loads(attest(**clean_via(USB, signer)).payload)
    del statement["predicate"]["device"]["connection"]
    verified = verify_bytes(resigned(statement, signer))
    assert verified.connection is None
    assert reached_words(verified.connection).startswith("not recorded")


@pytest.mark.parametrize(
    ("value", "why"),
    [
        ("usb", "not an object"),
        ({"kind": "cable"}, "its kind is 'cable'"),
        ({"kind": "usb", "usb_path": 12}, "its usb_path is not text"),
        ({"kind": "network", "address": ""}, "its address is missing"),
        ({"kind": "network", "address": "10.0.0.2:5555", "usb_path": "1-1"}, "gives a usb_path"),
        ({"kind": "this_computer"}, "does not fit a android device"),
    ],
)
def test_a_malformed_connection_is_refused_naming_it(value: Any, why: str, signer: Signer) -> None:
    statement = json.loads(attest(**clean_via(USB, signer)).payload)
    statement["predicate"]["device"]["connection"] = value
    with pytest.raises(AttestationInvalid) as caught:
        verify_bytes(resigned(statement, signer))
    assert "'predicate.device.connection' is malformed" in caught.value.message
    assert why in caught.value.message


def test_the_demo_phone_s_connection_on_a_device_not_marked_simulated_is_refused(
    signer: Signer,
) -> None:
    statement = json.loads(attest(**clean_via(USB, signer)).payload)
    statement["predicate"]["device"]["connection"] = {"kind": "demo"}
    with pytest.raises(AttestationInvalid, match="names the demo phone"):
        verify_bytes(resigned(statement, signer))
    statement["predicate"]["device"]["simulated"] = True
    assert verify_bytes(resigned(statement, signer)).simulated


def _receipt(tmp_path: Path, connection: Connection | None, signer: Signer) -> Path:
    path = tmp_path / f"{connection.kind.value if connection else 'old'}.json"
    write_receipt(attest(**clean_via(connection, signer)), path)
    return path


def test_verify_says_how_each_phone_was_reached_in_words(
    tmp_path: Path, signer: Signer, capsys: pytest.CaptureFixture[str]
) -> None:
    files = [_receipt(tmp_path, c, signer) for c in (USB, NETWORK, LOOPBACK, EMULATOR, None)]
    assert main(["verify", *map(str, files)]) == 0  # genuine receipts of real (signed) devices
    blocks = capsys.readouterr().out.split("\n\n")[: len(files)]
    lines = [
        next(ln for ln in block.splitlines() if ln.startswith("  reached")) for block in blocks
    ]
    assert lines == [
        "  reached   by USB cable (USB port 1-1)",
        "  reached   over the network, not a USB cable (192.168.1.20:5555)",
        "  reached   over the network from a program on this computer, not a USB cable (it may "
        "be a simulator, not a phone): 127.0.0.1:40123",
        "  reached   through a phone emulator on this computer, not a real phone on a USB cable "
        "(emulator-5554)",
        "  reached   not recorded (made before Device Audit recorded how a device was reached)",
    ]
    assert main(["verify", "--json", str(files[1])]) == 0
    [result] = json.loads(capsys.readouterr().out)
    assert result["connection"] == connection_to_dict(NETWORK)
    assert result["remote"] is True
    assert result["reached"] == "over the network, not a USB cable (192.168.1.20:5555)"


def test_the_receipt_text_names_a_network_phone(signer: Signer) -> None:
    content = receipt_content(verify_bytes(attest(**clean_via(NETWORK, signer)).to_file_bytes()))
    assert "Reached    over the network, not a USB cable (192.168.1.20:5555)" in content.to_text()
    usb = receipt_content(verify_bytes(attest(**clean_via(USB, signer)).to_file_bytes()))
    [device] = [section for section in usb.sections if section.title == "Device"]
    assert ("Reached", "by USB cable (USB port 1-1)") in [
        (ln.label, ln.value) for ln in device.lines
    ]
    assert usb.technical is not None
    assert any(
        line.value == "usb:1-1 product:sunfish model:Pixel_4a device:sunfish"
        for line in usb.technical.lines
    )


# --- the one reader, fuzzed --------------------------------------------------------------------

_JSON = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_FIELDS = st.sampled_from(["kind", "usb_path", "address", "product", "model", "device", "x"])
_VALUES = st.sampled_from([k.value for k in ConnectionKind]) | _JSON


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    data=st.one_of(_JSON, st.dictionaries(_FIELDS, _VALUES, max_size=6)),
    device_kind=st.sampled_from([None, "android", "computer"]),
)
def test_the_reader_accepts_or_names_the_fault_and_never_raises_anything_else(
    data: Any, device_kind: str | None
) -> None:
    try:
        connection = connection_from_dict(data, device_kind=device_kind)
    except ValueError as error:
        assert str(error).startswith(("it ", "its "))
        return
    if connection is not None:
        # what was accepted writes back to the same value
        assert connection_from_dict(connection_to_dict(connection)) == connection
        assert reached_words(connection)


_SIGNER = Signer.generate()
_STATEMENT = json.loads(attest(**clean_via(USB, _SIGNER)).payload)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(value=st.dictionaries(_FIELDS, _VALUES, max_size=6))
def test_verify_never_fails_on_a_connection_with_anything_but_a_named_reason(value: Any) -> None:
    statement = json.loads(json.dumps(_STATEMENT))
    statement["predicate"]["device"]["connection"] = value
    try:
        verified = verify_bytes(resigned(statement, _SIGNER))
    except AttestationInvalid as error:
        assert "connection" in error.message
    else:
        assert verified.connection is not None
