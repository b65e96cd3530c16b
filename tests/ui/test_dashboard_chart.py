"""The dashboard's QPainter chart: the bars' geometry for known counts, the pixels it really
paints there (grabbed to an image), the palette it follows, and the words that stand in for the
colours (tool tip per bar, keyboard, accessible description)."""

from __future__ import annotations

import itertools
from datetime import date, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PySide6.QtCore import QEvent, QRectF, Qt
from PySide6.QtGui import QColor, QHelpEvent, QImage, QPalette
from PySide6.QtWidgets import QApplication, QToolTip
from pytestqt.qtbot import QtBot

from ui.dashboard_chart import BAR_SHARE, ChartSeries, StackedBarChart, bar_rects

GREEN, AMBER, RED = "#1e7b34", "#9a5b00", "#b3261e"
DAYS = tuple(date(2023, 3, 1) + timedelta(days=i) for i in range(5))
SERIES = (
    ChartSeries("Compliant", "compliant", GREEN, (0, 1, 2, 2, 3)),
    ChartSeries("Not compliant", "not compliant", RED, (1, 1, 0, 2, 0)),
    ChartSeries(
        "Incomplete checks", "incomplete check", AMBER, (0, 0, 1, 0, 1), "incomplete checks"
    ),
)


def test_bars_stack_from_the_bottom_in_proportion_to_the_axis() -> None:
    plot = QRectF(10, 0, 300, 100)
    rects = bar_rects([(1, 0, 2), (1, 1, 0)], plot, top=4)
    width = 100 * BAR_SHARE
    left = 10 + (100 - width) / 2
    assert [(r.day, r.series, r.rect) for r in rects] == [
        (0, 0, QRectF(left, 75, width, 25)),  # 1 of 4: a quarter of the height, at the bottom
        (0, 1, QRectF(left, 50, width, 25)),  # stacked on it
        (1, 1, QRectF(left + 100, 75, width, 25)),  # a zero below draws nothing, stacks nothing
        (2, 0, QRectF(left + 200, 50, width, 50)),
    ]


def test_nothing_to_draw_is_no_bars() -> None:
    assert bar_rects([], QRectF(0, 0, 100, 100), 4) == []
    assert bar_rects([(0, 0)], QRectF(0, 0, 100, 100), 4) == []
    assert bar_rects([(3,)], QRectF(0, 0, 0, 100), 4) == []  # a window too small


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.integers(0, 500), min_size=1, max_size=40), min_size=1, max_size=7))
def test_any_counts_give_bars_inside_the_plot_that_never_overlap(counts: list[list[int]]) -> None:
    days = max(len(c) for c in counts)
    values = [tuple(c) + (0,) * (days - len(c)) for c in counts]
    totals = [sum(v[d] for v in values) for d in range(days)]
    top = max(1, *totals)
    plot = QRectF(40, 10, 700, 300)
    rects = bar_rects(values, plot, top)
    assert len(rects) == sum(1 for v in values for n in v if n > 0)
    for bar in rects:
        assert plot.adjusted(-0.01, -0.01, 0.01, 0.01).contains(bar.rect)
    for day in range(days):
        mine = sorted((r.rect for r in rects if r.day == day), key=lambda r: -r.bottom())
        for lower, upper in itertools.pairwise(mine):
            assert upper.bottom() == pytest.approx(lower.top())  # stacked, touching, no overlap
        height = sum(r.height() for r in mine)
        assert height == pytest.approx(totals[day] * plot.height() / top)


@pytest.fixture
def chart(qtbot: QtBot) -> StackedBarChart:
    widget = StackedBarChart()
    qtbot.addWidget(widget)
    widget.setPalette(light_palette())
    widget.resize(640, 400)
    widget.set_data(DAYS, SERIES)
    return widget


def light_palette() -> QPalette:
    palette = QPalette(QApplication.palette())
    palette.setColor(QPalette.ColorRole.Window, QColor("#ffffff"))
    palette.setColor(QPalette.ColorRole.WindowText, QColor("#000000"))
    palette.setColor(QPalette.ColorRole.Mid, QColor("#c0c0c0"))
    return palette


def grab(widget: StackedBarChart) -> QImage:
    image = widget.grab().toImage()
    assert image.size() == widget.size()  # device pixel ratio 1: positions map to pixels
    return image


def pixel(image: QImage, x: float, y: float) -> str:
    return str(image.pixelColor(round(x), round(y)).name())


def test_the_painted_bars_have_each_status_colour_where_the_geometry_puts_them(
    chart: StackedBarChart,
) -> None:
    image = grab(chart)
    bars = chart.bars()
    assert len(bars) == 9  # the non-zero counts of SERIES
    for bar in bars:
        centre = bar.rect.center()
        assert pixel(image, centre.x(), centre.y()) == SERIES[bar.series].colour, bar
    plot = chart.plot_rect()
    slot = plot.width() / len(DAYS)
    colours = {s.colour for s in SERIES}
    # Between two bars, and above the tallest one, there is no bar colour.
    assert pixel(image, plot.left() + slot, plot.bottom() - 3) not in colours
    tallest = min(bar.rect.top() for bar in bars)
    assert pixel(image, bars[-1].rect.center().x(), tallest - 8) not in colours
    # Day 3 (index 3): 2 compliant under 2 not compliant, of a 0-4 axis: half the height, exactly.
    day3 = [bar for bar in bars if bar.day == 3]
    assert [SERIES[b.series].label for b in day3] == ["Compliant", "Not compliant"]
    assert day3[-1].rect.top() == pytest.approx(plot.top())


def test_the_legend_names_each_status_beside_its_colour(chart: StackedBarChart) -> None:
    image = grab(chart)
    found = {
        chart.series[index].label: pixel(image, swatch.center().x(), swatch.center().y())
        for swatch, _box, index in chart.legend_items_placed()
    }
    assert found == {s.label: s.colour for s in SERIES}


def test_the_axis_reads_whole_numbers_and_the_bars_reach_the_top_tick(
    chart: StackedBarChart,
) -> None:
    assert chart.tick_labels() == ["0", "1", "2", "3", "4"]  # the tallest day holds 4
    assert chart.value_title == "Devices"


def test_a_dark_palette_lightens_the_bars_and_draws_the_text_in_its_colours(
    chart: StackedBarChart,
) -> None:
    light = grab(chart)
    dark = QPalette(chart.palette())
    dark.setColor(QPalette.ColorRole.Window, QColor("#202020"))
    dark.setColor(QPalette.ColorRole.WindowText, QColor("#f0f0f0"))
    chart.setPalette(dark)
    image = grab(chart)
    bar = chart.bars()[0]
    painted = QColor(pixel(image, bar.rect.center().x(), bar.rect.center().y()))
    assert painted.lightness() > QColor(SERIES[bar.series].colour).lightness()
    # The count labels left of the plot: dark text on white, then light text on the dark window.
    labels = chart.plot_rect().adjusted(-40, 0, 0, 0)
    labels.setWidth(38)

    def lightness(picture: QImage) -> list[int]:
        return [
            picture.pixelColor(x, y).lightness()
            for x in range(int(labels.left()), int(labels.right()))
            for y in range(int(labels.top()), int(labels.bottom()))
        ]

    assert min(lightness(light)) < 100 and max(lightness(light)) == 255
    assert max(lightness(image)) > 180 and min(lightness(image)) == QColor("#202020").lightness()


def test_each_bar_has_a_tool_tip_with_its_figures(qtbot: QtBot, chart: StackedBarChart) -> None:
    chart.show()
    qtbot.waitExposed(chart)
    bar = next(b for b in chart.bars() if b.day == 2)
    at = bar.rect.center().toPoint()
    event = QHelpEvent(QEvent.Type.ToolTip, at, chart.mapToGlobal(at))
    QApplication.sendEvent(chart, event)
    expected = "Fri 03 Mar 2023: 2 compliant, 1 incomplete check (3 devices)."
    assert chart.day_words(2) == expected
    qtbot.waitUntil(lambda: QToolTip.text() == expected, timeout=5000)
    QToolTip.hideText()


def test_the_keyboard_walks_the_days_and_says_each_one(
    qtbot: QtBot, chart: StackedBarChart
) -> None:
    chart.show()
    qtbot.waitExposed(chart)
    with qtbot.waitSignal(chart.chosen) as chosen:
        qtbot.keyClick(chart, Qt.Key.Key_End)
    assert chosen.args == [4]
    assert chart.accessibleDescription().startswith(
        "Sun 05 Mar 2023: 3 compliant, 1 incomplete check (4 devices)."
    )
    qtbot.keyClick(chart, Qt.Key.Key_Left)
    assert chart.selected == 3
    qtbot.keyClick(chart, Qt.Key.Key_Right)
    qtbot.keyClick(chart, Qt.Key.Key_Right)  # past the last day stays on it
    assert chart.selected == 4
    qtbot.keyClick(chart, Qt.Key.Key_Home)
    assert chart.accessibleDescription().startswith("Wed 01 Mar 2023: 1 not compliant (1 device).")


def test_the_summary_says_today_and_the_busiest_day(chart: StackedBarChart) -> None:
    assert chart.accessibleName() == "Chart of the last 30 days"
    assert chart.accessibleDescription() == (
        "Today: 3 compliant, 0 not compliant, 1 incomplete check. 5 days from 01 Mar 2023 to "
        "05 Mar 2023; the most devices on one day: 4, on 05 Mar. "
        "Use the Left and Right keys to hear each day."
    )


def test_no_days_paints_and_says_so(qtbot: QtBot) -> None:
    widget = StackedBarChart()
    qtbot.addWidget(widget)
    widget.resize(300, 300)
    widget.set_data((), ())
    assert widget.accessibleDescription() == "No figures to show."
    assert not widget.grab().isNull()
    qtbot.keyClick(widget, Qt.Key.Key_Right)  # nothing to choose: no crash
    assert widget.selected == -1


def test_a_window_too_small_for_the_plot_draws_no_bars_and_does_not_fail(
    chart: StackedBarChart,
) -> None:
    chart.setMinimumHeight(0)
    chart.resize(40, 40)
    assert chart.bars() == []
    assert not chart.grab().isNull()
