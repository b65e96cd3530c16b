"""The app on a team history (issue 18's "done when"), on a real PostgreSQL server with real
roles: two benches' recorders and a command-line import write at once and the office's reads
and export count them all; the office cannot write and is told so in words; the dialog keeps
the password in the keyring, never in the settings file; a bench whose server stops keeps its
audits on this computer and sends them later."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import date
from pathlib import Path
from urllib.parse import quote

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QLabel, QMenu
from pytestqt.qtbot import QtBot

from audit.attestation import Signer
from audit.errors import AuditError
from audit.model import ActionKind, ActionResult, Device
from audit.store import Store, outbox
from audit.store.pg import redact, remember_password
from tests.audit.team.test_outbox import _ctl, own_server  # noqa: F401  # the fixture
from tests.audit.team.test_roles import Team
from tests.audit.team.test_team_store import receipts
from tests.helpers import postgres as pg
from tests.helpers.memkeyring import MemoryKeyring, memory_keyring  # noqa: F401  # the fixture
from tests.ui.samples import assess, phone_scan
from ui import exports
from ui import settings as app_settings
from ui.ops import Operations
from ui.recorder import AuditHandle, AuditRecorder
from ui.team_history import TeamHistoryDialog, chosen, history_words, split_address

psycopg = pytest.importorskip("psycopg", reason="psycopg is in the test extra")
pytestmark = pytest.mark.postgres

WAIT = 30_000


@pytest.fixture
def ops() -> Iterator[Operations]:
    operations = Operations(max_workers=4)
    yield operations
    operations.shutdown()


def phone(serial: str) -> object:
    scan = phone_scan(serial=serial)
    return assess(replace(scan, device=replace(scan.device, id=Device.android_id(serial))))


def signed_in(team: Team, group: str) -> str:
    """The address the app keeps for `group`'s person (no password), the password in the
    keyring as the dialog leaves it."""
    return remember_password(team.address[group], team.passwords[group])


def answer_of(qtbot: QtBot, dialog: TeamHistoryDialog) -> str:
    """The words of the dialog's connection test, which runs in the background."""
    with qtbot.waitSignal(dialog.tested, timeout=WAIT) as answer:
        dialog.test()
    return str(answer.args[0])


def recorded(qtbot: QtBot, recorder: AuditRecorder, serials: list[str]) -> list[AuditHandle]:
    handles = [recorder.begin(phone(s), staff_id=f"PS-{s}") for s in serials]  # type: ignore[arg-type]
    return handles


def test_two_benches_and_a_cli_import_at_once_and_the_office_sees_and_exports_them_all(
    qtbot: QtBot,
    ops: Operations,
    postgres_dsn: str,
    memory_keyring: MemoryKeyring,  # noqa: F811
    tmp_path: Path,
) -> None:
    team = Team(postgres_dsn)
    technician = signed_in(team, "technician")
    assert team.passwords["technician"] not in technician
    receipts(tmp_path / "in", Signer.generate(), 12)
    environment = dict(os.environ, PGPASSWORD=team.passwords["technician"])
    cli = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys; from audit.cli import main; sys.exit(main(sys.argv[1:]))",
            "import",
            str(tmp_path / "in"),
            "--db",
            technician,
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    other_bench = Operations(max_workers=4)  # another app instance: its own helper
    bench_a = AuditRecorder(ops, technician)
    bench_b = AuditRecorder(other_bench, technician)
    failures: list[BaseException] = []
    for bench in (bench_a, bench_b):
        bench.failed.connect(failures.append)
    handles = recorded(qtbot, bench_a, ["A1", "A2", "A3"]) + recorded(qtbot, bench_b, ["B1", "B2"])
    out, err = cli.communicate(timeout=120)
    assert cli.returncode == 0, err
    assert team.passwords["technician"] not in out + err
    qtbot.waitUntil(lambda: bench_a.wait_idle() and bench_b.wait_idle(), timeout=WAIT)
    assert failures == []
    assert all(h.id is not None for h in handles)
    bench_a.close()
    bench_b.close()
    other_bench.shutdown()

    office = AuditRecorder(ops, signed_in(team, "office"))
    counted: list[object] = []
    office.run("t:count", lambda store, _p, _c: store.count(), counted.append)
    export = tmp_path / "office.csv"
    office.run(
        "t:export",
        lambda store, _p, _c: exports.export_audits_file(store, export, "", date.today()),
        counted.append,
        read_only=True,
    )
    qtbot.waitUntil(lambda: len(counted) == 2, timeout=WAIT)
    assert counted[0] == 12 + 5  # the CLI's twelve receipts and the benches' five checks
    assert counted[1] == 12 + 5  # one row per person's device, every one of them
    assert export.read_text(encoding="utf-8").count("\n") == 12 + 5 + 1
    assert history_words(office.path) == f"History: {redact(team.address['office'])}"
    office.close()


def test_the_office_cannot_write_and_is_told_so_in_words(
    qtbot: QtBot,
    ops: Operations,
    postgres_dsn: str,
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    team = Team(postgres_dsn)
    office = AuditRecorder(ops, signed_in(team, "office"))
    failures: list[BaseException] = []
    office.failed.connect(failures.append)
    handle = office.begin(phone("O1"))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(failures) and office.wait_idle(), timeout=WAIT)
    assert handle.id is None
    words = f"{failures[0]} {getattr(failures[0], 'next_step', '')}"
    assert "may not do this" in words
    assert team.passwords["office"] not in words
    assert not outbox.outbox_path().exists()  # a refusal is not "away": nothing is queued
    office.close()
    with Store(postgres_dsn) as store:
        assert store.count() == 0


def test_the_dialog_keeps_the_password_in_the_keyring_never_in_the_settings_file(
    qtbot: QtBot,
    postgres_dsn: str,
    memory_keyring: MemoryKeyring,  # noqa: F811
    isolated_settings: Path,
) -> None:
    team = Team(postgres_dsn)
    secret = team.passwords["technician"]
    dialog = TeamHistoryDialog()
    qtbot.addWidget(dialog)
    dialog.address.setText(team.address["technician"])  # the password typed in the address
    words = answer_of(qtbot, dialog)
    assert "the history holds 0 audits" in words and secret not in words
    dialog.password.setText("wrong-password")
    refused = answer_of(qtbot, dialog)
    assert "wrong-password" not in refused and secret not in refused
    assert "0 audits" not in refused
    dialog.password.clear()
    assert dialog.use_team()
    assert dialog.target == redact(team.address["technician"])
    assert secret not in dialog.address.text()
    written = "".join(p.read_text(encoding="utf-8") for p in isolated_settings.rglob("*.ini"))
    assert app_settings.team_history() == dialog.target
    assert "team=" in written  # the choice is in the file read back, its password is not
    assert secret not in written
    assert list(memory_keyring.secrets.values()) == [secret]
    assert chosen() == dialog.target
    with Store(str(chosen())) as store:
        assert store.count() == 0  # the kept address and the keyring's password open it

    again = TeamHistoryDialog()
    qtbot.addWidget(again)
    again.address.setText("http://example.org/not-a-history")
    assert not again.use_team()
    assert app_settings.team_history() == dialog.target  # a refused address changes nothing
    again.use_own()
    assert app_settings.team_history() == "" and chosen() is None


@pytest.mark.parametrize(
    "address",
    [
        "postgresql://tech:pass/word@server:5432/team",  # a '/' in an unquoted password
        "postgresql://tech@server:5432/team?password=pass/word",
        "postgresql://tech:pass%2Fword@server/team?sslmode=require&password=pass/word",
        "postgresql://tech@server:pass/word/team",
        "postgresql://tech@server/%80pass/word",
    ],
)
def test_a_password_typed_anywhere_in_the_address_never_reaches_the_settings(
    qtbot: QtBot,
    memory_keyring: MemoryKeyring,  # noqa: F811
    isolated_settings: Path,
    address: str,
) -> None:
    dialog = TeamHistoryDialog()
    qtbot.addWidget(dialog)
    dialog.address.setText(address)
    kept = dialog.use_team()
    written = "".join(p.read_text(encoding="utf-8") for p in isolated_settings.rglob("*.ini"))
    for shown in (
        written,
        dialog.answer.text(),
        app_settings.team_history(),
        history_words(chosen()),
    ):
        assert "pass/word" not in shown and "pass%2Fword" not in shown
    assert kept == (app_settings.team_history() != "")
    if not kept:
        assert "cannot" in dialog.answer.text() or "not a team history" in dialog.answer.text()


def test_the_main_window_names_the_team_history_and_offers_the_dialog(
    qtbot: QtBot, monkeypatch: pytest.MonkeyPatch
) -> None:
    from ui.main_window import MainWindow
    from ui.sources import Sources

    monkeypatch.setenv("DEVICE_AUDIT_DB", "postgresql://tech:s3cret@server:5432/team")
    window = MainWindow(Sources(None, None, None), auto_scan_local=False, auto_scan_phones=False)
    qtbot.addWidget(window)
    label = window.findChild(QLabel, "historyInUse")
    assert label is not None and not label.isHidden()
    assert label.text() == "History: postgresql://tech@server:5432/team"
    assert "s3cret" not in label.text() + window.windowTitle()
    assert window.recorder.path == "postgresql://tech:s3cret@server:5432/team"
    action = window.findChild(QAction, "teamHistoryAction")
    file_menu = next(m for m in window.menuBar().findChildren(QMenu) if m.title() == "&File")
    assert action is not None and action in file_menu.actions()
    action.trigger()
    dialog = window.findChild(TeamHistoryDialog)
    assert dialog is not None and dialog.address.text() == ""  # the variable's is not shown
    dialog.use_own()
    assert window.recorder.path is None
    assert label.isHidden()


def test_a_bench_whose_server_stops_keeps_its_audit_and_sends_it_later(
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    _ctl(own_server, "start")
    name = "app_outbox"
    with psycopg.connect(own_server.dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING UTF8 LOCALE 'C'")
    dsn = own_server.dsn(name)
    Store(dsn).close()
    address = remember_password(dsn, own_server.password)
    _ctl(own_server, "stop")
    try:
        bench = AuditRecorder(ops, address)
        told: list[object] = []
        failures: list[BaseException] = []
        bench.held.connect(told.append)
        bench.failed.connect(failures.append)
        handle = bench.begin(phone("Z1"))  # type: ignore[arg-type]
        qtbot.waitUntil(lambda: bool(told or failures) and bench.wait_idle(), timeout=WAIT)
        assert failures == []
        assert handle.id is not None
        notice = told[0]
        assert "saved on this computer" in notice.text  # type: ignore[attr-defined]
        assert own_server.password not in notice.text  # type: ignore[attr-defined]
        assert outbox.waiting() == 1
        bench.close()
    finally:
        _ctl(own_server, "start")

    later = AuditRecorder(ops, address)  # the next run of the app, the server back
    sent: list[object] = []
    later.held.connect(sent.append)
    later.begin(phone("Z2"))  # type: ignore[arg-type]
    qtbot.waitUntil(lambda: bool(sent) and later.wait_idle(), timeout=WAIT)
    assert "1 audit sent to the team history" in sent[0].text  # type: ignore[attr-defined]
    assert outbox.waiting() == 0
    later.close()
    with Store(dsn) as store:
        assert store.count() == 2


@settings(max_examples=150, deadline=None)
@given(
    user=st.text(min_size=1, max_size=12),
    secret=st.text(min_size=4, max_size=16).filter(lambda s: s.strip() == s and len(set(s)) > 2),
    where=st.text(max_size=20),
    form=st.sampled_from(
        ["{u}:{p}@{w}", "{u}@{w}?password={p}", "{u}:{p}@{w}/db", "{u}@{w}/db?password={p}"]
    ),
)
def test_reading_any_address_never_shows_its_password(
    user: str, secret: str, where: str, form: str
) -> None:
    """The address box is a reader of input: anything typed is refused in words or kept
    without its password, never echoed with it."""
    assume(secret not in user and secret not in where and secret not in "postgresql://db")
    address = "postgresql://" + form.format(u=quote(user, safe=""), p=secret, w=where)
    try:
        kept, _password = split_address(address, "")
    except AuditError as refused:
        said = f"{refused.message} {refused.next_step}"
        if secret in said:  # only as part of the refusal's own words ("team" in "team history")
            placeholder = "postgresql://" + form.format(u=quote(user, safe=""), p="\x01", w=where)
            try:
                split_address(placeholder, "")
            except AuditError as same:
                assert secret in f"{same.message} {same.next_step}", said
            else:
                raise AssertionError(said) from None
        return
    assert secret not in kept and quote(secret, safe="") not in kept
    assert history_words(kept).endswith(kept) and kept.isprintable()


def test_a_drop_after_this_run_reached_the_team_is_said_and_never_misfiled(
    qtbot: QtBot,
    ops: Operations,
    own_server: pg.Server,  # noqa: F811
    memory_keyring: MemoryKeyring,  # noqa: F811
) -> None:
    """An audit id from the team history means nothing in the outbox: a drop once this run
    wrote there is a failure said in words, and the outbox stays empty."""
    _ctl(own_server, "start")
    name = "app_drop"
    with psycopg.connect(own_server.dsn(), autocommit=True) as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING UTF8 LOCALE 'C'")
    address = remember_password(own_server.dsn(name), own_server.password)
    bench = AuditRecorder(ops, address)
    failures: list[BaseException] = []
    bench.failed.connect(failures.append)
    first = phone("D1")
    handle = bench.begin(first)  # type: ignore[arg-type]
    qtbot.waitUntil(bench.wait_idle, timeout=WAIT)
    assert handle.id is not None and failures == []
    _ctl(own_server, "stop")
    try:
        bench.add_actions(handle, [removal("D1")])
        qtbot.waitUntil(lambda: bool(failures) and bench.wait_idle(), timeout=WAIT)
        assert own_server.password not in str(failures[0])
        assert not outbox.outbox_path().exists()
        bench.close()
    finally:
        _ctl(own_server, "start")


def removal(serial: str) -> ActionResult:
    return ActionResult(
        kind=ActionKind.UNINSTALL,
        device=Device.android_id(serial),
        identifier="com.zhiliaoapp.musically",
        user="10",
        ok=True,
        message="TikTok was removed from the work profile.",
    )
