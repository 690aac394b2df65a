"""主动说明: voluntary disclosure and hand-back to the integrity account."""
from __future__ import annotations

from flask import Blueprint, render_template

from models.session import request_session
from portal.forms import AcknowledgeForm, DisclosureForm
from portal.security import limiter, setting
from portal.services.disclosure import DisclosureContent, submit_disclosure
from portal.views import vault

bp = Blueprint("disclosure", __name__)


@bp.route("/disclosure", methods=["GET", "POST"])
@limiter.limit(setting("submissions_per_day"), methods=["POST"])
def new() -> str | tuple[str, int]:
    form = DisclosureForm()
    if not form.validate_on_submit():
        status = 400 if form.is_submitted() else 200
        return render_template("disclosure/new.html", form=form), status
    accepted = submit_disclosure(
        request_session(),
        vault(),
        DisclosureContent(
            name=form.name.data, unit=form.unit.data, description=form.description.data,
            post=form.post.data or "", phone=form.phone.data or "",
            amount_yuan=(form.amount_yuan.data or "").replace(",", ""), goods=form.goods.data or "",
        ),
    )
    return render_template(
        "disclosure/receipt.html", accepted=accepted, receipt=accepted.receipt,
        form=AcknowledgeForm(), kind="disclosure",
    )
