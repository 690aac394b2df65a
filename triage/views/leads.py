"""The lead ledger and one lead's life: transfer, agency progress, outcome, 督办, 销号."""
from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.wrappers import Response

from config.deadlines import load_rules as load_deadline_rules
from models.base import utcnow
from models.lead import Lead, Transfer
from models.shared import sealed
from models.session import request_session
from triage.auth import actor, current_staff, roles
from triage.forms import small_int
from triage.services import deadlines
from triage.services.leads import (
    DISPOSALS, FOLLOW_UPS, RESULTS, WorkflowError, close_lead, extend_transfer, liaison_accept,
    record_outcome, record_progress, supervise, transfer_lead,
)
from triage.views import office_key

bp = Blueprint("leads", __name__, url_prefix="/leads")
STAFF = ("triage", "supervisor")


def _visible(query):  # type: ignore[no-untyped-def]
    """A liaison sees only the leads transferred to their agency."""
    staff = current_staff()
    if staff.role == "liaison":
        query = query.where(Lead.id.in_(select(Transfer.lead_id).where(Transfer.agency == staff.agency)))
    return query


# What one agency records on its own part of a lead; a liaison sees only their agency's.
AGENCY_ACTIONS = frozenset({"transfer_accepted", "progress", "extend", "outcome", "reminder"})


def visible_history(lead: Lead, staff) -> list:  # type: ignore[no-untyped-def]
    """The lead's history as `staff` may see it: a liaison is not shown another agency's
    acknowledgements, progress notes, extensions or outcomes."""
    if staff.role != "liaison":
        return list(lead.history)
    return [e for e in lead.history
            if e.action not in AGENCY_ACTIONS or (e.detail or {}).get("agency") == staff.agency]


def _lead(lead_id: int) -> Lead:
    lead = request_session().scalar(_visible(select(Lead).where(Lead.id == lead_id)))
    if lead is None:
        abort(404)
    return lead


@bp.get("/")
@roles("triage", "supervisor", "liaison")
def index() -> str:
    query = _visible(select(Lead).where(Lead.ledger_number.is_not(None), Lead.accepted_at.is_not(None))
                     .options(selectinload(Lead.transfers)))
    if request.args.get("watch") == "1":
        query = query.where(Lead.id.in_(select(Transfer.lead_id).where(Transfer.finished_at.is_(None))))
    leads = request_session().scalars(query.order_by(Lead.accepted_at.desc()).limit(200)).all()
    now, rules = utcnow(), load_deadline_rules()
    return render_template("lead/index.html", leads=leads, now=now,
                           state=lambda t: deadlines.state(t, now, rules))


@bp.get("/deadlines")
@roles("supervisor")
def due() -> str:
    """Unfinished transfers, the most urgent first: what the supervisor chases and 督办s."""
    rows = request_session().execute(
        select(Transfer, Lead).join(Lead, Lead.id == Transfer.lead_id)
        .where(Transfer.finished_at.is_(None)).order_by(Transfer.handle_due).limit(300)).all()
    now, rules = utcnow(), load_deadline_rules()
    return render_template("lead/deadlines.html", rows=rows, state=lambda t: deadlines.state(t, now, rules))


@bp.get("/<int:lead_id>")
@roles("triage", "supervisor", "liaison")
def show(lead_id: int) -> str:
    lead = _lead(lead_id)
    key = office_key()
    summary = sealed.LEAD_SUMMARY.open(key, lead.summary_box, lead.report.uid) if lead.summary_box else ""
    entities = sealed.LEAD_ENTITIES.open(key, lead.entities_box, lead.report.uid)
    staff = current_staff()
    history = visible_history(lead, staff)
    notes = {e.id: sealed.LEAD_NOTE.open(key, e.note_box, lead.report.uid)
             for e in history if e.note_box}
    # A liaison sees who reported only when granted (qingfeng user add --see-contact).
    contact = (sealed.CONTACT.open(key, lead.report.contact_box, lead.report.uid)
               if lead.report.contact_box and (staff.role != "liaison" or staff.can_see_contact) else None)
    from triage.services.audit import record

    record(request_session(), actor(), "open_lead", f"lead:{lead.id}")
    request_session().commit()
    now, rules = utcnow(), load_deadline_rules()
    return render_template("lead/show.html", lead=lead, summary=summary, entities=entities, notes=notes,
                           contact=contact, history=history,
                           state=lambda t: deadlines.state(t, now, rules), disposals=DISPOSALS,
                           results=RESULTS, follow_ups=FOLLOW_UPS, staff=current_staff())


def _do(lead_id: int, step) -> Response:  # type: ignore[no-untyped-def]
    lead = _lead(lead_id)
    try:
        step(lead)
        request_session().commit()
    except WorkflowError as refused:
        request_session().rollback()
        flash(str(refused))
    return redirect(url_for("leads.show", lead_id=lead_id))


def _transfer(lead: Lead) -> Transfer:
    """The transfer the form names — one of the liaison's own agency, never another's."""
    transfer_id = request.form.get("transfer_id", "")
    for transfer in lead.transfers:
        if str(transfer.id) == transfer_id and transfer.agency == current_staff().agency:
            return transfer
    raise WorkflowError("转办记录不存在。")


def _agency() -> str | None:
    return current_staff().agency


@bp.post("/<int:lead_id>/transfer")
@roles(*STAFF)
def transfer(lead_id: int) -> Response:
    return _do(lead_id, lambda lead: transfer_lead(request_session(), lead, actor()))


@bp.post("/<int:lead_id>/supervise")
@roles("supervisor")
def supervise_view(lead_id: int) -> Response:
    return _do(lead_id, lambda lead: supervise(request_session(), lead, actor()))


@bp.post("/<int:lead_id>/acknowledge")
@roles("liaison")
def acknowledge(lead_id: int) -> Response:
    return _do(lead_id, lambda lead: liaison_accept(request_session(), _transfer(lead), actor(), _agency()))


@bp.post("/<int:lead_id>/progress")
@roles("liaison")
def progress(lead_id: int) -> Response:
    return _do(lead_id, lambda lead: record_progress(
        request_session(), _transfer(lead), actor(), _agency(), request.form.get("note", ""),
        office_key().public_key()))


@bp.post("/<int:lead_id>/extend")
@roles("liaison")
def extend(lead_id: int) -> Response:
    days = small_int(request.form.get("days")) or 0
    return _do(lead_id, lambda lead: extend_transfer(
        request_session(), _transfer(lead), actor(), _agency(), request.form.get("reason", ""), days))


@bp.post("/<int:lead_id>/outcome")
@roles("liaison")
def outcome(lead_id: int) -> Response:
    form = request.form
    stats = {"unit_type": form.get("unit_type") or None, "cadre_rank": form.get("cadre_rank") or None,
             "discipline_form": small_int(form.get("discipline_form")),
             "admin_penalty": "行政处罚" in form.getlist("follow_ups"), "publicised": form.get("publicised") == "1",
             "rules_improved": small_int(form.get("rules_improved")) or 0}
    return _do(lead_id, lambda lead: record_outcome(
        request_session(), _transfer(lead), actor(), _agency(), form.get("disposal", ""),
        form.get("result", ""), form.getlist("follow_ups"), stats))


@bp.post("/<int:lead_id>/close")
@roles("supervisor")
def close(lead_id: int) -> Response:
    return _do(lead_id, lambda lead: close_lead(request_session(), lead, actor(), request.form.get("reply", "")))
