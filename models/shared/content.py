"""What a report contains, defined once: the web form, the office intake form, the JSON API and
its OpenAPI schema, the sealed box and the text the classifier reads are all built from these
lists."""
from __future__ import annotations

from dataclasses import asdict, dataclass


@dataclass(frozen=True)
class FieldSpec:
    """One field of a report or of the reporter's contact block."""

    name: str
    label: str  # as the reporter sees it
    max_length: int
    min_length: int = 0
    required: bool = False
    multiline: bool = False
    choices: tuple[str, ...] = ()  # when set, the only values allowed


SUBJECT_LEVELS = ("普通人员", "中层干部", "科级", "处级", "厅局级及以上")
SUBJECT_TYPES = ("公立医院", "民营医院", "基层医疗卫生机构", "药店", "医药企业", "行政机关",
                 "学会协会等社会组织", "其他")

# The order is the form's order. `area` is the reporter's own guess of the problem area (A–F).
CONTENT_FIELDS = (
    FieldSpec("subject_name", "被反映人姓名", 50),
    FieldSpec("subject_unit", "被反映人单位", 100),
    FieldSpec("subject_post", "被反映人职务", 50),
    # What 12388 and the insurance bureau's forms ask: the rank decides who has jurisdiction
    # (纪委监委 by 干部管理权限), the kind of body who handles it (卫健委, 医保局, 市场监管局).
    FieldSpec("subject_level", "被反映人级别", 10, choices=SUBJECT_LEVELS),
    FieldSpec("subject_type", "举报对象类型", 12, choices=SUBJECT_TYPES),
    FieldSpec("area", "问题领域", 1, choices=("A", "B", "C", "D", "E", "F")),
    FieldSpec("event_time", "发生时间", 100),
    FieldSpec("event_place", "发生地点", 100),
    FieldSpec("description", "问题描述", 5000, min_length=10, required=True, multiline=True),
    FieldSpec("amount", "涉及金额", 100),
)
# The real-name block; the API nests it as {"contact": {name, phone, id_number, address}}.
CONTACT_FIELDS = (
    FieldSpec("name", "您的姓名", 50),
    FieldSpec("phone", "联系电话", 30),
    FieldSpec("id_number", "身份证号", 18),
    FieldSpec("address", "联系地址或单位", 200),
)
CONTENT_NAMES = tuple(f.name for f in CONTENT_FIELDS)
CONTACT_NAMES = tuple(f.name for f in CONTACT_FIELDS)
SUBJECT_FIELDS = (("subject_name", "被反映人"), ("subject_unit", "单位"), ("subject_post", "职务"))
UNKNOWN = "不清楚"


@dataclass(frozen=True)
class ReportContent:
    """What the reporter wrote about the matter (sealed as one box)."""

    description: str
    subject_name: str = ""
    subject_unit: str = ""
    subject_post: str = ""
    subject_level: str = ""
    subject_type: str = ""
    area: str = ""
    event_time: str = ""
    event_place: str = ""
    amount: str = ""

    @classmethod
    def from_mapping(cls, data: dict) -> ReportContent:
        """The content fields of any mapping (a form's data, an opened box), others ignored."""
        return cls(**{name: str(data.get(name) or "") for name in CONTENT_NAMES})

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


def report_text(content: dict, replies: list[str]) -> str:
    """The text the classifier reads: who is reported, the facts, the reporter's later replies."""
    subject = "，".join(f"{label}{content.get(key)}" for key, label in SUBJECT_FIELDS
                       if content.get(key) and content.get(key) != UNKNOWN)
    facts = "，".join(content.get(k, "") for k in ("event_time", "event_place") if content.get(k))
    parts = [subject, facts, content.get("description", ""),
             f"涉及金额{content['amount']}" if content.get("amount") else "", *replies]
    return "。".join(p for p in parts if p)
