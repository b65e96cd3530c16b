"""The dashboard's chart: one stacked bar per day, a colour per status, drawn with QPainter.

Why not QtCharts: it is the only reason the app would need PySide6-Addons, the half of Qt that
weighs some 400 MB installed and that a packaged build would carry for one chart (issue 17). This
widget draws the same chart (stacked bars, legend, axis labels) with QtGui alone.

Colour is never the only way to read it: each bar has a tool tip with its figures, the keyboard
moves from day to day (Left/Right, Home/End) and says the chosen day's figures, and the widget's
accessible name and description sum the figures up for a screen reader. Colours follow the
window's palette: the text and grid take its colours, the bars are lightened on a dark one.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from PySide6.QtCore import QEvent, QPointF, QRectF, QSize, Qt, Signal
from PySide6.QtGui import (
    QColor,
    QFontMetricsF,
    QHelpEvent,
    QKeyEvent,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import QSizePolicy, QToolTip, QWidget

from audit.i18n import N_, _, ngettext

__all__ = [
    "MAX_STEPS",
    "ChartSeries",
    "StackedBarChart",
    "bar_rects",
    "count_axis",
]

MAX_STEPS = 10
BAR_SHARE = 0.7  # of each day's slot; the rest is the gap between bars
PAD = 6.0
SWATCH = 12.0


def count_axis(largest: int) -> tuple[int, int]:
    """The top of the count axis and the step between its ticks for counts up to `largest`:
    whole numbers only (1, 2 or 5 times a power of ten apart), at most MAX_STEPS steps, so no
    label repeats (a 0-3 axis with 5 evenly spaced ticks would read "0 0 1 2 3")."""
    largest = max(1, largest)
    power = 1
    while True:
        for step in (power, 2 * power, 5 * power):
            if math.ceil(largest / step) <= MAX_STEPS:
                return math.ceil(largest / step) * step, step
        power *= 10


# The chart writes its days as it always has ("Fri 03 Mar 2023", "05 Mar"), a form
# audit.i18n.format_date does not write (it has no weekday and no leading zero); the words of
# the days and months are translated here, the order by the messages that use them.
_WEEKDAYS = (N_("Mon"), N_("Tue"), N_("Wed"), N_("Thu"), N_("Fri"), N_("Sat"), N_("Sun"))
_MONTHS = (
    N_("Jan"),
    N_("Feb"),
    N_("Mar"),
    N_("Apr"),
    N_("May"),
    N_("Jun"),
    N_("Jul"),
    N_("Aug"),
    N_("Sep"),
    N_("Oct"),
    N_("Nov"),
    N_("Dec"),
)


def day_month(day: date) -> str:
    """ "05 Mar": a bar's label."""
    # Translators: a day under a bar of the chart, "05 Mar"; {month} is "Mar"
    return _("{day} {month}").format(day=f"{day.day:02d}", month=_(_MONTHS[day.month - 1]))


def day_month_year(day: date) -> str:
    """ "05 Mar 2023"."""
    # Translators: "05 Mar 2023"; {month} is "Mar"
    return _("{day} {month} {year}").format(
        day=f"{day.day:02d}", month=_(_MONTHS[day.month - 1]), year=day.year
    )


def weekday_date(day: date) -> str:
    """ "Fri 03 Mar 2023": a day's figures start so."""
    # Translators: "Fri 03 Mar 2023"; {weekday} is "Fri", {date} is "03 Mar 2023"
    return _("{weekday} {date}").format(
        weekday=_(_WEEKDAYS[day.weekday()]), date=day_month_year(day)
    )


@dataclass(frozen=True)
class ChartSeries:
    """One status: its name in the legend, how a count of it reads, its colour, a count a day.

    `counted` says a count in the language in use (a `ngettext` message, which word order and
    plural rules of each language need); without it the count is written before `word` (or
    `plural_word` for more than one), as given."""

    label: str
    word: str  # "compliant": "2 compliant" in a tool tip
    colour: str  # "#1e7b34"
    values: tuple[int, ...]
    plural_word: str = ""  # when the word takes a plural ("incomplete check(s)")
    counted: Callable[[int], str] | None = None

    def count_words(self, count: int) -> str:
        if self.counted is not None:
            return self.counted(count)
        word = self.plural_word if self.plural_word and count != 1 else self.word
        return f"{count} {word}"


@dataclass(frozen=True)
class BarRect:
    """Where one status's part of one day's bar is drawn (nothing for a zero count)."""

    day: int
    series: int
    rect: QRectF


def bar_rects(values: list[tuple[int, ...]], plot: QRectF, top: int) -> list[BarRect]:
    """The rectangles of stacked bars: `values[s][d]` is series s on day d; the first series
    sits at the bottom. Bars are BAR_SHARE of their day's slot, centred in it, and a count of
    `top` reaches the plot's top edge. Pure geometry, so it is tested apart from the painting."""
    days = max((len(v) for v in values), default=0)
    if days == 0 or top <= 0 or plot.width() <= 0 or plot.height() <= 0:
        return []
    slot = plot.width() / days
    width = max(1.0, slot * BAR_SHARE)
    scale = plot.height() / top
    rects: list[BarRect] = []
    for day in range(days):
        left = plot.left() + day * slot + (slot - width) / 2
        base = 0
        for index, series in enumerate(values):
            count = series[day] if day < len(series) else 0
            if count <= 0:
                continue
            bottom = plot.bottom() - base * scale
            height = count * scale
            rects.append(BarRect(day, index, QRectF(left, bottom - height, width, height)))
            base += count
    return rects


class StackedBarChart(QWidget):
    """Stacked bars of counts by status over days, with axes, a legend and words for each bar."""

    chosen = Signal(int)
    """The keyboard moved to another day (its index); -1 when none is chosen."""

    def __init__(self, parent: QWidget | None = None, *, title: str = "") -> None:
        super().__init__(parent)
        self.setObjectName("dashboardChartView")
        self.setAccessibleName(_("Chart of the last 30 days"))
        self.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.setMouseTracking(True)
        self.setMinimumHeight(280)
        self.setSizePolicy(QSizePolicy.Policy.Expanding, QSizePolicy.Policy.Expanding)
        self.value_title = title or _("Devices")  # the count axis's title
        self.days: tuple[date, ...] = ()
        self.series: tuple[ChartSeries, ...] = ()
        self.selected = -1

    # --- data ---------------------------------------------------------------------------------

    def set_data(self, days: tuple[date, ...], series: tuple[ChartSeries, ...]) -> None:
        """Show these days (oldest first) and, for each status, one count a day."""
        self.days = days
        self.series = series
        self.selected = min(self.selected, len(days) - 1)
        self.setAccessibleDescription(self.summary())
        self.update()

    def totals(self) -> list[int]:
        return [
            sum(s.values[d] for s in self.series if d < len(s.values))
            for d in range(len(self.days))
        ]

    def axis(self) -> tuple[int, int]:
        """The top of the count axis and its step (ui.dashboard_chart.count_axis)."""
        return count_axis(max(self.totals(), default=0))

    def tick_labels(self) -> list[str]:
        top, step = self.axis()
        return [str(value) for value in range(0, top + 1, step)]

    def day_words(self, day: int) -> str:
        """One day's figures in words: what its bar's tool tip and the keyboard say."""
        when = weekday_date(self.days[day])
        parts = [s.count_words(s.values[day]) for s in self.series if s.values[day]]
        total = sum(s.values[day] for s in self.series)
        if not parts:
            return _("{day}: no devices checked yet.").format(day=when)
        devices = ngettext("{count} device", "{count} devices", total).format(count=total)
        # Translators: "Fri 03 Mar 2023: 2 compliant, 1 incomplete check (3 devices)."
        return _("{day}: {counts} ({devices}).").format(
            day=when, counts=", ".join(parts), devices=devices
        )

    def summary(self) -> str:
        """The chart in words, for a screen reader: today's figures, and the span it covers."""
        if not self.days:
            return _("No figures to show.")
        last = len(self.days) - 1
        today = ", ".join(s.count_words(s.values[last]) for s in self.series)
        totals = self.totals()
        most = max(range(len(totals)), key=lambda d: (totals[d], d))
        span = ngettext(
            "{count} day from {first} to {last}",
            "{count} days from {first} to {last}",
            len(self.days),
        ).format(
            count=len(self.days),
            first=day_month_year(self.days[0]),
            last=day_month_year(self.days[-1]),
        )
        return _(
            "Today: {today}. {span}; the most devices on one day: {most}, on {day}. "
            "Use the Left and Right keys to hear each day."
        ).format(today=today, span=span, most=totals[most], day=day_month(self.days[most]))

    # --- geometry -------------------------------------------------------------------------------

    def plot_rect(self) -> QRectF:
        """The area the bars fill: the widget less the axes' labels and the legend."""
        metrics = QFontMetricsF(self.font())
        line = metrics.height()
        widest_tick = max((metrics.horizontalAdvance(t) for t in self.tick_labels()), default=0.0)
        widest_day = max(
            (metrics.horizontalAdvance(self.day_label_for(d)) for d in range(len(self.days))),
            default=0.0,
        )
        left = PAD + line + PAD + widest_tick + PAD  # title (turned), labels, gap
        bottom = PAD + widest_day + PAD + self.legend_height(self.width() - 2 * PAD) + PAD
        top = line / 2 + PAD
        return QRectF(left, top, self.width() - left - 2 * PAD, self.height() - top - bottom)

    def bars(self) -> list[BarRect]:
        top, _step = self.axis()
        return bar_rects([s.values for s in self.series], self.plot_rect(), top)

    def day_at(self, point: QPointF) -> int:
        """The day whose slot holds `point` (-1 outside the plot)."""
        plot = self.plot_rect()
        if not self.days or not plot.contains(point):
            return -1
        return min(
            len(self.days) - 1, int((point.x() - plot.left()) / (plot.width() / len(self.days)))
        )

    def _legend_items(self, width: float) -> list[tuple[QRectF, QRectF, int]]:
        """Each series's swatch and text box in the legend, wrapped into rows of `width`."""
        metrics = QFontMetricsF(self.font())
        line = metrics.height()
        items: list[tuple[QRectF, QRectF, int]] = []
        x = y = 0.0
        for index, series in enumerate(self.series):
            text = metrics.horizontalAdvance(series.label)
            need = SWATCH + PAD + text + 3 * PAD
            if x > 0 and x + need > width:
                x, y = 0.0, y + line + PAD
            swatch = QRectF(x, y + (line - SWATCH) / 2, SWATCH, SWATCH)
            items.append((swatch, QRectF(x + SWATCH + PAD, y, text + 1, line), index))
            x += need
        return items

    def legend_height(self, width: float) -> float:
        items = self._legend_items(width)
        return max((box.bottom() for _s, box, _i in items), default=0.0)

    # --- painting -------------------------------------------------------------------------------

    def colour(self, series: ChartSeries) -> QColor:
        """The series's colour, lightened on a dark window so the bars stand out from it."""
        colour = QColor(series.colour)
        if self.palette().color(QPalette.ColorRole.Window).lightness() < 128:
            colour = colour.lighter(150)
        return colour

    def day_label_for(self, day: int) -> str:
        return day_month(self.days[day])

    def paintEvent(self, _event: QPaintEvent) -> None:
        painter = QPainter(self)
        try:
            self._paint(painter)
        finally:
            painter.end()

    def _paint(self, painter: QPainter) -> None:
        palette = self.palette()
        text = palette.color(QPalette.ColorRole.WindowText)
        grid = palette.color(QPalette.ColorRole.Mid)
        metrics = QFontMetricsF(self.font())
        line = metrics.height()
        plot = self.plot_rect()
        if plot.width() <= 0 or plot.height() <= 0:
            return
        top, step = self.axis()
        # Grid lines and the count labels, a whole number on each.
        for value in range(0, top + 1, step):
            y = round(plot.bottom() - value * plot.height() / top) + 0.5
            painter.setPen(QPen(grid, 1))
            painter.drawLine(QPointF(plot.left(), y), QPointF(plot.right(), y))
            painter.setPen(text)
            box = QRectF(plot.left() - PAD - 200, y - line / 2, 200, line)
            painter.drawText(
                box, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, str(value)
            )
        # The count axis's title, turned to read upwards.
        painter.save()
        painter.translate(PAD, plot.center().y())
        painter.rotate(-90)
        painter.drawText(
            QRectF(-plot.height() / 2, 0, plot.height(), line),
            Qt.AlignmentFlag.AlignCenter,
            self.value_title,
        )
        painter.restore()
        # The bars: plain fills, no antialiasing, so each status's colour is exact.
        for bar in self.bars():
            painter.fillRect(bar.rect, self.colour(self.series[bar.series]))
        if 0 <= self.selected < len(self.days):
            slot = plot.width() / len(self.days)
            painter.setPen(
                QPen(palette.color(QPalette.ColorRole.Highlight), 2, Qt.PenStyle.DashLine)
            )
            painter.drawRect(
                QRectF(plot.left() + self.selected * slot + 1, plot.top(), slot - 2, plot.height())
            )
        # The day labels under the bars, turned; every n-th when the days are too narrow.
        if self.days:
            slot = plot.width() / len(self.days)
            every = max(1, math.ceil((line + 2) / slot))
            painter.setPen(text)
            for day in range(0, len(self.days), every):
                words = self.day_label_for(day)
                painter.save()
                painter.translate(plot.left() + (day + 0.5) * slot, plot.bottom() + PAD)
                painter.rotate(-90)
                width = metrics.horizontalAdvance(words) + 1
                painter.drawText(
                    QRectF(-width, -line / 2, width, line),
                    Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter,
                    words,
                )
                painter.restore()
        # The legend, under the day labels.
        for swatch, box, index in self.legend_items_placed():
            painter.fillRect(swatch, self.colour(self.series[index]))
            painter.setPen(text)
            painter.drawText(box, Qt.AlignmentFlag.AlignVCenter, self.series[index].label)

    def legend_items_placed(self) -> list[tuple[QRectF, QRectF, int]]:
        """The legend's swatches and words where they are painted, under the day labels."""
        metrics = QFontMetricsF(self.font())
        widest_day = max(
            (metrics.horizontalAdvance(self.day_label_for(d)) for d in range(len(self.days))),
            default=0.0,
        )
        origin = QPointF(PAD, self.plot_rect().bottom() + PAD + widest_day + PAD)
        return [
            (swatch.translated(origin), box.translated(origin), index)
            for swatch, box, index in self._legend_items(self.width() - 2 * PAD)
        ]

    def sizeHint(self) -> QSize:
        return QSize(640, 360)

    # --- words for a bar: tool tip and keyboard -------------------------------------------------

    def event(self, event: QEvent) -> bool:
        if event.type() == QEvent.Type.ToolTip and isinstance(event, QHelpEvent):
            day = self.day_at(QPointF(event.pos()))
            if day >= 0:
                QToolTip.showText(event.globalPos(), self.day_words(day), self)
            else:
                QToolTip.hideText()
                event.ignore()
            return True
        return super().event(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        moves = {
            Qt.Key.Key_Left: self.selected - 1 if self.selected > 0 else 0,
            Qt.Key.Key_Right: self.selected + 1,
            Qt.Key.Key_Home: 0,
            Qt.Key.Key_End: len(self.days) - 1,
        }
        key = Qt.Key(event.key())
        if not self.days or key not in moves:
            super().keyPressEvent(event)
            return
        self.choose(max(0, min(len(self.days) - 1, moves[key])))

    def choose(self, day: int) -> None:
        """Choose one day (keyboard): outline its bar and say its figures."""
        self.selected = day
        words = self.day_words(day)
        self.setAccessibleDescription(f"{words} {self.summary()}")
        self.update()
        self.chosen.emit(day)

    def mousePressEvent(self, event: QMouseEvent) -> None:
        day = self.day_at(event.position())
        if day >= 0:
            self.setFocus(Qt.FocusReason.MouseFocusReason)
            self.choose(day)
        super().mousePressEvent(event)
