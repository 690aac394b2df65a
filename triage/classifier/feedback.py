"""Labels confirmed or corrected by staff, as training examples for the next model."""
from __future__ import annotations

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.lead import Feedback
from models.report import Report
from models.sealing import open_box, open_json
from triage.classifier.corpus import Example

SOURCE = "feedback"


def confirmed_examples(session: Session, office_key: X25519PrivateKey) -> list[Example]:
    """One example per report whose categories staff confirmed, in the order they did so."""
    from triage.jobs import report_text

    examples = []
    rows = session.execute(select(Feedback, Report).join(Report, Report.id == Feedback.report_id)
                           .order_by(Feedback.id)).all()
    for feedback, report in rows:
        content = open_json(office_key, report.content_box, "report", report.uid)
        replies = [open_box(office_key, m.body_box, "reporter-message", report.uid).decode()
                   for m in report.messages if m.sender == "reporter"]
        examples.append(Example(report_text(content, replies), tuple(feedback.categories),
                                feedback.agency, "feedback", SOURCE))
    return examples
