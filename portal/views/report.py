"""The report form and the receipt shown once."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from models.session import request_session
from models.vocabulary import WEB_CHANNEL
from portal import texts
from portal.forms import AcknowledgeForm, ReportForm
from portal.security import limiter, setting
from models.shared.content import ReportContent
from models.shared.intake import submit_report
from portal.views import hand_to_triage, read_evidence, vault

bp = Blueprint("report", __name__)


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(setting("submissions_per_day"), methods=["POST"])
def new() -> Response | str | tuple[str, int]:
    form = ReportForm()
    if not form.is_submitted():
        return render_template("report/new.html", form=form, file_errors=[])
    if form.website.data:
        return render_template("error.html", message=texts.HONEYPOT, status=400), 400
    file_errors: list[str] = []
    valid = form.validate()
    evidence = read_evidence(form.evidence.data or [], file_errors)
    if not valid or file_errors:
        return render_template("report/new.html", form=form, file_errors=file_errors), 400
    accepted = submit_report(
        request_session(),
        vault(),
        ReportContent.from_mapping(form.content()),
        form.contact(),
        evidence,
        WEB_CHANNEL,
    )
    hand_to_triage(accepted.report_id)
    # Rendered in the POST's answer, never stored or redirected: the code exists only here.
    return render_template(
        "report/receipt.html", receipt=accepted.receipt, form=AcknowledgeForm(), kind="report"
    )


@bp.post("/receipt/noted")
def noted() -> Response | str | tuple[str, int]:
    form = AcknowledgeForm()
    if not form.validate():
        return render_template("report/not_noted.html", form=form), 400
    return redirect(url_for("report.thanks"))


@bp.get("/thanks")
def thanks() -> str:
    return render_template("report/thanks.html")
