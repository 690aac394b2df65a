"""The register of 主动说明 and hand-backs, reconciled against bank transfer remarks."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from models.disclosure import REFERENCE_ALPHABET, Disclosure
from models.shared import sealed
from models.session import request_session
from triage.auth import actor, roles
from triage.services.audit import record
from triage.views import office_key

bp = Blueprint("disclosures", __name__, url_prefix="/disclosures")
REFERENCE = re.compile(f"[{REFERENCE_ALPHABET}]{{8}}")


@bp.get("/")
@roles("supervisor")
def index() -> str:
    db = request_session()
    rows = db.scalars(select(Disclosure).order_by(Disclosure.id.desc()).limit(500)).all()
    key = office_key()
    entries = [(d, sealed.DISCLOSURE.open(key, d.content_box, d.uid)) for d in rows]
    record(db, actor(), "open_disclosures", "disclosures", detail=str(len(entries)))
    db.commit()
    return render_template("disclosures/index.html", entries=entries)


def _yuan(text: str) -> Decimal | None:
    """An amount in yuan, or None when it is not a number. NaN, sNaN, Infinity and exponents
    beyond any amount of money are refused with a 400: sNaN raised on comparison (a 500), and a
    huge exponent costs time and memory in every later arithmetic."""
    try:
        value = Decimal(text.replace(",", "").strip())
    except (InvalidOperation, AttributeError):
        return None
    if not value.is_finite() or abs(value.adjusted()) > 12 or value.as_tuple().exponent < -12:
        abort(400)
    return value


@bp.post("/reconcile")
@roles("supervisor")
def reconcile() -> Response:
    """Match a transfer remark (e.g. '医药整治-ZD7K3Q9M') and amount to a disclosure."""
    remark, amount = request.form.get("remark", "").upper(), _yuan(request.form.get("amount", ""))
    remark_word = current_app.extensions["qingfeng_jurisdiction"].integrity_account.remark
    match = REFERENCE.search(remark.replace(remark_word.upper(), ""))
    db = request_session()
    disclosure = db.scalar(select(Disclosure).where(Disclosure.reference == match.group(0))) if match else None
    if disclosure is None:
        flash("转账备注中没有找到有效的上交编号。")
        return redirect(url_for("disclosures.index"))
    declared = _yuan(sealed.DISCLOSURE.open(office_key(), disclosure.content_box, disclosure.uid)
                     .get("amount_yuan") or "")
    if amount is None or (declared is not None and amount != declared):
        flash(f"编号 {disclosure.reference} 的到账金额与申报金额（{declared} 元）不一致，请核实。")
        outcome = "mismatch"
    else:
        disclosure.status = "reconciled"
        flash(f"编号 {disclosure.reference} 已核对到账。")
        outcome = "ok"
    record(db, actor(), "reconcile", f"disclosure:{disclosure.id}", outcome, detail=str(amount))
    db.commit()
    return redirect(url_for("disclosures.index"))
