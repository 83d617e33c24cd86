"""The Insights dashboard's arithmetic: periods, percentiles, shares, the funnel, weekly trends
and the geometry of its charts. Standard library only; the caller passes ``now``."""

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

DEFAULT_PERIOD_DAYS = 90
DEFAULT_WAITING_DAYS = 7
# Longest period the dashboard accepts: about three years of weekly buckets.
MAX_PERIOD_DAYS = 3 * 366
# Dates the filter accepts: wide enough for any real period, far from the calendar's ends.
EARLIEST_DAY = date(2000, 1, 1)
LATEST_DAY = date(2099, 12, 31)
RATING_SCALE = (1, 2, 3, 4, 5)
# Cells starting with these are read as formulas by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


# ---- periods and durations --------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """Whole local days, both ends included."""

    start: date
    end: date

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def bounds(self, zone: ZoneInfo) -> tuple[datetime, datetime]:
        """The UTC instants from the first day's local midnight to the midnight after the
        last day (excluded)."""
        begin = datetime.combine(self.start, time(0), tzinfo=zone)
        finish = datetime.combine(self.end + timedelta(days=1), time(0), tzinfo=zone)
        return begin.astimezone(UTC), finish.astimezone(UTC)


def default_period(now: datetime, zone: ZoneInfo, days: int = DEFAULT_PERIOD_DAYS) -> Period:
    """The last ``days`` local days, today included."""
    today = now.astimezone(zone).date()
    return Period(today - timedelta(days=days - 1), today)


def day_problem(day: date) -> str | None:
    """Why a chosen day cannot start or end a period."""
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        return f"Choose a date from {EARLIEST_DAY.year} to {LATEST_DAY.year}."
    return None


def period_problem(start: date, end: date, max_days: int = MAX_PERIOD_DAYS) -> str | None:
    """Why a chosen period cannot be shown, in words for the person who chose it."""
    problem = day_problem(start) or day_problem(end)
    if problem:
        return problem
    if end < start:
        return "The period must end on or after the day it starts."
    if (end - start).days + 1 > max_days:
        return f"Choose a period of at most {max_days} days."
    return None


def days_between(earlier: datetime, later: datetime) -> float:
    return (later - earlier).total_seconds() / 86400


def waiting_days(last_contact: datetime, now: datetime) -> int:
    """Whole days since the candidate last heard from us."""
    return max(0, (now - last_contact).days)


def local_day(moment: datetime, zone: ZoneInfo) -> date:
    return moment.astimezone(zone).date()


# ---- statistics -------------------------------------------------------------------------------


def percentile(values: Iterable[float], p: float) -> float | None:
    """The ``p``-th percentile (0 to 100), interpolating between the closest ranks (the
    usual spreadsheet PERCENTILE); None for no values."""
    if not 0 <= p <= 100:
        raise ValueError("p must be between 0 and 100")
    ordered = sorted(values)
    if not ordered:
        return None
    rank = (len(ordered) - 1) * p / 100
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (rank - low) * (ordered[high] - ordered[low])


def median(values: Iterable[float]) -> float | None:
    return percentile(values, 50)


@dataclass(frozen=True)
class Share:
    part: int
    whole: int

    @property
    def ratio(self) -> float | None:
        return self.part / self.whole if self.whole else None

    @property
    def percent(self) -> str:
        """The share as a whole percentage ("83%"), or "—" when there is nothing to share."""
        ratio = self.ratio
        return "—" if ratio is None else f"{round(ratio * 100)}%"


def share(part: int, whole: int) -> Share:
    if part < 0 or whole < 0 or part > whole:
        raise ValueError("a share needs 0 <= part <= whole")
    return Share(part, whole)


@dataclass(frozen=True)
class Timing:
    """How long something took, in days, over ``count`` cases."""

    count: int
    median: float | None
    p90: float | None


def timing(durations: Iterable[float]) -> Timing:
    values = list(durations)
    return Timing(len(values), median(values), percentile(values, 90))


def format_days(value: float | None) -> str:
    return "—" if value is None else f"{value:.1f}"


@dataclass(frozen=True)
class RatingSummary:
    """How candidates rated their feedback's helpfulness: a count per score, 1 to 5."""

    counts: tuple[int, ...]

    @property
    def total(self) -> int:
        return sum(self.counts)

    @property
    def mean(self) -> float | None:
        if not self.total:
            return None
        return sum(s * n for s, n in zip(RATING_SCALE, self.counts, strict=True)) / self.total


def rating_summary(counts: Mapping[int, int]) -> RatingSummary:
    """From how many ratings each score got; scores off the 1 to 5 scale are left out."""
    return RatingSummary(tuple(counts.get(score, 0) for score in RATING_SCALE))


def funnel(at_index: Mapping[int, int], stage_count: int) -> list[int]:
    """How many applications reached each stage, from how many stand at each stage index.

    Stages only move forward, so an application at index k passed every stage 0..k.
    """
    reached = [0] * stage_count
    for index, count in at_index.items():
        if not 0 <= index < stage_count:
            raise ValueError(f"stage index {index} outside 0..{stage_count - 1}")
        for k in range(index + 1):
            reached[k] += count
    return reached


def stage_indexes(positions: Iterable[int]) -> dict[int, int]:
    """A requisition's stage positions (which may have gaps) mapped to 0, 1, 2, ..."""
    return {position: index for index, position in enumerate(sorted(set(positions)))}


# ---- weekly trends ----------------------------------------------------------------------------


def week_start(day: date) -> date:
    """The Monday of ``day``'s week."""
    return day - timedelta(days=day.weekday())


def weeks(period: Period) -> list[date]:
    """The Mondays of every week the period touches."""
    first, last = week_start(period.start), week_start(period.end)
    return [first + timedelta(weeks=i) for i in range((last - first).days // 7 + 1)]


def week_label(monday: date) -> str:
    return f"{monday.day} {monday.strftime('%b')}"


def _week_index(day: date, mondays: Sequence[date]) -> int | None:
    if not mondays:
        return None
    index = (week_start(day) - mondays[0]).days // 7
    return index if 0 <= index < len(mondays) else None


def weekly_counts(days: Iterable[date], mondays: Sequence[date]) -> list[int]:
    counts = [0] * len(mondays)
    for day in days:
        index = _week_index(day, mondays)
        if index is not None:
            counts[index] += 1
    return counts


def weekly_medians(
    values: Iterable[tuple[date, float]], mondays: Sequence[date]
) -> list[float | None]:
    """The median of each week's values; None for a week without any."""
    buckets: list[list[float]] = [[] for _ in mondays]
    for day, value in values:
        index = _week_index(day, mondays)
        if index is not None:
            buckets[index].append(value)
    return [median(bucket) for bucket in buckets]


# ---- CSV --------------------------------------------------------------------------------------


def spreadsheet_safe(value: object) -> object:
    """A text cell that a spreadsheet would run as a formula gets a leading quote; numbers
    and other cells are left alone."""
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


# ---- chart geometry ---------------------------------------------------------------------------

WIDTH = 640
HEIGHT = 260
# Room for the legend above, the value axis on the left and the category labels below.
TOP, RIGHT, BOTTOM, LEFT = 34, 12, 34, 44
# Horizontal room a category's label (such as "24 Aug") or a point's value needs; with less
# room per category, only every second (third, ...) one is written.
LABEL_ROOM = 44


def nice_ticks(maximum: float, target: int = 5) -> list[float]:
    """Axis ticks from 0 in steps of 1, 2 or 5 times a power of ten, the last one at or
    above ``maximum``."""
    if maximum <= 0:
        return [0, 1]
    raw = maximum / target
    magnitude = 10 ** math.floor(math.log10(raw))
    step = next(m * magnitude for m in (1, 2, 5, 10) if m * magnitude >= raw)
    if step < 1 and maximum >= 1:
        step = 1
    count = math.ceil(maximum / step - 1e-9)
    return [_clean(i * step) for i in range(count + 1)]


def _clean(value: float) -> float:
    return int(value) if float(value).is_integer() else round(value, 6)


def _r(value: float) -> float:
    return round(value, 1)


def tick_label(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:g}"


@dataclass(frozen=True)
class Tick:
    y: float
    text: str


@dataclass(frozen=True)
class Category:
    x: float
    text: str
    shown: bool


@dataclass(frozen=True)
class Bar:
    series: int
    x: float
    y: float
    width: float
    height: float
    value: float
    text: str
    # Where the value's own label goes (above the bar), or None when bars are too narrow.
    label_x: float | None
    label_y: float | None


@dataclass(frozen=True)
class Frame:
    """The plot box and its axes, shared by the bar and line charts."""

    width: int
    height: int
    left: float
    top: float
    right: float
    bottom: float
    ticks: tuple[Tick, ...]
    categories: tuple[Category, ...]

    @property
    def baseline(self) -> float:
        return self.bottom


@dataclass(frozen=True)
class BarChart:
    frame: Frame
    bars: tuple[Bar, ...]


@dataclass(frozen=True)
class Point:
    x: float
    y: float
    value: float
    text: str
    # Where the value is written: above the point, or below it in a dip so the line stays
    # clear; None when there is no room for it.
    label_y: float | None


@dataclass(frozen=True)
class LineChart:
    frame: Frame
    # Runs of consecutive weeks with a value, each drawn as one polyline.
    segments: tuple[str, ...]
    points: tuple[Point, ...]


def label_every(band: float) -> int:
    """Write every n-th label so that labels never overlap."""
    return max(1, math.ceil(LABEL_ROOM / band - 1e-9))


def _frame(
    labels: Sequence[str], maximum: float, width: int, height: int
) -> tuple[Frame, float, float]:
    left, top, right, bottom = LEFT, TOP, width - RIGHT, height - BOTTOM
    ticks = nice_ticks(maximum)
    top_value = ticks[-1]
    plot_height = bottom - top

    def y_of(value: float) -> float:
        return bottom - value / top_value * plot_height

    band = (right - left) / max(len(labels), 1)
    every = label_every(band)
    frame = Frame(
        width=width,
        height=height,
        left=left,
        top=top,
        right=right,
        bottom=bottom,
        ticks=tuple(Tick(_r(y_of(t)), tick_label(t)) for t in ticks),
        categories=tuple(
            Category(_r(left + band * (i + 0.5)), text, i % every == 0)
            for i, text in enumerate(labels)
        ),
    )
    return frame, band, top_value


def bar_chart(
    labels: Sequence[str],
    series: Sequence[Sequence[float]],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    value_text=tick_label,
) -> BarChart:
    """Vertical bars, one group per label and one bar per series in each group."""
    if any(len(values) != len(labels) for values in series):
        raise ValueError("every series needs one value per label")
    maximum = max((v for values in series for v in values), default=0)
    frame, band, top_value = _frame(labels, maximum, width, height)
    plot_height = frame.bottom - frame.top
    group = band * 0.8
    bar_width = group / max(len(series), 1)
    labelled = bar_width >= 12
    bars = []
    for i in range(len(labels)):
        for s, values in enumerate(series):
            value = values[i]
            bar_height = value / top_value * plot_height
            x = frame.left + band * i + band * 0.1 + bar_width * s
            y = frame.bottom - bar_height
            bars.append(
                Bar(
                    series=s,
                    x=_r(x),
                    y=_r(y),
                    width=_r(bar_width),
                    height=_r(bar_height),
                    value=value,
                    text=value_text(value),
                    label_x=_r(x + bar_width / 2) if labelled else None,
                    label_y=_r(y - 3) if labelled else None,
                )
            )
    return BarChart(frame, tuple(bars))


def line_chart(
    labels: Sequence[str],
    values: Sequence[float | None],
    *,
    width: int = WIDTH,
    height: int = HEIGHT,
    value_text=format_days,
) -> LineChart:
    """A line through each label's value; a label without a value breaks the line."""
    if len(values) != len(labels):
        raise ValueError("one value per label")
    maximum = max((v for v in values if v is not None), default=0)
    frame, band, top_value = _frame(labels, maximum, width, height)
    plot_height = frame.bottom - frame.top
    every = label_every(band)
    points: list[Point] = []
    segments: list[str] = []
    run: list[str] = []
    for i, (category, value) in enumerate(zip(frame.categories, values, strict=True)):
        if value is None:
            if len(run) > 1:
                segments.append(" ".join(run))
            run = []
            continue
        y = _r(frame.bottom - value / top_value * plot_height)
        label_y = None
        if i % every == 0:
            label_y = _r(y + 16) if _is_dip(values, i) else _r(y - 8)
        points.append(Point(category.x, y, value, value_text(value), label_y))
        run.append(f"{category.x},{y}")
    if len(run) > 1:
        segments.append(" ".join(run))
    return LineChart(frame, tuple(segments), tuple(points))


def _is_dip(values: Sequence[float | None], i: int) -> bool:
    """Lower than a neighbour on each side that has a value (and than at least one)."""
    neighbours = [values[j] for j in (i - 1, i + 1) if 0 <= j < len(values)]
    known = [v for v in neighbours if v is not None]
    return bool(known) and all(values[i] < v for v in known)


@dataclass(frozen=True)
class FunnelRow:
    name: str
    value: int
    text: str
    # The stage name sits above its bar; the count and share follow the bar's end.
    name_y: float
    bar_y: float
    bar_width: float
    value_x: float
    value_y: float


@dataclass(frozen=True)
class FunnelChart:
    width: int
    height: int
    left: float
    bar_height: float
    rows: tuple[FunnelRow, ...]


FUNNEL_ROW = 44
FUNNEL_BAR = 20


def funnel_chart(
    names: Sequence[str], reached: Sequence[int], *, width: int = WIDTH
) -> FunnelChart:
    """Horizontal bars, widest first, each labelled with its stage, count and share of the
    first stage, so the chart reads without colour."""
    if len(names) != len(reached):
        raise ValueError("one count per stage")
    left = 8.0
    room = width - left - 120  # space for the value label after the longest bar
    first = reached[0] if reached else 0
    widest = max(reached, default=0) or 1
    rows = []
    for i, (name, value) in enumerate(zip(names, reached, strict=True)):
        top = i * FUNNEL_ROW + 6
        bar_width = room * value / widest
        part = f" ({share(value, first).percent})" if first else ""
        rows.append(
            FunnelRow(
                name=name,
                value=value,
                text=f"{value}{part}",
                name_y=_r(top + 12),
                bar_y=_r(top + 18),
                bar_width=_r(bar_width),
                value_x=_r(left + bar_width + 6),
                value_y=_r(top + 18 + FUNNEL_BAR * 0.75),
            )
        )
    height = len(names) * FUNNEL_ROW + 10
    return FunnelChart(width, height, left, FUNNEL_BAR, tuple(rows))
