"""SQLAlchemy models shared by the portal, the back office and the worker."""
from models.base import Base
from models.disclosure import Disclosure
from models.audit import AuditEvent
from models.lead import Feedback, Lead, LeadEvent, ReportLink, ReportTerm, Transfer
from models.partner import PartnerToken
from models.report import Attachment, Message, Receipt, Report, StatusEvent
from models.staff import Staff
from models.stats import StatsDay, StatsRefresh

__all__ = ["Base", "Report", "StatusEvent", "Attachment", "Message", "Receipt", "Disclosure",
           "Lead", "ReportTerm", "ReportLink", "Transfer", "LeadEvent", "Feedback", "Staff",
           "AuditEvent", "StatsDay", "StatsRefresh", "PartnerToken"]
