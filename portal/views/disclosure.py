"""主动说明: voluntary disclosure and hand-back to the integrity account."""
from __future__ import annotations

from flask import Blueprint, redirect, render_template, url_for
from flask.typing import ResponseReturnValue

from models.session import request_session
from portal.forms import DisclosureForm
from portal.once import already_sent, keep_receipt, remember_sent
from portal.security import FORM_AGAIN, blank_form, limiter, setting
from portal.services.disclosure import DisclosureContent, submit_disclosure
from portal.views import vault

bp = Blueprint("disclosure", __name__)


def _form_again(message: str, status: int) -> tuple[str, int]:
    return render_template("disclosure/new.html", form=DisclosureForm(), notice=message), status


FORM_AGAIN["disclosure.new"] = _form_again


@bp.route("/disclosure", methods=["GET", "POST"])
@limiter.limit(setting("submissions_per_day"), methods=["POST"])
def new() -> ResponseReturnValue:
    form = DisclosureForm()
    if not form.is_submitted():
        return blank_form(render_template("disclosure/new.html", form=form))
    if not form.validate():
        return render_template("disclosure/new.html", form=form), 400
    if already_sent(form.once.data):
        return redirect(url_for("report.receipt"), 303)
    accepted = submit_disclosure(
        request_session(),
        vault(),
        DisclosureContent(
            name=form.name.data, unit=form.unit.data, description=form.description.data,
            post=form.post.data or "", phone=form.phone.data or "",
            amount_yuan=(form.amount_yuan.data or "").replace(",", ""), goods=form.goods.data or "",
        ),
    )
    remember_sent(form.once.data)
    keep_receipt("disclosure", accepted.receipt, accepted.reference)
    return redirect(url_for("report.receipt"), 303)
