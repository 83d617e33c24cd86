"""The Insights arithmetic: periods, percentiles, shares, the funnel, weekly buckets, CSV cells
and chart geometry."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from recruitcare.domain import insights as rules
from recruitcare.domain.insights import Period

TORONTO = ZoneInfo("America/Toronto")


# ---- periods ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("now", "expected"),
    [
        (datetime(2026, 11, 18, 15, tzinfo=UTC), Period(date(2026, 8, 21), date(2026, 11, 18))),
        # 03:00 UTC on the 19th is still the 18th in Toronto
        (datetime(2026, 11, 19, 3, tzinfo=UTC), Period(date(2026, 8, 21), date(2026, 11, 18))),
        (datetime(2026, 11, 19, 6, tzinfo=UTC), Period(date(2026, 8, 22), date(2026, 11, 19))),
    ],
)
def test_default_period_is_the_last_90_local_days(now, expected):
    period = rules.default_period(now, TORONTO)
    assert period == expected
    assert period.days == 90


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        # the clocks went back on 1 November 2026: that day has 25 hours
        (
            Period(date(2026, 11, 1), date(2026, 11, 1)),
            (datetime(2026, 11, 1, 4, tzinfo=UTC), datetime(2026, 11, 2, 5, tzinfo=UTC)),
        ),
        (
            Period(date(2026, 1, 5), date(2026, 1, 11)),
            (datetime(2026, 1, 5, 5, tzinfo=UTC), datetime(2026, 1, 12, 5, tzinfo=UTC)),
        ),
    ],
)
def test_period_bounds_run_from_local_midnight_to_the_midnight_after(period, expected):
    assert period.bounds(TORONTO) == expected


@pytest.mark.parametrize(
    ("start", "end", "problem"),
    [
        (date(2026, 1, 1), date(2026, 1, 1), None),
        (date(2026, 1, 2), date(2026, 1, 1), "The period must end on or after the day it starts."),
        (date(2024, 1, 1), date(2026, 12, 31), None),  # 1,096 days
        (date(2023, 1, 1), date(2026, 12, 31), "Choose a period of at most 1098 days."),
        (date(1999, 12, 31), date(2000, 1, 5), "Choose a date from 2000 to 2099."),
        (date(2099, 12, 1), date(2100, 1, 1), "Choose a date from 2000 to 2099."),
    ],
)
def test_period_problem(start, end, problem):
    assert rules.period_problem(start, end) == problem


@pytest.mark.parametrize(
    ("then", "now", "days"),
    [
        (datetime(2026, 11, 10, 15, tzinfo=UTC), datetime(2026, 11, 18, 15, tzinfo=UTC), 8),
        (datetime(2026, 11, 10, 16, tzinfo=UTC), datetime(2026, 11, 18, 15, tzinfo=UTC), 7),
        (datetime(2026, 11, 19, 0, tzinfo=UTC), datetime(2026, 11, 18, 15, tzinfo=UTC), 0),
    ],
)
def test_waiting_days_are_whole_days(then, now, days):
    assert rules.waiting_days(then, now) == days


def test_days_between_keeps_fractions():
    start = datetime(2026, 11, 16, 12, tzinfo=UTC)
    assert rules.days_between(start, start + timedelta(days=2, hours=6)) == 2.25


# ---- statistics -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("values", "p", "expected"),
    [
        ([], 50, None),
        ([5], 50, 5),
        ([5], 90, 5),
        ([1, 2, 3, 4], 50, 2.5),
        ([4, 1, 3, 2], 50, 2.5),  # order does not matter
        ([1, 2, 3, 4], 90, 3.7),
        (list(range(1, 11)), 90, 9.1),
        (list(range(1, 11)), 0, 1),
        (list(range(1, 11)), 100, 10),
        ([1, 1, 1, 20], 50, 1),
    ],
)
def test_percentile_interpolates_between_ranks(values, p, expected):
    result = rules.percentile(values, p)
    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize("p", [-1, 101])
def test_percentile_refuses_p_outside_0_to_100(p):
    with pytest.raises(ValueError):
        rules.percentile([1, 2], p)


def test_timing_counts_and_summarises():
    t = rules.timing([3.0, 1.0, 2.0])
    assert (t.count, t.median, t.p90) == (3, 2.0, pytest.approx(2.8))
    assert rules.timing([]) == rules.Timing(0, None, None)


@pytest.mark.parametrize(
    ("part", "whole", "ratio", "percent"),
    [
        (0, 0, None, "—"),
        (0, 4, 0, "0%"),
        (1, 3, 1 / 3, "33%"),
        (2, 3, 2 / 3, "67%"),
        (5, 5, 1, "100%"),
    ],
)
def test_share(part, whole, ratio, percent):
    result = rules.share(part, whole)
    assert result.ratio == ratio
    assert result.percent == percent


@pytest.mark.parametrize(("part", "whole"), [(3, 2), (-1, 2), (0, -1)])
def test_share_refuses_impossible_parts(part, whole):
    with pytest.raises(ValueError):
        rules.share(part, whole)


@pytest.mark.parametrize(
    ("counts", "expected_counts", "mean"),
    [
        ({}, (0, 0, 0, 0, 0), None),
        ({1: 1, 5: 3}, (1, 0, 0, 0, 3), 4.0),
        ({3: 2, 4: 4, 5: 2}, (0, 0, 2, 4, 2), 4.0),
        ({2: 1, 0: 4, 7: 2}, (0, 1, 0, 0, 0), 2.0),  # off-scale scores are left out
    ],
)
def test_rating_summary(counts, expected_counts, mean):
    summary = rules.rating_summary(counts)
    assert summary.counts == expected_counts
    assert summary.total == sum(expected_counts)
    assert summary.mean == mean


@pytest.mark.parametrize(
    ("at_index", "stages", "reached"),
    [
        ({}, 3, [0, 0, 0]),
        ({0: 5}, 3, [5, 0, 0]),
        ({0: 5, 2: 3, 4: 1}, 5, [9, 4, 4, 1, 1]),
        ({4: 2}, 5, [2, 2, 2, 2, 2]),
    ],
)
def test_funnel_counts_every_stage_an_application_passed(at_index, stages, reached):
    assert rules.funnel(at_index, stages) == reached


def test_funnel_refuses_an_index_outside_the_stages():
    with pytest.raises(ValueError):
        rules.funnel({3: 1}, 3)


def test_stage_indexes_close_gaps_in_positions():
    assert rules.stage_indexes([30, 10, 20, 10]) == {10: 0, 20: 1, 30: 2}


# ---- weeks ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "monday"),
    [
        (date(2026, 11, 16), date(2026, 11, 16)),
        (date(2026, 11, 18), date(2026, 11, 16)),
        (date(2026, 11, 22), date(2026, 11, 16)),
        (date(2026, 11, 23), date(2026, 11, 23)),
    ],
)
def test_week_start_is_monday(day, monday):
    assert rules.week_start(day) == monday


@pytest.mark.parametrize(
    ("period", "mondays"),
    [
        (Period(date(2026, 11, 18), date(2026, 11, 18)), [date(2026, 11, 16)]),
        (
            Period(date(2026, 11, 18), date(2026, 11, 30)),
            [date(2026, 11, 16), date(2026, 11, 23), date(2026, 11, 30)],
        ),
    ],
)
def test_weeks_cover_the_period(period, mondays):
    assert rules.weeks(period) == mondays


def test_weekly_counts_and_medians_ignore_days_outside_the_weeks():
    mondays = [date(2026, 11, 16), date(2026, 11, 23)]
    days = [date(2026, 11, 15), date(2026, 11, 16), date(2026, 11, 22), date(2026, 11, 29)]
    days.append(date(2026, 11, 30))
    assert rules.weekly_counts(days, mondays) == [2, 1]
    values = [(date(2026, 11, 17), 1.0), (date(2026, 11, 18), 3.0), (date(2026, 12, 1), 9.0)]
    assert rules.weekly_medians(values, mondays) == [2.0, None]


def test_week_label():
    assert rules.week_label(date(2026, 11, 2)) == "2 Nov"


# ---- CSV cells --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://x")', '\'=HYPERLINK("http://x")'),
        ("+1 555", "'+1 555"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("Ada Lovelace", "Ada Lovelace"),
        ("a=b", "a=b"),
        ("", ""),
        (5, 5),
        (-3, -3),  # numbers are numbers, not formulas
        (None, None),
    ],
)
def test_spreadsheet_safe(value, expected):
    assert rules.spreadsheet_safe(value) == expected


# ---- chart geometry ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("maximum", "ticks"),
    [
        (0, [0, 1]),
        (1, [0, 1]),
        (3, [0, 1, 2, 3]),
        (2.3, [0, 1, 2, 3]),
        (7, [0, 2, 4, 6, 8]),
        (10, [0, 2, 4, 6, 8, 10]),
        (48, [0, 10, 20, 30, 40, 50]),
        (122, [0, 50, 100, 150]),
        (0.4, [0, 0.1, 0.2, 0.3, 0.4]),
    ],
)
def test_nice_ticks(maximum, ticks):
    assert rules.nice_ticks(maximum) == ticks


@pytest.mark.parametrize(("band", "every"), [(100, 1), (44, 1), (43.9, 2), (20, 3), (4, 11)])
def test_label_every_keeps_labels_apart(band, every):
    assert rules.label_every(band) == every


def test_bar_chart_geometry():
    chart = rules.bar_chart(["a", "b"], [[2, 4]], width=200, height=100)
    frame = chart.frame
    assert (frame.left, frame.top, frame.right, frame.bottom) == (44, 34, 188, 66)
    assert [(t.y, t.text) for t in frame.ticks] == [
        (66, "0"),
        (58, "1"),
        (50, "2"),
        (42, "3"),
        (34, "4"),
    ]
    assert [(c.x, c.text, c.shown) for c in frame.categories] == [
        (80, "a", True),
        (152, "b", True),
    ]
    first, second = chart.bars
    assert (first.x, first.y, first.width, first.height) == (51.2, 50, 57.6, 16)
    assert (first.label_x, first.label_y, first.text) == (80, 47, "2")
    assert (second.x, second.y, second.height) == (123.2, 34, 32)


def test_bar_chart_puts_each_series_side_by_side():
    chart = rules.bar_chart(["w1"], [[1], [3]], width=200, height=100)
    decided, delivered = chart.bars
    assert (decided.series, delivered.series) == (0, 1)
    assert delivered.x == pytest.approx(decided.x + decided.width)
    assert delivered.height == pytest.approx(3 * decided.height, abs=0.1)


def test_bar_chart_leaves_values_off_bars_too_narrow_for_them():
    chart = rules.bar_chart([str(i) for i in range(60)], [[1] * 60, [2] * 60])
    assert all(bar.label_x is None for bar in chart.bars)
    assert sum(c.shown for c in chart.frame.categories) < 60


def test_bar_chart_needs_one_value_per_label():
    with pytest.raises(ValueError):
        rules.bar_chart(["a", "b"], [[1]])


def test_line_chart_breaks_where_a_week_has_no_value():
    chart = rules.line_chart(["a", "b", "c", "d", "e"], [1.0, None, 2.0, 1.0, 3.0], width=400)
    assert len(chart.points) == 4
    assert len(chart.segments) == 1  # the lone first point is a marker, not a line
    assert chart.segments[0].count(",") == 3
    texts = [p.text for p in chart.points]
    assert texts == ["1.0", "2.0", "1.0", "3.0"]
    # the dip at "d" carries its value below the point, the others above
    dip = chart.points[2]
    assert dip.label_y > dip.y
    assert all(p.label_y < p.y for p in chart.points if p is not dip)


def test_line_chart_without_values_draws_nothing():
    chart = rules.line_chart(["a", "b"], [None, None])
    assert chart.points == () and chart.segments == ()


def test_funnel_chart_widths_and_labels():
    chart = rules.funnel_chart(["Review", "Screen", "Offer"], [10, 5, 0], width=640)
    assert [row.bar_width for row in chart.rows] == [512, 256, 0]
    assert [row.text for row in chart.rows] == ["10 (100%)", "5 (50%)", "0 (0%)"]
    assert chart.rows[1].value_x == 8 + 256 + 6
    assert chart.height == 3 * rules.FUNNEL_ROW + 10


def test_funnel_chart_of_nothing():
    chart = rules.funnel_chart(["Review"], [0])
    assert chart.rows[0].bar_width == 0 and chart.rows[0].text == "0"
