"""SQLAlchemy models shared by the portal, the back office and the worker."""
from models.base import Base
from models.disclosure import Disclosure
from models.lead import Lead, ReportLink, ReportTerm
from models.report import Attachment, Message, Receipt, Report, StatusEvent

__all__ = ["Base", "Report", "StatusEvent", "Attachment", "Message", "Receipt", "Disclosure",
           "Lead", "ReportTerm", "ReportLink"]
