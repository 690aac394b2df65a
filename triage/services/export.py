"""The three forms of seed 002 as spreadsheets: 问题线索台账 (annex 3), 主动说明问题情况汇总表
(annex 2) and 整治情况汇总表 (annex 4), as CSV or XLSX.

Column headings are the seed's own text, in the seed's order (its spacing and half-width
brackets included), so a filled form matches the paper one. Date ranges are whole days of the
stored (UTC) times, both ends included.

Where the model cannot fill the seed exactly:
- annex 2: the seed has one column "主动上交钱款 (金额, 单位: 万元) /财物 (数量)"; it is split at
  the slash into an amount column (万元, a number) and a goods column (the declared goods as
  written; the model has no quantity). Amounts are as declared by the worker, whatever the
  disclosure's status: nothing yet reconciles them with the integrity account.
- annex 4: "单位类别 (个数)" asks for a number of units; the model records a unit type per lead
  but no unit identity, so each concluded lead counts once (two leads about one hospital count
  twice). A unit type outside the seed's five counts only in that group's 合计; a cadre rank
  outside 县处级/乡科级 counts as 其他 (the seed's note 4). The seed leaves the rows
  (整治工作项目) open; here they are the six campaign areas, then 未分类, then 合计.
  "行政处罚 (人数)" is one person per lead with `admin_penalty`; the seed's restriction to
  non-members and non-officials (note 5) is the recording officer's to respect.
- the seed's form header (填报单位, 填报日期, 填报人, 联系电话, 审核人) is not part of the data.
"""
from __future__ import annotations

import csv
import io
import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey
from openpyxl import Workbook
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.orm import Session, selectinload

from config.data import AGENCIES, AREA_CODES, CATEGORY_COUNT, load_taxonomy
from models.disclosure import Disclosure
from models.lead import Lead, Transfer
from models.shared import sealed
from models.shared.sealing import SealError
from triage.services.audit import Actor, record

LEDGER_COLUMNS = ["序号", "姓名", "单位职务", "线索摘要", "线索来源", "受理时间", "处置方式及结果",
                  "问题类别", "承办单位"]
DISCLOSURE_COLUMNS = ["序号", "单位名称", "主动说明问题 (情况) 人数", "主动说明问题 (情况) 个数",
                      "主动上交钱款 (金额, 单位: 万元)", "财物 (数量)"]
UNIT_TYPES = ("卫生健康行政部门", "医学院", "市级医院", "县级医院", "乡镇街道卫生医疗机构")
CADRE_RANKS = ("县处级", "乡科级", "其他")
FORMS = ("第一种形态", "第二种形态", "第三种形态", "第四种形态")
TOTAL = "合计"
UNITS, CADRES, FORMS_GROUP = "单位类别 (个数)", "处理干部 (人数)", "四种形态运用 (人数)"
PENALTIES, PUBLICISED, RULES = "行政处罚 (人数)", "通报问题 (个数)", "完善制度 (个数)"
# Annex 4 has a two-row header; flat headings join its two levels with "·".
RECTIFICATION_COLUMNS = (
    ["整治工作项目"]
    + [f"{UNITS}·{t}" for t in (*UNIT_TYPES, TOTAL)]
    + [f"{CADRES}·{r}" for r in (*CADRE_RANKS, TOTAL)]
    + [f"{FORMS_GROUP}·{f}" for f in (*FORMS, TOTAL)]
    + [PENALTIES, PUBLICISED, RULES]
)
TITLES = {"ledger": "问题线索台账", "disclosures": "主动说明问题情况汇总表",
          "rectification": "整治情况汇总表"}
FORMATS = ("xlsx", "csv")
UNCLASSIFIED = "未分类"
UNREADABLE = "（无法解密）"  # a box that does not open is shown, never silently blanked
NO_UNIT = "（未填写单位）"
CENT = Decimal("0.01")
WAN = Decimal(10000)

Row = list[object]


def _window(start: date, end: date) -> tuple[datetime, datetime]:
    """[start 00:00, end + 1 day 00:00): whole days, both ends included."""
    return datetime.combine(start, time()), datetime.combine(end + timedelta(days=1), time())


def _of_agency(agency: str) -> ColumnElement[bool]:
    """Leads that `agency` leads or was transferred."""
    return or_(Lead.agency == agency, Lead.transfers.any(Transfer.agency == agency))


def _category_titles(lead: Lead) -> str:
    """Confirmed categories (else the first suggestion) as "17 串换药品…", joined with 、."""
    ids = list(lead.confirmed_categories or [])
    if not ids and lead.suggestions:
        ids = [lead.suggestions[0]["id"]]
    taxonomy = load_taxonomy()
    return "、".join(f"{i} {taxonomy.category(i).title}" if 1 <= i <= CATEGORY_COUNT else str(i)
                    for i in ids)


def _agencies(lead: Lead) -> str:
    """Lead agency, then co-agencies (configured or transferred to) in brackets."""
    co: list[str] = []
    for agency in [*(lead.co_agencies or []), *(t.agency for t in lead.transfers)]:
        if agency != lead.agency and agency not in co:
            co.append(agency)
    return f"{lead.agency}（协办：{'、'.join(co)}）" if co else lead.agency


def ledger_rows(session: Session, office_key: X25519PrivateKey, start: date, end: date,
                agency: str | None = None) -> list[Row]:
    """Annex 3: one row per numbered lead accepted in [start, end], by acceptance time.

    Opens sealed content; the caller audits (see `export`).
    """
    since, until = _window(start, end)
    query = (select(Lead).where(Lead.ledger_number.is_not(None), Lead.accepted_at >= since,
                                Lead.accepted_at < until)
             .options(selectinload(Lead.report), selectinload(Lead.transfers))
             .order_by(Lead.accepted_at, Lead.id))
    if agency:
        query = query.where(_of_agency(agency))
    rows: list[Row] = []
    for number, lead in enumerate(session.scalars(query), start=1):
        uid = lead.report.uid
        try:
            entities = sealed.LEAD_ENTITIES.open(office_key, lead.entities_box, uid)
            name = entities.get("ledger_name") or ""
            unit_post = entities.get("ledger_unit_post") or ""
        except SealError:
            name = unit_post = UNREADABLE
        try:
            summary = (sealed.LEAD_SUMMARY.open(office_key, lead.summary_box, uid)
                       if lead.summary_box else "")
        except SealError:
            summary = UNREADABLE
        outcome = "；".join(p for p in [lead.disposal, lead.result, *(lead.follow_ups or [])] if p)
        rows.append([number, name, unit_post, summary, lead.report.channel,
                     lead.accepted_at.strftime("%Y-%m-%d"), outcome, _category_titles(lead),
                     _agencies(lead)])
    return rows


def _yuan(raw: str) -> Decimal | None:
    """A declared amount in yuan ("2,000", "5000.50 元"); None if it is not a number."""
    text = raw.replace(",", "").replace("，", "").strip().removesuffix("元").strip()
    if not text:
        return Decimal(0)
    try:
        value = Decimal(text)
    except InvalidOperation:
        return None
    return value if value.is_finite() else None


def _wan(yuan: Decimal) -> Decimal:
    """Yuan to 万元, two decimals, rounded half up (exact decimal arithmetic)."""
    return (yuan / WAN).quantize(CENT, rounding=ROUND_HALF_UP)


def disclosure_rows(session: Session, office_key: X25519PrivateKey, start: date,
                    end: date) -> list[Row]:
    """Annex 2: per unit (in order of first disclosure) persons, issues, money, goods; then 合计.

    人数 counts distinct names within a unit; 个数 counts disclosures. 合计's amount is the exact
    total rounded once; its goods cell counts the disclosures that handed back goods.
    """
    since, until = _window(start, end)
    query = (select(Disclosure)
             .where(Disclosure.received_at >= since, Disclosure.received_at < until)
             .order_by(Disclosure.received_at, Disclosure.id))
    units: dict[str, dict] = {}
    for disclosure in session.scalars(query):
        try:
            content = sealed.DISCLOSURE.open(office_key, disclosure.content_box, disclosure.uid)
        except SealError:
            content = {"unit": UNREADABLE}
        unit = units.setdefault((content.get("unit") or "").strip() or NO_UNIT, {
            "persons": set(), "count": 0, "yuan": Decimal(0), "goods": [], "with_goods": 0})
        unit["persons"].add((content.get("name") or "").strip() or f"#{disclosure.id}")
        unit["count"] += 1
        raw_amount = content.get("amount_yuan") or ""
        yuan = _yuan(raw_amount)
        if yuan is None:  # kept visible rather than counted as zero without a word
            unit["goods"].append(f"{raw_amount}（金额未识别）")
        else:
            unit["yuan"] += yuan
        if (content.get("goods") or "").strip():
            unit["goods"].append(content["goods"].strip())
            unit["with_goods"] += 1
    rows: list[Row] = [
        [n, name, len(u["persons"]), u["count"], _wan(u["yuan"]), "；".join(u["goods"])]
        for n, (name, u) in enumerate(units.items(), start=1)]
    rows.append([TOTAL, "", sum(len(u["persons"]) for u in units.values()),
                 sum(u["count"] for u in units.values()),
                 _wan(sum((u["yuan"] for u in units.values()), Decimal(0))),
                 sum(u["with_goods"] for u in units.values())])
    return rows


def _tally(lead: Lead, cells: dict[str, int]) -> None:
    """Add one concluded lead to one row of annex 4."""
    if lead.unit_type:
        if lead.unit_type in UNIT_TYPES:
            cells[f"{UNITS}·{lead.unit_type}"] += 1
        cells[f"{UNITS}·{TOTAL}"] += 1
    if lead.cadre_rank:
        rank = lead.cadre_rank if lead.cadre_rank in CADRE_RANKS else "其他"
        cells[f"{CADRES}·{rank}"] += 1
        cells[f"{CADRES}·{TOTAL}"] += 1
    if lead.discipline_form in (1, 2, 3, 4):
        cells[f"{FORMS_GROUP}·{FORMS[lead.discipline_form - 1]}"] += 1
        cells[f"{FORMS_GROUP}·{TOTAL}"] += 1
    cells[PENALTIES] += int(bool(lead.admin_penalty))
    cells[PUBLICISED] += int(bool(lead.publicised))
    cells[RULES] += lead.rules_improved or 0


def rectification_rows(session: Session, start: date, end: date,
                       agency: str | None = None) -> list[Row]:
    """Annex 4: leads concluded (or closed) in [start, end], one row per area, then 合计.

    `agency` keeps the leads it leads or was transferred. Reads no sealed content.
    """
    since, until = _window(start, end)
    done_at = func.coalesce(Lead.concluded_at, Lead.closed_at)
    query = select(Lead).where(done_at >= since, done_at < until).order_by(Lead.id)
    if agency:
        query = query.where(_of_agency(agency))
    taxonomy = load_taxonomy()
    counts = {code: dict.fromkeys(RECTIFICATION_COLUMNS[1:], 0) for code in AREA_CODES}
    for lead in session.scalars(query):
        first = (lead.confirmed_categories or [None])[0]
        area = (taxonomy.category(first).area if first and 1 <= first <= CATEGORY_COUNT
                else lead.area)
        if area not in AREA_CODES:
            area = UNCLASSIFIED
        _tally(lead, counts.setdefault(area, dict.fromkeys(RECTIFICATION_COLUMNS[1:], 0)))
    rows: list[Row] = [
        [f"{key} {taxonomy.area(key).title}" if key in AREA_CODES else key, *cells.values()]
        for key, cells in counts.items()]
    rows.append([TOTAL, *(sum(c[name] for c in counts.values())
                          for name in RECTIFICATION_COLUMNS[1:])])
    return rows


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: object) -> object:
    """Text that a spreadsheet would run as a formula is prefixed with ' (CSV injection)."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def to_csv(columns: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """UTF-8 with a byte-order mark, so Excel reads the Chinese correctly."""
    buffer = io.StringIO(newline="")
    writer = csv.writer(buffer)
    writer.writerow(columns)
    writer.writerows([_csv_cell(v) for v in row] for row in rows)
    return buffer.getvalue().encode("utf-8-sig")


def _width(value: object) -> int:
    """Display width: CJK and full-width characters take two columns."""
    return sum(2 if ord(ch) > 0x2E80 else 1 for ch in str(value))


def to_xlsx(title: str, columns: Sequence[str], rows: Sequence[Sequence[object]]) -> bytes:
    """One sheet named `title` (at most 31 characters), bold frozen header, fitted widths.

    Text is always stored as text: a cell starting with "=" is never a formula.
    """
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = re.sub(r"[\[\]:*?/\\]", "_", title)[:31] or "Sheet1"
    sheet.append(list(columns))
    for cell in sheet[1]:
        cell.font = Font(bold=True)
        cell.alignment = Alignment(wrap_text=True, vertical="center")
    for row in rows:
        sheet.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
        for cell in sheet[sheet.max_row]:
            if isinstance(cell.value, str):
                cell.data_type = "s"
            elif isinstance(cell.value, Decimal):
                cell.number_format = "0.00"
    sheet.freeze_panes = "A2"
    for index, heading in enumerate(columns, start=1):
        widest = max([_width(heading) // 2 + 2, *(_width(r[index - 1]) + 2 for r in rows)])
        width = min(max(widest, 6), 60)
        sheet.column_dimensions[get_column_letter(index)].width = width
        if widest > width:  # long text wraps instead of running off the page
            for (cell,) in sheet.iter_rows(min_row=2, min_col=index, max_col=index):
                cell.alignment = Alignment(wrap_text=True, vertical="top")
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def export(session: Session, office_key: X25519PrivateKey, kind: str, start: date, end: date,
           agency: str | None, fmt: str, actor: Actor) -> tuple[str, bytes]:
    """(file name, content) of one form, with an audit event in the caller's transaction.

    Unknown kind, format or agency: ValueError, nothing recorded. `agency` narrows the ledger
    and annex 4; disclosures have no agency, so there it is ignored (the audit target says 全部).
    The caller commits.
    """
    if kind not in TITLES:
        raise ValueError(f"unknown export kind {kind!r} (one of {', '.join(TITLES)})")
    if fmt not in FORMATS:
        raise ValueError(f"unknown export format {fmt!r} (one of {', '.join(FORMATS)})")
    if agency and agency not in AGENCIES:
        raise ValueError(f"unknown agency {agency!r} (one of {', '.join(AGENCIES)})")
    if kind == "ledger":
        columns, rows = LEDGER_COLUMNS, ledger_rows(session, office_key, start, end, agency)
    elif kind == "disclosures":
        agency = None
        columns, rows = DISCLOSURE_COLUMNS, disclosure_rows(session, office_key, start, end)
    else:
        columns, rows = RECTIFICATION_COLUMNS, rectification_rows(session, start, end, agency)
    title = TITLES[kind]
    content = to_xlsx(title, columns, rows) if fmt == "xlsx" else to_csv(columns, rows)
    record(session, actor, "export", f"{kind}:{start}..{end}:{agency or '全部'}",
           detail=f"{len(rows)} rows")
    name = f"{title}_{agency}" if agency else title
    return f"{name}_{start}_{end}.{fmt}", content
