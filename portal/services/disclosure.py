"""主动说明: a medical worker's voluntary disclosure, with a reference for the transfer remark."""
from __future__ import annotations

from dataclasses import asdict, dataclass

from sqlalchemy.orm import Session

from models.disclosure import Disclosure
from models.report import new_uid
from models.shared import sealed
from models.shared.intake import new_receipt
from models.shared.vault import Vault


@dataclass(frozen=True)
class DisclosureContent:
    name: str
    unit: str
    description: str
    post: str = ""
    phone: str = ""
    amount_yuan: str = ""
    goods: str = ""


@dataclass(frozen=True)
class DisclosureAccepted:
    disclosure_id: int
    reference: str
    receipt: str


def submit_disclosure(session: Session, vault: Vault, content: DisclosureContent) -> DisclosureAccepted:
    """Store a sealed disclosure and give back its transfer reference and receipt code."""
    uid = new_uid()
    disclosure = Disclosure(
        uid=uid, content_box=sealed.DISCLOSURE.seal(vault.office_key, asdict(content), uid)
    )
    code, receipt = new_receipt(vault)
    receipt.disclosure = disclosure
    session.add_all([disclosure, receipt])
    session.commit()
    return DisclosureAccepted(disclosure.id, disclosure.reference, code)
