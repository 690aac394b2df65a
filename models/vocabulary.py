"""Closed vocabularies stored in the database (values are the Chinese terms of DOMAIN.md)."""
from __future__ import annotations

# How a report reached the office: the channels of seed 000 annex 3 and the 线索来源 of seed 002.
CHANNELS = (
    "网络", "电话", "信件/邮箱", "来访",
    "信访举报", "检举控告", "巡视巡察", "上级纪委监委交办", "审计发现", "政法机关移送", "自行发现",
)
WEB_CHANNEL = "网络"

# The only statuses a reporter ever sees (DOMAIN.md "Deadlines, statuses and feedback").
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
