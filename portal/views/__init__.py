"""Portal blueprints, one module each."""
from __future__ import annotations

from flask import current_app
from werkzeug.datastructures import FileStorage

from config.settings import PortalSettings
from portal import texts
from models.shared.evidence import Evidence, EvidenceRejected, prepare_evidence
from models.shared.vault import Vault


def vault() -> Vault:
    return current_app.extensions["qingfeng_vault"]


def settings() -> PortalSettings:
    return current_app.config["QINGFENG"]


def hand_to_triage(report_id: int) -> None:
    """After the commit: hand the id over; if that fails the sweep will (P6)."""
    current_app.extensions["qingfeng_handoff"](report_id)


def read_evidence(files: list[FileStorage], errors: list[str]) -> list[Evidence]:
    """Check uploaded files; appends a Chinese message to `errors` for each refused one."""
    chosen = [f for f in files if f and f.filename]
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
            }[refused.reason]
            errors.append(message.format(name=refused.name, mb=settings().max_attachment_bytes // 2**20))
    return evidence
