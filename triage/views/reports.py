"""One report, decrypted for staff (every opening audited), and the intake decisions."""
from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select

from models.lead import Lead, ReportLink
from models.report import Attachment, Report
from models.shared import sealed
from models.vocabulary import LEAD_DRAFT
from models.shared.evidence import download_type, sealed_bytes
from models.session import request_session
from triage.auth import actor, current_staff, roles
from triage.forms import small_int
from triage.services.audit import record
from triage.services.leads import WorkflowError, accept_lead, merge_report, reject_report, send_message
from triage.views import office_key

bp = Blueprint("reports", __name__, url_prefix="/reports")
READERS = ("triage", "supervisor")


def _report(report_id: int) -> Report:
    report = request_session().get(Report, report_id)
    if report is None:
        abort(404)
    return report


def _transferred_to(report: Report, agency: str | None) -> bool:
    lead = _lead(report)
    return lead is not None and any(t.agency == agency for t in lead.transfers)


def _lead(report: Report) -> Lead | None:
    return request_session().scalar(select(Lead).where(Lead.report_id == report.id))


def decrypted(report: Report) -> dict:
    """What the reporter wrote, their replies and our messages, opened with the office key."""
    key = office_key()
    lead = _lead(report)
    staff = current_staff()
    show_contact = staff.role in ("triage", "supervisor") or staff.can_see_contact
    return {
        "content": sealed.REPORT.open(key, report.content_box, report.uid),
        "contact": sealed.CONTACT.open(key, report.contact_box, report.uid)
        if report.contact_box and show_contact else None,
        "attachments": [(a, sealed.ATTACHMENT_META.open(key, a.meta_box, report.uid, a.storage_name))
                        for a in report.attachments],
        "replies": [(m, sealed.REPORTER_MESSAGE.open(key, m.body_box, report.uid))
                    for m in report.messages if m.sender == "reporter"],
        "sent": [m for m in report.messages if m.sender == "office"],
        "entities": sealed.LEAD_ENTITIES.open(key, lead.entities_box, report.uid) if lead else None,
    }


@bp.get("/<int:report_id>")
@roles(*READERS)
def show(report_id: int) -> str:
    report = _report(report_id)
    data = decrypted(report)
    record(request_session(), actor(), "open_report", f"report:{report.id}")
    request_session().commit()
    links = request_session().scalars(select(ReportLink).where(ReportLink.report_id == report.id)).all()
    return render_template("report/show.html", report=report, lead=_lead(report), links=links,
                           next_report=next_in_queue(report.id), **data)


@bp.get("/<int:report_id>/attachments/<int:attachment_id>")
@roles(*READERS)
def attachment(report_id: int, attachment_id: int) -> Response:
    report = _report(report_id)
    item = request_session().get(Attachment, attachment_id)
    if item is None or item.report_id != report.id:
        abort(404)
    meta = sealed.ATTACHMENT_META.open(office_key(), item.meta_box, report.uid, item.storage_name)
    box = sealed_bytes(item, current_app.config["QINGFENG"].paths.uploads)
    data = sealed.ATTACHMENT.open(office_key(), box, report.uid, item.storage_name)
    record(request_session(), actor(), "open_attachment", f"attachment:{item.id}")
    request_session().commit()
    # Type and name come from the bytes, not from what was stored (older rows kept the
    # reporter's extension). Images were re-encoded at intake (no metadata left) and may be
    # shown inline; the rest is downloaded, never rendered or sniffed by the browser.
    content_type, filename = download_type(data, meta["filename"])
    inline = meta["stripped"] and content_type.startswith("image/") and request.args.get("inline")
    return Response(data, mimetype=content_type, headers={
        "Content-Disposition": f"{'inline' if inline else 'attachment'}; filename*=UTF-8''"
                               + _quote(filename),
        "X-Content-Type-Options": "nosniff"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def _act(report_id: int, step, done: str = "") -> Response:  # type: ignore[no-untyped-def]
    """Run one decision on a report's lead; confirm it (`done`, formatted with the lead) or
    say why it was refused, and come back to the report with 下一件 offered."""
    report = _report(report_id)
    lead = _lead(report)
    if lead is None:
        flash("该举报尚未完成自动分析，请稍后再试。")
        return redirect(url_for("reports.show", report_id=report_id))
    try:
        step(report, lead)
        request_session().commit()
        if done:
            flash(done.format(lead=lead, target=_merged_into(lead)))
    except WorkflowError as refused:
        request_session().rollback()
        flash(str(refused))
    return redirect(url_for("reports.show", report_id=report_id))


def _merged_into(lead: Lead) -> str:
    if lead.merged_into_id is None:
        return ""
    return request_session().get(Lead, lead.merged_into_id).ledger_number or ""


def next_in_queue(report_id: int) -> int | None:
    """The report after this one in the queue (drafts, priority first, oldest first)."""
    return request_session().scalar(
        select(Lead.report_id).where(Lead.state == LEAD_DRAFT, Lead.report_id != report_id)
        .order_by(Lead.priority.desc(), Lead.report_id).limit(1))


def _confirmed(what: str) -> None:
    if request.form.get("confirm") != "1":
        raise WorkflowError(f"请勾选确认后再{what}。")


@bp.post("/<int:report_id>/accept")
@roles(*READERS)
def accept(report_id: int) -> Response:
    form = request.form
    categories = [n for n in map(small_int, form.getlist("categories")) if n and 1 <= n <= 32]
    prefix = current_app.extensions["qingfeng_jurisdiction"].short_name
    return _act(report_id, lambda report, lead: accept_lead(
        request_session(), lead, actor(), categories, form.get("agency", lead.agency),
        form.getlist("co_agencies"), form.get("summary", ""), office_key().public_key(), prefix),
        done="已受理并登记，台账编号 {lead.ledger_number}。")


@bp.post("/<int:report_id>/reject")
@roles(*READERS)
def reject(report_id: int) -> Response:
    def step(report: Report, lead: Lead) -> None:
        _confirmed("不予受理")
        reject_report(request_session(), lead, actor(), request.form.get("reason", ""),
                      request.form.get("channel", ""))
    return _act(report_id, step, done="已不予受理；举报人凭回执码可看到理由和建议的反映渠道。")


@bp.post("/<int:report_id>/merge")
@roles(*READERS)
def merge(report_id: int) -> Response:
    def step(report: Report, lead: Lead) -> None:
        _confirmed("并案")
        merge_report(request_session(), lead, actor(), request.form.get("ledger_number", ""))
    return _act(report_id, step, done="已并入 {target}。")


@bp.post("/<int:report_id>/tags")
@roles(*READERS)
def tags(report_id: int) -> Response:
    def tag(report: Report, lead: Lead) -> None:
        words = [t.strip()[:20] for t in request.form.get("tags", "").replace("，", ",").split(",")]
        lead.tags = [t for t in dict.fromkeys(words) if t][:10]
        record(request_session(), actor(), "tags", f"lead:{lead.id}")
    return _act(report_id, tag)


@bp.post("/<int:report_id>/message")
@roles("triage", "supervisor", "liaison")
def message(report_id: int) -> Response:
    report = _report(report_id)
    staff = current_staff()
    if staff.role == "liaison" and not _transferred_to(report, staff.agency):
        abort(404)  # a liaison writes only on reports transferred to their agency
    try:
        send_message(request_session(), report, actor(), request.form.get("text", ""))
        request_session().commit()
        flash("留言已发送，举报人凭回执码可以看到。")
    except WorkflowError as refused:
        flash(str(refused))
    target = request.form.get("back", "")
    return redirect(target if target.startswith("/") and not target.startswith("//")
                    else url_for("reports.show", report_id=report_id))
