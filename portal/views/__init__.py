"""Portal blueprints, one module each."""
from __future__ import annotations

import logging

from flask import current_app
from werkzeug.datastructures import FileStorage

from config.settings import PortalSettings
from models.session import request_session
from portal import texts
from models.shared.evidence import MAX_PIXELS, Evidence, EvidenceRejected, prepare_evidence
from models.shared.vault import Vault
from portal.security import WrongCodesSpent, count_wrong_code, wrong_codes_allowed
from portal.services.status import ReceiptNotFound, Unlocked, unlock


def vault() -> Vault:
    return current_app.extensions["qingfeng_vault"]


def settings() -> PortalSettings:
    return current_app.config["QINGFENG"]


def hand_to_triage(report_id: int) -> None:
    """After the commit: hand the id over; if that fails the sweep will (P6). Never raises: the
    report is stored, and the reporter must get the receipt whatever happens here."""
    try:
        current_app.extensions["qingfeng_handoff"](report_id)
    except Exception as exc:  # a hand-off bug or fault must not hide a stored report's receipt
        logging.getLogger("qingfeng.portal").warning(
            "hand-off failed (%s); the report waits for the sweep", type(exc).__name__)


def unlock_counted(typed: str) -> Unlocked:
    """`unlock` under the global budget of wrong codes. The budget is read before the scrypt and
    a miss is counted after it, so a right code is answered even while guessers have spent the
    budget, a wrong one then gets WrongCodesSpent (429), and either costs its one scrypt."""
    may_miss = wrong_codes_allowed()
    try:
        return unlock(request_session(), vault(), typed)
    except ReceiptNotFound:
        if may_miss and count_wrong_code():
            raise
        raise WrongCodesSpent() from None


def read_evidence(files: list[FileStorage], errors: list[str]) -> list[Evidence]:
    """Check uploaded files; appends a Chinese message to `errors` for each refused one."""
    # A hostile client can send a text part under the files' name: only files count.
    chosen = [f for f in files if isinstance(f, FileStorage) and f.filename]
    limit = settings().max_attachments
    if len(chosen) > limit:
        errors.append(texts.EVIDENCE_TOO_MANY.format(limit=limit))
        return []
    evidence = []
    for upload in chosen:
        data = upload.read(settings().max_attachment_bytes + 1)
        try:
            evidence.append(prepare_evidence(upload.filename or "", data, settings().max_attachment_bytes))
        except EvidenceRejected as refused:
            message = {
                "empty": texts.EVIDENCE_EMPTY,
                "too_big": texts.EVIDENCE_TOO_BIG,
                "type": texts.EVIDENCE_TYPE,
                "broken": texts.EVIDENCE_BROKEN,
                "pixels": texts.EVIDENCE_PIXELS,
            }[refused.reason]
            errors.append(message.format(name=refused.name, mb=settings().max_attachment_bytes // 2**20,
                                         pixels=MAX_PIXELS // 10_000))
    return evidence
