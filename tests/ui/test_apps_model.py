"""The app table model and its filter proxy: model contract, filtering, sorting, plain text."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QTextDocument
from pytestqt.modeltest import ModelTester

from audit.model import AppState, FindingStatus
from tests.ui.samples import HOSTILE, app, assess, many_apps, phone_scan
from ui.apps_model import APP_ROLE, FINDING_ROLE, AppsFilterProxy, AppsTableModel, Column

ALL = ["TikTok", "CapCut", "Chrome", "Gmail", "Notes (c++ edition)", "WhatsApp"]


def names(model: AppsTableModel | AppsFilterProxy) -> list[str]:
    return [model.index(r, Column.NAME).data() for r in range(model.rowCount())]


@pytest.fixture
def model() -> AppsTableModel:
    scan = phone_scan()
    table = AppsTableModel()
    table.set_scan(scan, assess(scan))
    return table


@pytest.fixture
def proxy(model: AppsTableModel) -> AppsFilterProxy:
    filtered = AppsFilterProxy()
    filtered.setSourceModel(model)
    return filtered


def test_model_passes_the_model_tester(qtmodeltester: ModelTester, model: AppsTableModel) -> None:
    qtmodeltester.check(model, force_py=True)


def test_proxy_passes_the_model_tester_while_filtering(
    qtmodeltester: ModelTester, proxy: AppsFilterProxy
) -> None:
    qtmodeltester.check(proxy, force_py=True)
    proxy.set_text("o")
    proxy.set_flagged_only(False)
    proxy.set_user_installed_only(True)
    proxy.sort(Column.NAME, Qt.SortOrder.DescendingOrder)
    proxy.set_text("")


def test_empty_model_passes_the_model_tester(qtmodeltester: ModelTester) -> None:
    qtmodeltester.check(AppsTableModel(), force_py=True)


def test_banned_apps_come_first_and_the_work_profile_is_named(model: AppsTableModel) -> None:
    assert names(model) == ALL
    row = model.row_at(0)
    assert row is not None and row.finding is not None
    assert row.finding.status is FindingStatus.VIOLATION
    assert model.index(0, Column.USER).data() == "Work profile"
    assert model.index(0, Column.SOURCE).data() == "Google Play"
    assert model.index(0, Column.FINDING).data() == "Banned"
    assert model.index(0, Column.NAME).data(APP_ROLE).identifier == "com.zhiliaoapp.musically"
    assert model.index(0, Column.NAME).data(FINDING_ROLE) is row.finding
    assert not model.index(0, Column.FINDING).data(Qt.ItemDataRole.DecorationRole).isNull()
    assert model.index(5, Column.USER).data() == "Main profile"
    assert model.index(1, Column.STATE).data() == "Turned off"


@pytest.mark.parametrize(
    ("text", "flagged", "user_only", "expected"),
    [
        ("", False, False, ALL),
        ("tik", False, False, ["TikTok"]),
        ("TIKTOK", False, False, ["TikTok"]),
        ("zhiliaoapp", False, False, ["TikTok"]),  # identifier column
        ("work profile", False, False, ["TikTok", "Chrome"]),  # user column
        ("turned off", False, False, ["CapCut"]),  # state column
        ("google play", False, False, ["TikTok", "CapCut", "Notes (c++ edition)", "WhatsApp"]),
        ("banned", False, False, ["TikTok"]),  # finding column
        ("c++", False, False, ["Notes (c++ edition)"]),  # literal, not a pattern
        ("(", False, False, ["Notes (c++ edition)"]),
        (".*", False, False, []),
        ("", True, False, ["TikTok"]),
        ("", False, True, ["TikTok", "CapCut", "Notes (c++ edition)", "WhatsApp"]),
        ("main profile", False, True, ["CapCut", "Notes (c++ edition)", "WhatsApp"]),
        ("chrome", True, False, []),
        ("  tiktok  ", True, True, ["TikTok"]),
    ],
)
def test_filter(
    proxy: AppsFilterProxy, text: str, flagged: bool, user_only: bool, expected: list[str]
) -> None:
    proxy.set_text(text)
    proxy.set_flagged_only(flagged)
    proxy.set_user_installed_only(user_only)
    assert names(proxy) == expected


def test_filter_as_you_type_then_clear(proxy: AppsFilterProxy) -> None:
    seen = []
    for typed in ["t", "ti", "tik", "tikt", "tikto", "tiktok", "tiktok!", ""]:
        proxy.set_text(typed)
        seen.append(names(proxy))
    tiktok = ["TikTok"]
    # "t" is in every row ("Installed"); "ti" also in "Notes (c++ edi-ti-on)"
    assert seen == [ALL, ["TikTok", "Notes (c++ edition)"], *[tiktok] * 4, [], ALL]


@pytest.mark.parametrize(
    ("column", "order", "expected"),
    [
        (Column.NAME, Qt.SortOrder.AscendingOrder, sorted(ALL, key=str.casefold)),
        (Column.NAME, Qt.SortOrder.DescendingOrder, sorted(ALL, key=str.casefold, reverse=True)),
        (
            Column.VERSION,  # 1.0, 2.23.5, 8.0, 9.1, 10.2, 29.3.4: numbers, not text
            Qt.SortOrder.AscendingOrder,
            ["Gmail", "WhatsApp", "CapCut", "Notes (c++ edition)", "Chrome", "TikTok"],
        ),
    ],
)
def test_sorting_through_the_proxy(
    proxy: AppsFilterProxy, column: Column, order: Qt.SortOrder, expected: list[str]
) -> None:
    proxy.sort(column, order)
    assert names(proxy) == expected


def test_sorting_keeps_the_selection_on_the_same_app(
    model: AppsTableModel, proxy: AppsFilterProxy
) -> None:
    from PySide6.QtCore import QPersistentModelIndex

    kept = QPersistentModelIndex(proxy.index(0, Column.NAME))  # TikTok
    proxy.sort(Column.NAME, Qt.SortOrder.DescendingOrder)
    assert kept.isValid()
    assert kept.data() == "TikTok"
    assert kept.row() == names(proxy).index("TikTok")


def test_a_filter_stays_right_when_the_rows_are_sorted_or_replaced(
    model: AppsTableModel, proxy: AppsFilterProxy
) -> None:
    """The proxy keeps each source row's verdict for the current filter: a new order or new
    rows must not be judged by the old verdicts."""
    proxy.set_text("ti")
    assert names(proxy) == ["TikTok", "Notes (c++ edition)"]
    proxy.sort(Column.NAME, Qt.SortOrder.AscendingOrder)  # the source rows change places
    assert names(proxy) == ["Notes (c++ edition)", "TikTok"]
    scan = phone_scan(app("com.example.tiles", "Tiles"), app("com.example.mail", "Mail"))
    model.set_scan(scan, assess(scan))  # more rows, others in their places
    assert sorted(names(proxy)) == ["Notes (c++ edition)", "TikTok", "Tiles"]
    proxy.set_text("mail")
    assert names(proxy) == ["Gmail", "Mail"]


def test_device_text_stays_plain(model: AppsTableModel) -> None:
    scan = phone_scan(app("com.evil.app", HOSTILE, installer=HOSTILE, version=HOSTILE))
    model.set_scan(scan, assess(scan))
    row = names(model).index(HOSTILE)
    for column in (Column.NAME, Column.VERSION):
        assert model.index(row, column).data() == HOSTILE
    for column in (Column.NAME, Column.SOURCE):
        tip = model.index(row, column).data(Qt.ItemDataRole.ToolTipRole)
        document = QTextDocument()
        document.setHtml(tip)
        assert HOSTILE in document.toPlainText()
        assert "<img" not in document.toHtml()  # the image tag did not become an image


def test_ten_thousand_rows_filter_correctly(model: AppsTableModel) -> None:
    scan = many_apps(10_000)
    model.set_scan(scan, assess(scan))
    proxy = AppsFilterProxy()
    proxy.setSourceModel(model)
    assert proxy.rowCount() == 10_000
    proxy.set_text("tiktok")
    assert proxy.rowCount() == 10
    assert {proxy.index(r, Column.NAME).data() for r in range(10)} == {"TikTok"}
    proxy.set_text("")
    proxy.set_user_installed_only(True)
    assert proxy.rowCount() == sum(not a.system for a in scan.apps) == 6670


def test_out_of_range_indexes_are_invalid(model: AppsTableModel) -> None:
    assert not model.index(99, 0).isValid()
    assert not model.index(0, 99).isValid()
    assert not model.index(0, 0, model.index(0, 0)).isValid()
    assert model.data(QModelIndex()) is None


def test_a_phone_app_without_a_version_name_shows_its_build_number(
    qtmodeltester: ModelTester, model: AppsTableModel
) -> None:
    scan = phone_scan(
        app("com.a.big", "Big build", version="", version_code=100),
        app("com.a.small", "Small build", version="", version_code=99),
        app("com.a.none", "No version", version="", version_code=None),
    )
    model.set_scan(scan, assess(scan))
    qtmodeltester.check(model, force_py=True)
    shown = {model.index(r, Column.NAME).data(): model.index(r, Column.VERSION) for r in range(9)}
    assert shown["Big build"].data() == "build 100"
    assert shown["No version"].data() == ""
    tip = shown["Big build"].data(Qt.ItemDataRole.ToolTipRole)
    assert "Build number 100" in tip and "only for the apps the policy flags" in tip
    assert "Build number" not in shown["TikTok"].data(Qt.ItemDataRole.ToolTipRole)
    model.sort(Column.VERSION, Qt.SortOrder.AscendingOrder)
    order = names(model)
    assert order.index("Small build") < order.index("Big build")  # 99 before 100, as numbers
    assert order.index("TikTok") < order.index("Small build")  # version names, then builds


def test_the_state_tool_tip_explains_the_state(model: AppsTableModel) -> None:
    scan = phone_scan(
        app("com.sys.app", "System app", state=AppState.REMOVED_FOR_USER, system=True)
    )
    model.set_scan(scan, assess(scan))
    row = names(model).index("System app")
    assert model.index(row, Column.STATE).data() == "Removed for this user"
    tip = model.index(row, Column.STATE).data(Qt.ItemDataRole.ToolTipRole)
    assert "The copy that came with the phone stays on it" in tip
