"""A lead's history as sentences an officer reads, never as codes (`accept ledger=… categories=[6]`)."""
from __future__ import annotations

from config.data import Taxonomy
from models.lead import LeadEvent

ACTIONS = {
    "accept": "受理并登记",
    "reject": "不予受理",
    "merge": "并案",
    "merged_in": "并入另一件举报",
    "transfer": "转办",
    "transfer_accepted": "签收转办",
    "progress": "记录核查进展",
    "extend": "延长办理期限",
    "outcome": "办结本单位部分",
    "supervise": "督办",
    "close": "销号并答复举报人",
    "reminder": "期限提醒",
}


def sentence(event: LeadEvent, taxonomy: Taxonomy) -> str:
    """One history entry in Chinese: who did what, with its particulars."""
    detail = event.detail or {}
    parts = [ACTIONS.get(event.action, "其他操作")]
    if detail.get("ledger"):
        parts.append(f"台账编号 {detail['ledger']}")
    if detail.get("categories"):
        titles = "、".join(f"第{c}类（{taxonomy.category(int(c)).title}）"
                          for c in detail["categories"] if str(c).isdigit())
        parts.append(f"类别：{titles}")
    if detail.get("agencies"):
        parts.append(f"转至：{'、'.join(detail['agencies'])}")
    elif detail.get("agency"):
        parts.append(("承办单位：" if event.action == "accept" else "单位：") + detail["agency"])
    if detail.get("days"):
        parts.append(f"延长 {detail['days']} 天")
    if detail.get("into"):
        parts.append(f"并入 {detail['into']}")
    if detail.get("report"):
        parts.append(f"举报 #{detail['report']}")
    for key, label in (("disposal", "处置方式"), ("result", "结果")):
        if detail.get(key):
            parts.append(f"{label}：{detail[key]}")
    if detail.get("follow_ups"):
        parts.append(f"后续：{'、'.join(detail['follow_ups'])}")
    if detail.get("deadline"):
        parts.append({"accept": "签收期限", "handle": "办理期限"}.get(detail["deadline"], "期限")
                     + {"overdue": "已超期", "near": "即将到期"}.get(detail.get("kind", ""), "")
                     + (f"（{detail['due'][:10]}）" if detail.get("due") else ""))
    return f"{event.actor}：" + "，".join(parts)
