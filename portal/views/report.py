"""The report form and the receipt shown once."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from werkzeug.wrappers import Response

from models.session import request_session
from models.vocabulary import WEB_CHANNEL
from portal import texts
from portal.forms import AcknowledgeForm, ReportForm
from portal.once import already_sent, forget_receipt, keep_receipt, remember_sent, waiting_receipt
from portal.security import FORM_AGAIN, blank_form, limiter, setting
from models.shared.content import ReportContent
from models.shared.intake import submit_report
from portal.views import hand_to_triage, read_evidence, vault

bp = Blueprint("report", __name__)


@bp.route("/report", methods=["GET", "POST"])
@limiter.limit(setting("submissions_per_day"), methods=["POST"])
def new() -> Response | str | tuple[str, int]:
    form = ReportForm()
    if not form.is_submitted():
        return blank_form(render_template("report/new.html", form=form, file_errors=[]))
    if form.website.data:
        return render_template("error.html", message=texts.HONEYPOT, status=400), 400
    file_errors: list[str] = []
    valid = form.validate()
    evidence = read_evidence(form.evidence.data or [], file_errors)
    if not valid or file_errors:
        return render_template("report/new.html", form=form, file_errors=file_errors), 400
    if already_sent(form.once.data):  # a reload, a resend or a second tap: stored once already
        return redirect(url_for("report.receipt"), 303)
    accepted = submit_report(
        request_session(),
        vault(),
        ReportContent.from_mapping(form.content()),
        form.contact(),
        evidence,
        WEB_CHANNEL,
    )
    # Stored: from here on nothing may turn the answer into an error (the hand-off never raises).
    remember_sent(form.once.data)
    keep_receipt("report", accepted.receipt)
    hand_to_triage(accepted.report_id)
    return redirect(url_for("report.receipt"), 303)


def _form_again(message: str, status: int) -> tuple[str, int]:
    """The form as it was posted, with `message` on top (portal/security.py FORM_AGAIN)."""
    return render_template("report/new.html", form=ReportForm(), file_errors=[], notice=message), status


FORM_AGAIN["report.new"] = _form_again


@bp.get("/receipt")
def receipt() -> str | tuple[str, int]:
    """The code just handed out, until the reporter ticks 我已记下 (portal/once.py)."""
    waiting = waiting_receipt()
    if waiting is None:
        return render_template("report/receipt_gone.html"), 404
    if waiting["kind"] == "disclosure":
        return render_template("disclosure/receipt.html", reference=waiting["reference"],
                               receipt=waiting["code"], form=AcknowledgeForm())
    return render_template("report/receipt.html", receipt=waiting["code"], form=AcknowledgeForm())


@bp.post("/receipt/noted")
def noted() -> Response | str | tuple[str, int]:
    form = AcknowledgeForm()
    if not form.validate():
        waiting = waiting_receipt()
        return render_template("report/not_noted.html", form=form,
                               receipt=waiting["code"] if waiting else ""), 400
    forget_receipt()
    return redirect(url_for("report.thanks"))


@bp.get("/thanks")
def thanks() -> str:
    return render_template("report/thanks.html")
