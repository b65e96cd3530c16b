"""Adversarial review of issue 18 (team history): numbers and words the compliance office and
the bench read, when the same check reaches a history by different roads.

pytest collects only test_*.py: run by path,
`.venv/bin/python -m pytest tests/audit/team/review_numbers.py -q -p no:randomly`.
"""

from __future__ import annotations

import json
import socket
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import audit.cli
from audit.cli import main
from tests.helpers.memkeyring import memory_keyring  # noqa: F401  # the fixture
from tests.helpers.phones import AdbServer, phone_args

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")

pytestmark = [pytest.mark.adb, pytest.mark.postgres, pytest.mark.usefixtures("memory_keyring")]

NZ = "nz-parliament-2023"
DAY = date.today().isoformat()


def _export(db: str, capsys: pytest.CaptureFixture[str]) -> list[dict[str, Any]]:
    capsys.readouterr()
    assert main(["export", "--db", db, "--format", "json"]) == 0
    rows: list[dict[str, Any]] = json.loads(capsys.readouterr().out)["rows"]
    return rows


def test_one_receipt_counts_the_same_recorded_live_or_imported(
    *,
    sim_phone: Any,
    adb_server: AdbServer,
    postgres_dsn: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setattr(audit.cli, "receipt_pdf_writer", None)
    phone = sim_phone("samsung-work-profile")
    common = [*phone_args(phone, adb_server), "--policy", NZ, "--date", DAY, "--db", postgres_dsn]
    assert main(["remove", *common, "--person", "PS-3001", "--yes"]) == 0
    receipts = tmp_path / "receipts"
    receipts.mkdir()
    attest = ["attest", *common, "--name", "Hemi Walker", "--staff-id", "PS-3001"]
    assert main([*attest, "--accept-statement", "--out", str(receipts / "r.json")]) == 0
    (live,) = _export(postgres_dsn, capsys)

    other = tmp_path / "other-bench.sqlite3"
    main(["import", str(receipts), "--db", str(other)])
    (imported,) = _export(str(other), capsys)
    assert (live["status"], live["trust_note"] != "") == (
        imported["status"],
        imported["trust_note"] != "",
    ), f"live: {live['status']}, imported: {imported['status']} ({imported['trust_note']})"


def _dead_address(postgres_dsn: str) -> str:
    with socket.socket() as probe:  # a port nobody listens on: connection refused
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    p = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    return f"postgresql://{p['user']}@127.0.0.1:{port}/{p['dbname']}?connect_timeout=5"


def test_an_audit_kept_in_the_outbox_is_not_said_recorded_in_the_history(
    *,
    sim_phone: Any,
    adb_server: AdbServer,
    postgres_dsn: str,
    capsys: pytest.CaptureFixture[str],
) -> None:
    phone = sim_phone("samsung-work-profile")
    away = _dead_address(postgres_dsn)
    args = [*phone_args(phone, adb_server), "--policy", NZ, "--db", away, "--person", "PS-3002"]
    main(["remove", *args, "--yes"])
    printed = capsys.readouterr()
    assert "saved on this computer" in printed.err  # the outbox took it: the test can fail
    assert "Recorded in the history as audit" not in printed.out
    # Named by what stays true after the send: the device and the person, never a number.
    assert "Not in the team history yet" in printed.out
    assert "PS-3002" in printed.out.split("Not in the team history yet")[1]


PRESET = Path(audit.cli.__file__).resolve().parents[2] / "resources" / "policies" / f"{NZ}.toml"


def test_a_bench_cannot_record_compliant_under_a_policy_copy_nobody_accepted(
    *,
    sim_phone: Any,
    adb_server: AdbServer,
    postgres_dsn: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    text = PRESET.read_text(encoding="utf-8")
    assert 'catalog = ["tiktok-app"]' in text  # the copy below is what the test says it is
    copy = tmp_path / "nz-bench.toml"
    copy.write_text(
        text.replace(f'id = "{NZ}"', f'id = "{NZ}-bench"', 1).replace(
            'catalog = ["tiktok-app"]', 'catalog = ["deepseek-app"]', 1
        ),
        encoding="utf-8",
    )
    phone = sim_phone("pixel-tiktok-lite")
    args = [*phone_args(phone, adb_server), "--db", postgres_dsn, "--person", "PS-3003"]
    main(["remove", *args, "--policy", str(copy), "--yes"])
    rows = _export(postgres_dsn, capsys)
    counted = [r for r in rows if r["status"] in {"compliant", "compliant_with_exceptions"}]
    assert all(r["trust_note"] for r in counted), counted


def test_a_history_left_behind_by_an_upgrade_says_how_to_bring_it_up_to_date(
    postgres_dsn: str, capsys: pytest.CaptureFixture[str]
) -> None:
    from audit.store.pg_roles import add_person, setup_roles

    setup_roles(postgres_dsn)
    add_person(postgres_dsn, "tech_upg", "technician", "pw-tech-upgrade")
    with psycopg.connect(postgres_dsn, autocommit=True) as server_admin:
        # The history as the release before this one left it: one schema version behind.
        (version,) = server_admin.execute("SELECT user_version FROM da_meta").fetchone()
        server_admin.execute("UPDATE da_meta SET user_version = %s", (version - 1,))
    p = psycopg.conninfo.conninfo_to_dict(postgres_dsn)
    tech = f"postgresql://tech_upg:pw-tech-upgrade@{p['host']}:{p['port']}/{p['dbname']}"
    capsys.readouterr()
    assert main(["history", "--db", tech]) == 2
    said = capsys.readouterr().err
    assert "team roles" in said, said
