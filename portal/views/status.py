"""Status by receipt code: read, reply, add evidence."""
from __future__ import annotations

from flask import Blueprint, render_template

from models.shared.receipt import MalformedReceipt
from models.session import request_session
from portal import texts
from portal.forms import EvidenceForm, ReceiptForm, ReplyForm
from portal.once import already_sent, remember_sent
from portal.security import lookup_budget
from portal.services.status import ReceiptNotFound, Unlocked, add_evidence, add_reply, read_status
from portal.views import hand_to_triage, read_evidence, unlock_counted, vault

bp = Blueprint("status", __name__)


def _unlock(form: ReceiptForm, report_only: bool = False) -> Unlocked | str:
    """The receipt behind the form's code, or a Chinese message saying why not."""
    try:
        unlocked = unlock_counted(form.receipt.data)
    except MalformedReceipt:
        return texts.RECEIPT_MALFORMED
    except ReceiptNotFound:
        return texts.RECEIPT_NOT_FOUND
    if report_only and unlocked.receipt.report_id is None:
        return texts.RECEIPT_NOT_FOUND  # a disclosure's receipt reads its status, nothing more
    return unlocked


def _finished(unlocked: Unlocked) -> bool:
    """A rejected or closed report takes no more replies or evidence."""
    return unlocked.receipt.report.status in texts.FINISHED_STATUSES


def _show(unlocked: Unlocked, receipt: str, notice: str = "", errors: list[str] | None = None,
          status: int = 200) -> tuple[str, int]:
    view = read_status(unlocked)
    return render_template(
        "status/show.html", view=view, receipt=receipt, notice=notice, errors=errors or [],
        meanings=texts.STATUS_MEANINGS, finished=view.status in texts.FINISHED_STATUSES,
        reply_form=ReplyForm(formdata=None, receipt=receipt),
        evidence_form=EvidenceForm(formdata=None, receipt=receipt),
    ), status


@bp.route("/status", methods=["GET", "POST"])
@lookup_budget
def lookup() -> str | tuple[str, int]:
    form = ReceiptForm()
    if not form.validate_on_submit():
        return render_template("status/lookup.html", form=form, error=""), 400 if form.is_submitted() else 200
    unlocked = _unlock(form)
    if isinstance(unlocked, str):
        return render_template("status/lookup.html", form=form, error=unlocked), 404
    return _show(unlocked, form.receipt.data)


@bp.post("/status/reply")
@lookup_budget
def reply() -> str | tuple[str, int]:
    form = ReplyForm()
    if not form.validate_on_submit():
        unlocked = _unlock(form) if form.receipt.data else texts.RECEIPT_MALFORMED
        if isinstance(unlocked, str):
            return render_template("status/lookup.html", form=form, error=unlocked), 404
        errors = [e for field_errors in form.errors.values() for e in field_errors]
        return _show(unlocked, form.receipt.data, errors=errors, status=400)
    unlocked = _unlock(form, report_only=True)
    if isinstance(unlocked, str):
        return render_template("status/lookup.html", form=form, error=unlocked), 404
    if _finished(unlocked):
        return _show(unlocked, form.receipt.data, errors=[texts.FINISHED], status=409)
    if not already_sent(form.once.data):  # a reload resends the form: store it once
        add_reply(request_session(), vault(), unlocked, form.body.data)
        remember_sent(form.once.data)
        hand_to_triage(unlocked.receipt.report_id)
    return _show(unlocked, form.receipt.data, notice=texts.REPLY_SENT)


@bp.post("/status/evidence")
@lookup_budget
def evidence() -> str | tuple[str, int]:
    form = EvidenceForm()
    unlocked = _unlock(form, report_only=True) if form.validate_on_submit() else texts.RECEIPT_MALFORMED
    if isinstance(unlocked, str):
        return render_template("status/lookup.html", form=form, error=unlocked), 404
    if _finished(unlocked):
        return _show(unlocked, form.receipt.data, errors=[texts.FINISHED], status=409)
    errors: list[str] = []
    files = read_evidence(form.evidence.data or [], errors)
    if errors or not files:
        return _show(unlocked, form.receipt.data, errors=errors or ["请选择要补充的文件。"], status=400)
    count = len(files)
    if not already_sent(form.once.data):
        count = add_evidence(request_session(), vault(), unlocked, files)
        remember_sent(form.once.data)
        hand_to_triage(unlocked.receipt.report_id)
    return _show(unlocked, form.receipt.data, notice=texts.EVIDENCE_ADDED.format(count=count))
