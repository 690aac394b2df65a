"""Statistics (server-side SVG charts) and exports of the ledger and the two summary tables."""
from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, abort, render_template, request

from config.data import AGENCIES
from models.base import utcnow
from models.session import request_session
from triage.auth import actor, roles
from triage.charts import bar_chart, line_chart
from triage.services.export import FORMATS, TITLES, export
from triage.services.statistics import dashboard
from triage.views import office_key

bp = Blueprint("stats", __name__)


def _range() -> tuple[date, date]:
    today = utcnow().date()
    try:
        start = date.fromisoformat(request.args.get("from", ""))
    except ValueError:
        start = today.replace(month=1, day=1)
    try:
        end = date.fromisoformat(request.args.get("to", ""))
    except ValueError:
        end = today
    return (start, end) if start <= end else (end, start)


def _agency() -> str | None:
    agency = request.args.get("agency") or None
    return agency if agency in AGENCIES else None


@bp.get("/stats/")
@roles("supervisor")
def index() -> str:
    start, end = _range()
    board = dashboard(request_session(), start, end, _agency())
    charts = [bar_chart("按领域", board.area_items()), bar_chart("按问题类别", board.category_items()),
              bar_chart("按承办单位", board.agency_items()), bar_chart("按渠道", board.channel_items()),
              bar_chart("按状态", board.status_items()), line_chart("按月份", board.month_items())]
    return render_template("stats/index.html", board=board, charts=charts, start=start, end=end,
                           agency=_agency() or "", agencies=AGENCIES)


@bp.get("/exports/")
@roles("supervisor")
def exports() -> str:
    start, end = _range()
    return render_template("export/index.html", titles=TITLES, formats=FORMATS, agencies=AGENCIES,
                           start=start, end=end)


@bp.get("/exports/download")
@roles("supervisor")
def download() -> Response:
    start, end = _range()
    kind, fmt = request.args.get("kind", ""), request.args.get("format", "xlsx")
    try:
        name, content = export(request_session(), office_key(), kind, start, end, _agency(), fmt, actor())
    except ValueError:
        abort(400)
    request_session().commit()
    from urllib.parse import quote

    mimetype = "text/csv" if fmt == "csv" else \
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    return Response(content, mimetype=mimetype,
                    headers={"Content-Disposition": f"attachment; filename*=UTF-8''{quote(name)}"})


