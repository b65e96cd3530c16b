"""The inventory file carries how the device was reached; its reader checks the value's form."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from audit import inventory
from audit.errors import InventoryFileError
from audit.model import Connection, ConnectionKind, Device, DeviceKind, ScanResult

PHONE = Device(id="android:R58M123", kind=DeviceKind.ANDROID, name="Galaxy S21", serial="R58M123")
T0 = datetime(2023, 3, 20, 9, 30, tzinfo=UTC)


def document(connection: Connection | None) -> dict[str, Any]:
    scan = ScanResult(device=replace(PHONE, connection=connection), started_at=T0, finished_at=T0)
    data: dict[str, Any] = json.loads(inventory.dumps(scan))
    return data


@pytest.mark.parametrize(
    "connection",
    [
        Connection(ConnectionKind.USB, usb_path="1-1.2", product="o1sxeea", model="SM_G991B"),
        Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555"),
        Connection(ConnectionKind.EMULATOR, address="emulator-5554"),
        None,
    ],
)
def test_the_connection_is_written_and_read_back(connection: Connection | None) -> None:
    data = document(connection)
    assert inventory.loads(json.dumps(data)).device.connection == connection


def test_a_file_from_before_it_was_recorded_reads_as_not_recorded() -> None:
    data = document(Connection(ConnectionKind.USB))
    del data["device"]["connection"]
    assert inventory.loads(json.dumps(data)).device.connection is None


def test_a_malformed_connection_names_its_key() -> None:
    data = document(None)
    data["device"]["connection"] = {"kind": "this_computer"}
    with pytest.raises(InventoryFileError) as caught:
        inventory.loads(json.dumps(data), "phone.json")
    assert caught.value.key == "device.connection"
    assert "its kind, this_computer, does not fit a android device" in caught.value.message


_VALUE = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner),
    max_leaves=8,
)
_CONNECTION = st.dictionaries(
    st.sampled_from(["kind", "usb_path", "address", "product", "model", "device"]),
    st.sampled_from([k.value for k in ConnectionKind]) | _VALUE,
    max_size=6,
)
_BASE = document(None)


@settings(max_examples=200, deadline=None)
@given(value=_CONNECTION | _VALUE)
def test_any_connection_value_is_read_or_refused_naming_it(value: Any) -> None:
    data = json.loads(json.dumps(_BASE))
    data["device"]["connection"] = value
    try:
        scan = inventory.loads(json.dumps(data))
    except InventoryFileError as error:
        assert error.key == "device.connection"
    else:
        assert scan.device.connection is None or scan.device.connection.kind in ConnectionKind
