"""`device-audit history` still says "compliant_with_exceptions" for a phone whose exemption
expired, and `history --status overdue` leaves it out, while the export and the dashboard count
the same audit overdue.

How a person meets it: a helpdesk scripts its follow-up on the command line ("a CLI for
scripting"): `device-audit history --latest --status overdue --json` lists the people to chase,
`--status compliant_with_exceptions` the people covered. A staff member whose exemption ran out
three days ago keeps TikTok: the dashboard and the export say overdue, but the command-line
history lists the phone as compliant with exceptions and never among the overdue ones, so
nobody chases them. The desktop history passes `as_of=today` (ui/history.py) and gets it
right; the command line passes no day and filters and prints the stored claim.

What the product should do: the command-line history judges each status as of today, as the
window, the export (`status` beside `recorded_status`) and the dashboard do.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from audit.attestation import Signer, write_receipt
from audit.cli import main
from audit.store import Store
from tests.audit.store import factory as f
from tests.helpers.nz_tiktok import POLICY


@pytest.fixture
def history(tmp_path: Path) -> str:
    today = datetime.now(UTC).date()
    expired = today - timedelta(days=3)
    envelope = f.receipt(
        Signer.generate(),
        f.phone("R58MEXPIRED"),
        f.AROHA,
        f.Outcome.EXCEPTED,
        day=today - timedelta(days=10),
        exemption_expires=expired,
    )
    folder = tmp_path / "in"
    folder.mkdir()
    write_receipt(envelope, folder / "aroha.json")
    db = tmp_path / "helpdesk.sqlite3"
    with Store(db) as store:
        f.accept_exemptions(store, f.exemption(f.AROHA, expired))
        store.import_folder(folder)
        [row] = store.export_rows()
        assert row.status == "overdue"  # the export and the dashboard agree on this
        assert store.dashboard(POLICY.id).counts.overdue == 1
    return str(db)


def _listed(db: str, capsys: pytest.CaptureFixture[str], *extra: str) -> list[dict[str, object]]:
    capsys.readouterr()
    main(["history", "--db", db, "--latest", "--json", *extra])
    rows: list[dict[str, object]] = json.loads(capsys.readouterr().out)
    return rows


def test_the_command_line_history_lists_an_expired_exemption_among_the_overdue(
    history: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert [r["staff_id"] for r in _listed(history, capsys, "--status", "overdue")] == ["PS-1042"]


def test_the_command_line_history_never_calls_it_compliant_with_exceptions(
    history: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _listed(history, capsys, "--status", "compliant_with_exceptions") == []
    [row] = _listed(history, capsys)
    assert row["status"] != "compliant_with_exceptions", row
