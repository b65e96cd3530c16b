"""What `remove` and `attest` print when the team history's server is away and the audit went
to the outbox (issue 18): never "Recorded in the history as audit N", whose N is the outbox's
and names another audit in the team history; instead, that it is kept on this computer, named
by what stays true after the send (its device, and the staff id when there is one)."""

from __future__ import annotations

import socket
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import audit.cli
from audit.cli import main
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, phone_args

pytestmark = [pytest.mark.adb, pytest.mark.usefixtures("memory_keyring")]

NZ = "nz-parliament-2023"


def _nobody_listens() -> str:
    """A team history address whose port refuses connections: a server that is away."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"postgresql://tech@127.0.0.1:{port}/audits?connect_timeout=5"


def test_remove_and_attest_kept_on_this_computer_say_so_by_device_and_person(
    *,
    sim_phone: Any,
    adb_server: AdbServer,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)
    monkeypatch.setenv("PGPASSWORD", "unused")  # refused before any password is asked
    phone = sim_phone("samsung-work-profile")
    common = [*phone_args(phone, adb_server), "--policy", NZ, "--db", _nobody_listens()]
    main(["remove", *common, "--yes"])  # no --person: named by its device only
    removed = capsys.readouterr()
    assert "saved on this computer" in removed.err  # the outbox took it: the test can fail
    assert "Recorded in the history as audit" not in removed.out
    kept = removed.out.split("Not in the team history yet:")[1]
    assert "android:" in kept and "staff id" not in kept, kept

    out = tmp_path / "receipt.json"
    attest = ["attest", *common, "--name", "Hemi Walker", "--staff-id", "PS-3004"]
    attest += ["--date", date.today().isoformat(), "--accept-statement", "--out", str(out)]
    assert main(attest) == 0
    attested = capsys.readouterr()
    assert out.exists()
    assert "Recorded in the history as audit" not in attested.out
    kept = attested.out.split("Not in the team history yet:")[1]
    assert "android:" in kept and "PS-3004" in kept, kept
