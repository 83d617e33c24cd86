"""The Insights figures as CSV: one section per figure, or one figure per file. Cells that a
spreadsheet would run as a formula are neutralised."""

import csv
import io

from recruitcare.domain import insights as rules
from recruitcare.insights.services import Insights

FIGURES = {
    "waiting": "Candidates waiting without contact",
    "closures": "Rejected candidates: closure and feedback",
    "timing": "Time to decision and to closure",
    "promises": "Promises",
    "scorecards": "Pending scorecards",
    "calls": "Open feedback-call requests",
    "ratings": "Helpfulness of feedback",
    "funnel": "Funnel by stage",
    "trend": "Weekly trend",
}


def _days(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def _ratio(value: rules.Share) -> str:
    return "" if value.ratio is None else f"{value.ratio:.4f}"


def export_rows(insights: Insights, figure: str) -> list[list[object]]:
    """One figure as CSV rows, a header row first. Cells are plain values; the caller makes
    them safe for spreadsheets."""
    if figure == "waiting":
        return [
            ["candidate", "requisition", "stage", "last_contact_utc", "days_without_contact"]
        ] + [
            [w.name, w.requisition, w.stage, w.last_contact_at.isoformat(), w.days]
            for w in insights.waiting
        ]
    if figure == "closures":
        c = insights.closures
        return [
            ["measure", "count", "of", "share"],
            ["rejected in period", c.rejected, "", ""],
            ["rejected after an interview", c.interviewed, c.rejected, ""],
            ["closure delivered", c.delivered.part, c.delivered.whole, _ratio(c.delivered)],
            ["personalized feedback", c.feedback.part, c.feedback.whole, _ratio(c.feedback)],
            [
                "personalized feedback, interviewed",
                c.feedback_interviewed.part,
                c.feedback_interviewed.whole,
                _ratio(c.feedback_interviewed),
            ],
        ]
    if figure == "timing":
        rows = [["measure", "cases", "median_days", "p90_days"]]
        for label, t in (
            ("decision to delivered closure", insights.closures.decision_to_closure),
            ("last interview to decision", insights.interview_to_decision),
        ):
            rows.append([label, t.count, _days(t.median), _days(t.p90)])
        return rows
    if figure == "promises":
        return [["outcome", "count", "share"]] + [
            [kind.value, count, _ratio(insights.promise_share(kind))]
            for kind, count in insights.promises.items()
        ]
    if figure == "scorecards":
        return [["interviewer", "candidate", "requisition", "interview_utc", "days_waiting"]] + [
            [p.interviewer, p.candidate, p.requisition, p.interview_at.isoformat(), p.days]
            for p in insights.scorecards
        ]
    if figure == "calls":
        return [
            ["measure", "count"],
            ["open", insights.calls.open],
            ["overdue", insights.calls.overdue],
        ]
    if figure == "ratings":
        r = insights.ratings
        rows = [["rating", "count"]]
        rows += [[score, count] for score, count in zip(rules.RATING_SCALE, r.counts, strict=True)]
        rows.append(["mean", "" if r.mean is None else f"{r.mean:.2f}"])
        return rows
    if figure == "funnel":
        return [["stage", "reached", "share_of_first", "share_of_previous"]] + [
            [s.name, s.reached, _ratio(s.of_first), _ratio(s.of_previous)] for s in insights.funnel
        ]
    if figure == "trend":
        t = insights.trend
        return [
            ["week_starting", "rejections_decided", "closures_delivered", "median_days_to_closure"]
        ] + [
            [monday.isoformat(), decided, delivered, _days(days)]
            for monday, decided, delivered, days in zip(
                t.weeks, t.decided, t.delivered, t.median_days, strict=True
            )
        ]
    raise KeyError(figure)


def write_csv(insights: Insights, figure: str | None = None) -> str:
    """Every figure, each under a ``# title`` row and followed by a blank row; or only
    ``figure``, without the title."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    for key in [figure] if figure else list(FIGURES):
        if not figure:
            writer.writerow([f"# {FIGURES[key]}"])
        for row in export_rows(insights, key):
            writer.writerow([rules.spreadsheet_safe(cell) for cell in row])
        if not figure:
            writer.writerow([])
    return buffer.getvalue()
