"""The pending removal carries its audit's uid from `remove` to `attest` (issue 18).

The uid is what finds the removal's audit in whichever history holds it now (the outbox, the
team history): it must survive the file, and the file is the person's to edit, so whatever
stands in it is read as a UUID or not at all, never as a crash.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import replace
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from audit.remediation import pending
from tests.audit.remediation.test_pending import record


def test_the_audit_uid_survives_the_pending_file(tmp_path: Path) -> None:
    uid = str(uuid.uuid4())
    saved = replace(record(), audit_id=3, history_file="/x/outbox.sqlite3", audit_uid=uid)
    path = tmp_path / "pending.json"
    pending.save(saved, path)
    loaded = pending.load(path)
    assert loaded is not None and loaded.audit_uid == uid


def test_a_record_of_an_older_version_has_no_uid() -> None:
    data = pending.to_dict(record())
    del data["audit_uid"]
    assert pending.loads_pending(json.dumps(data)).audit_uid == ""


@settings(max_examples=150, deadline=None)
@given(value=st.one_of(st.text(max_size=60), st.uuids().map(str)))
def test_whatever_the_file_says_the_uid_is_a_uuid_or_nothing(value: str) -> None:
    data = pending.to_dict(record())
    data["audit_uid"] = value
    loaded = pending.loads_pending(json.dumps(data)).audit_uid
    assert loaded == "" or str(uuid.UUID(loaded)) == loaded
