"""Labels confirmed or corrected by staff, as training examples for the next model."""
from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.lead import Feedback
from models.report import Report
from models.shared import sealed
from models.shared.content import report_text
from triage.classifier.corpus import Example

SOURCE = "feedback"


def confirmed_examples(session: Session, office_key: X25519PrivateKey) -> list[Example]:
    """One example per report whose categories staff confirmed, in the order they did so."""
    examples = []
    rows = session.execute(select(Feedback, Report).join(Report, Report.id == Feedback.report_id)
                           .order_by(Feedback.id)).all()
    for feedback, report in rows:
        content = sealed.REPORT.open(office_key, report.content_box, report.uid)
        replies = [sealed.REPORTER_MESSAGE.open(office_key, m.body_box, report.uid)
                   for m in report.messages if m.sender == "reporter"]
        examples.append(Example(report_text(content, replies), tuple(feedback.categories),
                                feedback.agency, "feedback", SOURCE))
    return examples
