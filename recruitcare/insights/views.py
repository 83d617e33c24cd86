"""The Insights dashboard and its CSV export, for recruiters and admins."""

from datetime import timedelta
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, abort, current_app, render_template, request
from flask_login import current_user

from recruitcare.access import require_login, role_required
from recruitcare.clock import utcnow
from recruitcare.domain import insights as rules
from recruitcare.domain.enums import PromiseEventKind, Role
from recruitcare.insights import services
from recruitcare.insights.export import FIGURES, write_csv
from recruitcare.insights.forms import FilterForm

bp = Blueprint("insights", __name__)
bp.before_request(require_login)
staff = role_required(Role.ADMIN, Role.RECRUITER)

# Rows shown in the page's lists; the export has them all.
LIST_LIMIT = 50


def _filter_form(choices: services.Choices) -> FilterForm:
    """The filter read from the address. Another team's requisition id is a 404, like a
    missing one; anything else that is not on the lists is a field error."""
    form = FilterForm(formdata=request.args)
    form.requisition.set_options(choices.requisitions)
    form.recruiter.set_options(choices.recruiters)
    form.hiring_manager.set_options(choices.hiring_managers)
    raw = request.args.get("requisition", "").strip()
    # "²" is a digit to isdigit() but not to int(): only plain digits name a requisition.
    if raw.isascii() and raw.isdigit() and int(raw) not in form.requisition.ids:
        abort(404)
    return form


def _read_filters(form: FilterForm, now, zone: ZoneInfo) -> services.Filters | None:
    """The filters, with a missing end of the period filled in; None (and the form carrying
    field errors) when the input cannot be used."""
    if not form.validate():
        return None
    default = rules.default_period(now, zone)
    start, end = form.date_from.data, form.date_to.data
    if start is None and end is None:
        start, end = default.start, default.end
    elif end is None:
        end = max(start, default.end)
    elif start is None:
        start = end - timedelta(days=rules.DEFAULT_PERIOD_DAYS - 1)
    problem = rules.period_problem(start, end)
    if problem:
        form.date_to.errors.append(problem)
        return None
    waiting_days = form.waiting_days.data or rules.DEFAULT_WAITING_DAYS
    # Show the period and threshold actually used.
    for field, value in (
        (form.date_from, start),
        (form.date_to, end),
        (form.waiting_days, waiting_days),
    ):
        field.data, field.raw_data = value, None
    return services.Filters(
        period=rules.Period(start, end),
        waiting_days=waiting_days,
        requisition_id=form.requisition.data,
        recruiter_id=form.recruiter.data,
        hiring_manager_id=form.hiring_manager.data,
    )


def _zone() -> ZoneInfo:
    return ZoneInfo(current_app.config["ORG_TIMEZONE"])


@bp.get("/insights")
@staff
def index():
    now, zone = utcnow(), _zone()
    form = _filter_form(services.list_filter_choices(current_user))
    filters = _read_filters(form, now, zone)
    if filters is None:
        return render_template("insights/index.html", form=form, insights=None), 400
    insights = services.gather_insights(current_user, filters, now=now, zone=zone, limit=LIST_LIMIT)
    return render_template(
        "insights/index.html",
        form=form,
        insights=insights,
        charts=services.draw_charts(insights),
        kinds=list(PromiseEventKind),
        figures=FIGURES,
        export_args={k: v for k, v in request.args.items() if k != "figure"},
    )


@bp.get("/insights.csv")
@staff
def export():
    """Every figure as a section of one file, or one figure with ``figure=``."""
    now, zone = utcnow(), _zone()
    figure = request.args.get("figure", "").strip()
    if figure and figure not in FIGURES:
        return _plain(f"Unknown figure; use one of: {', '.join(FIGURES)}.")
    form = _filter_form(services.list_filter_choices(current_user))
    filters = _read_filters(form, now, zone)
    if filters is None:
        problems = [
            f"{form[name].label.text}: {' '.join(errors)}" for name, errors in form.errors.items()
        ]
        return _plain("\n".join(problems))
    insights = services.gather_insights(current_user, filters, now=now, zone=zone, limit=None)
    text = write_csv(insights, figure or None)
    period = filters.period
    name = f"insights-{period.start.isoformat()}-{period.end.isoformat()}"
    name += f"-{figure}.csv" if figure else ".csv"
    return Response(
        text,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _plain(message: str) -> Response:
    return Response(message + "\n", status=400, mimetype="text/plain")
