"""Reports that came by phone, letter, email or visit, entered by staff; they then flow like
web reports. The caller can be given the receipt code, shown here once."""
from __future__ import annotations

from flask import Blueprint, current_app, render_template, request

from models.session import request_session
from models.vocabulary import CHANNELS, WEB_CHANNEL
from models.shared.forms import ReportFields
from models.shared.content import ReportContent
from models.shared.intake import submit_report
from models.shared.vault import Vault
from triage.auth import actor, roles
from triage.services.audit import record
from triage.views import office_key

bp = Blueprint("intake", __name__, url_prefix="/intake")
OFFICE_CHANNELS = [c for c in CHANNELS if c != WEB_CHANNEL]


@bp.route("/", methods=["GET", "POST"])
@roles("triage", "supervisor")
def new() -> str | tuple[str, int]:
    form = ReportFields()
    channel = request.form.get("channel", OFFICE_CHANNELS[0])
    if not form.validate_on_submit() or channel not in OFFICE_CHANNELS:
        status = 400 if request.method == "POST" else 200
        return render_template("intake/new.html", form=form, channels=OFFICE_CHANNELS, receipt=""), status
    settings = current_app.config["QINGFENG"]
    vault = Vault(office_key().public_key(), settings.receipt_pepper, settings.receipt_kdf, settings.paths.uploads)
    db = request_session()
    accepted = submit_report(db, vault, ReportContent.from_mapping(form.content()),
                             form.contact(), [], channel)
    record(db, actor(), "intake", f"report:{accepted.report_id}", detail=channel)
    db.commit()
    current_app.extensions["qingfeng_handoff"](accepted.report_id)
    receipt = accepted.receipt if request.form.get("give_receipt") else ""
    return render_template("intake/new.html", form=ReportFields(formdata=None), channels=OFFICE_CHANNELS,
                           receipt=receipt, report_id=accepted.report_id)
