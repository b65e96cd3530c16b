"""How a device was reached, in the history and the export: kept per audit, named in words."""

from __future__ import annotations

import csv
import io
import json
from dataclasses import replace
from datetime import date
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.attestation import Signer, write_receipt
from audit.model import Connection, ConnectionKind, Device
from audit.store import Store
from audit.store.export import COLUMNS, write_csv, write_json
from audit.store.queries import stored_connection
from audit.store.receipt_content import MalformedReceipt, device_from_dict
from audit.store.schema import LATEST_VERSION
from tests.audit.store import factory as f

DAY = date(2023, 3, 28)
USB = Connection(ConnectionKind.USB, usb_path="1-1.2", product="panther", model="Pixel_7")
NETWORK = Connection(ConnectionKind.NETWORK, address="192.168.1.20:5555")


def reached(device: Device, connection: Connection | None) -> Device:
    return replace(device, connection=connection)


def test_a_local_audit_keeps_how_its_latest_scan_reached_the_phone(store: Store) -> None:
    before, after, actions = f.audit_inputs(
        reached(f.phone("N1"), USB), f.AROHA, f.Outcome.CLEAN, day=DAY
    )
    # the phone was plugged in for the first scan and reached over Wi-Fi for the rescan
    after = replace(after, scan=replace(after.scan, device=reached(after.scan.device, NETWORK)))
    audit_id = store.record_audit([before, after], actions)
    [summary] = store.history()
    assert summary.connection == NETWORK
    assert store.audit_details(audit_id).summary.connection == NETWORK
    [row] = store.export_rows(today=DAY)
    assert row.connection == "network"
    assert row.reached == "over the network, not a USB cable (192.168.1.20:5555)"


def test_an_imported_receipt_gives_the_connection_it_signs(
    store: Store, signer: Signer, tmp_path: Path
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(
        f.receipt(signer, reached(f.phone("U1"), USB), f.AROHA, f.Outcome.CLEAN, day=DAY),
        folder / "usb.json",
    )
    write_receipt(
        f.receipt(signer, reached(f.phone("W1"), NETWORK), f.BEN, f.Outcome.CLEAN, day=DAY),
        folder / "wifi.json",
    )
    store.import_folder(folder)
    by_device = {a.device_id: a for a in store.history()}
    assert by_device["android:U1"].connection == USB
    assert by_device["android:W1"].connection == NETWORK
    details = store.audit_details(by_device["android:U1"].id)
    assert details.device.connection == USB  # the device as the receipt signed it
    rows = {r.device_id: r for r in store.export_rows(today=DAY)}
    assert rows["android:U1"].reached == "by USB cable (USB port 1-1.2)"
    assert rows["android:W1"].reached.startswith("over the network, not a USB cable")


def test_the_csv_and_json_exports_name_a_network_phone_in_words(store: Store) -> None:
    before, after, actions = f.audit_inputs(
        reached(f.phone("N2"), NETWORK), f.AROHA, f.Outcome.CLEAN, day=DAY
    )
    store.record_audit([before, after], actions)
    rows = store.export_rows(today=DAY)
    out = io.StringIO(newline="")
    write_csv(rows, out)
    header, line = list(csv.reader(io.StringIO(out.getvalue())))
    assert header == list(COLUMNS)
    cells = dict(zip(header, line, strict=True))
    assert (cells["connection"], cells["reached"]) == (
        "network",
        "over the network, not a USB cable (192.168.1.20:5555)",
    )
    document = io.StringIO()
    write_json(rows, document, today=DAY)
    [row] = json.loads(document.getvalue())["rows"]
    assert row["reached"] == cells["reached"]


# What the fifth schema added (accepted policies, technicians, assurance), taken back out.
DROP_V5 = (  # and v7's table and index, and v8's, v9's and v10's, which follow them
    "ALTER TABLE audits DROP COLUMN recorded_by",  # v10
    "DROP TABLE accepted_exemptions",  # v9
    "DROP TABLE key_disputes",
    "DROP INDEX audits_derived",  # v8 (its widened origin check stays: v8 keeps it)
    "ALTER TABLE audits DROP COLUMN derived_from",
    "DROP TABLE inventories",
    "DROP INDEX audits_latest_trust",
    "DROP TABLE settings",
    "DROP TABLE accepted_policies",
    "DROP TABLE technicians",
    "ALTER TABLE audits DROP COLUMN assurance",
    "ALTER TABLE audits DROP COLUMN trust_note",
)


def test_an_audit_recorded_before_connections_were_kept_reads_not_recorded(
    db_path: Path,
) -> None:
    with Store(db_path) as store:
        before, after, actions = f.audit_inputs(
            reached(f.phone("OLD"), USB), f.AROHA, f.Outcome.CLEAN, day=DAY
        )
        store.record_audit([before, after], actions)
        # Back to the third schema: no connection column, version 3.
        store._db.execute("ALTER TABLE audits DROP COLUMN connection")
        for statement in DROP_V5:
            store._db.execute(statement)
        store._db.execute("PRAGMA user_version = 3")
    with Store(db_path) as store:
        assert store._db.execute("PRAGMA user_version").fetchone()[0] == LATEST_VERSION
        [summary] = store.history()
        assert summary.connection is None
        [row] = store.export_rows(today=DAY)
        assert row.connection == ""
        assert row.reached.startswith("not recorded")
        assert store.integrity_check() == "ok"


def test_an_unreadable_stored_connection_is_shown_as_not_recorded(store: Store) -> None:
    """A hand-edited history must not stop the list; it must not read as a cable either."""
    before, after, actions = f.audit_inputs(
        reached(f.phone("ED"), USB), f.AROHA, f.Outcome.CLEAN, day=DAY
    )
    store.record_audit([before, after], actions)
    store._db.execute('UPDATE audits SET connection = \'{"kind": "cable"}\'')
    [summary] = store.history()
    assert summary.connection is None


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


@settings(max_examples=200, deadline=None)
@given(value=_CONNECTION | _VALUE)
def test_a_receipt_s_device_is_read_or_refused_naming_its_connection(value: object) -> None:
    data = {"id": "android:R1", "kind": "android", "connection": value}
    try:
        device = device_from_dict(data, "predicate.device")
    except MalformedReceipt as error:
        assert "'predicate.device.connection'" in str(error)
    else:
        assert device.connection is None or isinstance(device.connection, Connection)


@settings(max_examples=200, deadline=None)
@given(text=st.one_of(st.none(), st.text(max_size=60), _CONNECTION.map(json.dumps)))
def test_a_stored_connection_is_read_back_or_shown_as_not_recorded(text: str | None) -> None:
    connection = stored_connection(text)
    assert connection is None or isinstance(connection, Connection)
