"""Closed vocabularies stored in the database (values are the Chinese terms of docs/domain.md)."""
from __future__ import annotations

# How a report reached the office: the channels of seed 000 annex 3 and the 线索来源 of seed 002.
CHANNELS = (
    "网络", "电话", "信件/邮箱", "来访",
    "信访举报", "检举控告", "巡视巡察", "上级纪委监委交办", "审计发现", "政法机关移送", "自行发现",
)
WEB_CHANNEL = "网络"

# The only statuses a reporter ever sees (docs/domain.md, "Public statuses").
PUBLIC_STATUSES = {
    "submitted": "已提交",
    "accepted": "已受理",
    "rejected": "不予受理",
    "transferred": "已转办",
    "in_progress": "办理中",
    "extended": "已延期",
    "closed": "已办结",
}

# Where a report is in the hand-off to triage (P6: a report is never left without a state).
TRIAGE_PENDING = "pending"  # committed, not yet handed to a queue
TRIAGE_QUEUED = "queued"  # handed to RQ or the in-process runner
TRIAGE_AWAITING = "awaiting"  # the triage job saw it; no classifier has run yet
TRIAGE_DONE = "done"
TRIAGE_FAILED = "failed"
TRIAGE_STATES = (TRIAGE_PENDING, TRIAGE_QUEUED, TRIAGE_AWAITING, TRIAGE_DONE, TRIAGE_FAILED)

MESSAGE_SENDERS = ("reporter", "office")
DISCLOSURE_STATUSES = ("submitted", "confirmed", "reconciled")

# The lead's workflow (线索): drafted by triage, then decided by staff. Labels are the office's.
LEAD_DRAFT = "draft"  # the model's suggestion, not yet seen by staff
LEAD_ACCEPTED = "accepted"  # 受理并登记 (ledger number given)
LEAD_REJECTED = "rejected"  # 不予受理
LEAD_MERGED = "merged"  # 并案: joined to another lead
LEAD_TRANSFERRED = "transferred"  # 已转办 to one or more agencies
LEAD_IN_PROGRESS = "in_progress"  # an agency has acknowledged and works on it
LEAD_CONCLUDED = "concluded"  # disposal and result recorded
LEAD_CLOSED = "closed"  # 销号: the answer went back to the reporter
LEAD_STATES = {
    LEAD_DRAFT: "待研判",
    LEAD_ACCEPTED: "已受理登记",
    LEAD_REJECTED: "不予受理",
    LEAD_MERGED: "已并案",
    LEAD_TRANSFERRED: "已转办",
    LEAD_IN_PROGRESS: "办理中",
    LEAD_CONCLUDED: "已办结待销号",
    LEAD_CLOSED: "已销号",
}

# A transfer's role: the agency that leads, or one that co-handles (一案多查).
TRANSFER_LEAD = "lead"
TRANSFER_CO = "co"
TRANSFER_ROLES = {TRANSFER_LEAD: "主办", TRANSFER_CO: "协办"}

# Back-office roles (README, "The back office"; docs/roles.md).
ROLE_ADMIN = "admin"
ROLE_AUDITOR = "auditor"
ROLE_SUPERVISOR = "supervisor"
ROLE_TRIAGE = "triage"
ROLE_LIAISON = "liaison"
ROLES = {
    ROLE_ADMIN: "系统管理员",
    ROLE_AUDITOR: "审计员",
    ROLE_SUPERVISOR: "专班负责人",
    ROLE_TRIAGE: "受理员",
    ROLE_LIAISON: "成员单位联络员",
}
