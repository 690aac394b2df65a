"""The seed 002 forms as exports: columns as the seed, rows as the database, CSV and XLSX that
open, one audit event per export."""
import codecs
import csv
import io
from dataclasses import asdict
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from models.audit import AuditEvent
from models.disclosure import Disclosure
from models.lead import Lead, Transfer
from models.report import Report, new_uid
from models.shared.sealing import seal, seal_json
from portal.services.disclosure import DisclosureContent
from triage.services import audit
from triage.services.export import (
    DISCLOSURE_COLUMNS, LEDGER_COLUMNS, RECTIFICATION_COLUMNS, disclosure_rows, export, ledger_rows,
    rectification_rows, to_csv, to_xlsx,
)

ACTOR = audit.Actor("supervisor1", "supervisor")
YEAR_2024 = (date(2024, 1, 1), date(2024, 12, 31))

# The seed's headings, copied from seeds/002 annexes 2, 3 and 4.
SEED_ANNEX_2 = ["序号", "单位名称", "主动说明问题 (情况) 人数", "主动说明问题 (情况) 个数",
                "主动上交钱款 (金额, 单位: 万元) /财物 (数量)"]
SEED_ANNEX_3 = ["序号", "姓名", "单位职务", "线索摘要", "线索来源", "受理时间", "处置方式及结果"]
SEED_ANNEX_4 = [("单位类别 (个数)", ["卫生健康行政部门", "医学院", "市级医院", "县级医院",
                                 "乡镇街道卫生医疗机构", "合计"]),
                ("处理干部 (人数)", ["县处级", "乡科级", "其他", "合计"]),
                ("四种形态运用 (人数)", ["第一种形态", "第二种形态", "第三种形态", "第四种形态", "合计"]),
                ("行政处罚 (人数)", []), ("通报问题 (个数)", []), ("完善制度 (个数)", [])]


def _lead(session, key, *, channel="网络", accepted=None, ledger=None, agency="卫健委", co=(),
          entities=None, summary=None, transfers=(), suggestions=((28, 0.9),), **fields) -> Lead:
    uid = new_uid()
    report = Report(uid=uid, channel=channel, content_box=seal(key, b"{}", "report", uid))
    lead = Lead(report=report, state="accepted" if accepted else "draft", model_version="test",
                in_scope=True, in_scope_score=0.9, suggestions=[{"id": i, "score": s} for i, s in suggestions],
                agency=agency, co_agencies=list(co), route_reasons=[], flags=[],
                entities_box=seal_json(key, entities or {}, "lead-entities", uid),
                summary_box=seal(key, summary.encode(), "lead-summary", uid) if summary else None,
                ledger_number=ledger, accepted_at=accepted, **fields)
    for agency_name, role in transfers:
        lead.transfers.append(Transfer(agency=agency_name, role=role, sent_at=accepted,
                                       accept_due=accepted + timedelta(days=7),
                                       handle_due=accepted + timedelta(days=60)))
    session.add(lead)
    session.flush()
    return lead


@pytest.fixture
def ledger(db_session, office_key):
    """Three numbered leads (one in 2025, one transferred to 市场监管局) and one draft."""
    key = office_key.public_key()
    _lead(db_session, key, channel="电话", accepted=datetime(2024, 3, 1, 9), ledger="昌江-2024-0001",
          agency="医保局", co=["公安局", "卫健委"], confirmed_categories=[17, 21],
          entities={"ledger_name": "张某某", "ledger_unit_post": "某县人民医院骨科主任"},
          summary="串换药品，虚开票据。", disposal="初步核实", result="属实", follow_ups=["立案", "党纪政务处分"],
          transfers=[("医保局", "lead"), ("公安局", "co"), ("卫健委", "co")])
    _lead(db_session, key, channel="信访举报", accepted=datetime(2024, 6, 30, 23, 30),
          ledger="昌江-2024-0002", transfers=[("卫健委", "lead"), ("市场监管局", "co")])
    _lead(db_session, key, accepted=datetime(2025, 1, 2, 10), ledger="昌江-2025-0001", agency="医保局",
          summary="次年的线索")
    _lead(db_session, key, summary="草稿")
    db_session.commit()


def test_columns_follow_the_seed():
    assert LEDGER_COLUMNS == SEED_ANNEX_3 + ["问题类别", "承办单位"]
    assert DISCLOSURE_COLUMNS[:4] == SEED_ANNEX_2[:4]
    assert " /".join(DISCLOSURE_COLUMNS[4:]) == SEED_ANNEX_2[4]  # the seed's one column, split
    expected = ["整治工作项目"] + [f"{group}·{sub}" if sub else group
                                for group, subs in SEED_ANNEX_4 for sub in (subs or [None])]
    assert RECTIFICATION_COLUMNS == expected


def test_ledger_rows_date_range_and_agency(db_session, office_key, ledger):
    rows = ledger_rows(db_session, office_key, *YEAR_2024)
    assert rows == [
        [1, "张某某", "某县人民医院骨科主任", "串换药品，虚开票据。", "电话", "2024-03-01",
         "初步核实；属实；立案；党纪政务处分",
         "17 串换药品耗材诊疗项目、转卖药品、返现、非医保费用纳入结算、"
         "21 诱导协助冒名或虚假就医购药、虚假证明、虚开票据、伪造医学文书、虚构服务",
         "医保局（协办：公安局、卫健委）"],
        # No confirmed category: the first suggestion; no entities, no summary: empty cells.
        [2, "", "", "", "信访举报", "2024-06-30", "", '28 利用医疗资源损公肥私、收受患者"红包"',
         "卫健委（协办：市场监管局）"],
    ]
    # The end day is included; the next day starts a new range.
    assert [r[4] for r in ledger_rows(db_session, office_key, date(2024, 1, 1), date(2024, 6, 30))] == [
        "电话", "信访举报"]
    assert ledger_rows(db_session, office_key, date(2024, 7, 1), date(2024, 12, 31)) == []
    assert [r[4] for r in ledger_rows(db_session, office_key, date(2025, 1, 1), date(2025, 1, 31))] == ["网络"]
    # Agency: as lead agency, or through a transfer; 序号 restarts at 1.
    by_market = ledger_rows(db_session, office_key, *YEAR_2024, agency="市场监管局")
    assert [(r[0], r[4]) for r in by_market] == [(1, "信访举报")]
    assert [r[4] for r in ledger_rows(db_session, office_key, *YEAR_2024, agency="医保局")] == ["电话"]
    assert [r[4] for r in ledger_rows(db_session, office_key, *YEAR_2024, agency="公安局")] == ["电话"]
    assert len(ledger_rows(db_session, office_key, *YEAR_2024, agency="卫健委")) == 2
    assert ledger_rows(db_session, office_key, *YEAR_2024, agency="税务局") == []


def _disclosure(session, key, received, **content):
    uid = new_uid()
    box = seal_json(key, asdict(DisclosureContent(description="主动说明。", **content)), "disclosure", uid)
    session.add(Disclosure(uid=uid, received_at=received, content_box=box))


@pytest.fixture
def disclosures(db_session, office_key):
    key = office_key.public_key()
    _disclosure(db_session, key, datetime(2024, 2, 1, 10), name="李某", unit="市第一医院", amount_yuan="5000")
    _disclosure(db_session, key, datetime(2024, 2, 3, 10), name="王某", unit="某县卫生院", amount_yuan="2,000")
    _disclosure(db_session, key, datetime(2024, 3, 1, 10), name="李某", unit="市第一医院 ",
                amount_yuan="12345.67", goods="购物卡2张")
    _disclosure(db_session, key, datetime(2024, 4, 1, 10), name="赵某", unit="某县卫生院", goods="茶叶1盒")
    _disclosure(db_session, key, datetime(2023, 12, 31, 23), name="钱某", unit="市第一医院", amount_yuan="900000")
    _disclosure(db_session, key, datetime(2024, 5, 1, 10), name="孙某", unit='=HYPERLINK("http://x","点我")')
    db_session.commit()


def test_disclosure_rows_by_unit_with_total(db_session, office_key, disclosures):
    rows = disclosure_rows(db_session, office_key, *YEAR_2024)
    assert rows == [
        [1, "市第一医院", 1, 2, Decimal("1.73"), "购物卡2张"],  # same person twice: 1 person, 2 issues
        [2, "某县卫生院", 2, 2, Decimal("0.20"), "茶叶1盒"],
        [3, '=HYPERLINK("http://x","点我")', 1, 1, Decimal("0.00"), ""],
        ["合计", "", 4, 5, Decimal("1.93"), 2],
    ]
    total = rows[-1]
    assert total[2:5] == [sum(r[2] for r in rows[:-1]), sum(r[3] for r in rows[:-1]),
                          sum(r[4] for r in rows[:-1])]
    # Nothing in range: only the 合计 row, all zero.
    assert disclosure_rows(db_session, office_key, date(2022, 1, 1), date(2022, 12, 31)) == [
        ["合计", "", 0, 0, Decimal("0.00"), 0]]


def test_rectification_rows_count_concluded_leads(db_session, office_key):
    key, at = office_key.public_key(), datetime(2024, 3, 1, 9)
    common = dict(accepted=at, transfers=[("卫健委", "lead")])
    _lead(db_session, key, ledger="1", confirmed_categories=[17], unit_type="市级医院", cadre_rank="县处级",
          discipline_form=1, publicised=True, rules_improved=2, concluded_at=datetime(2024, 5, 1), **common)
    _lead(db_session, key, ledger="2", confirmed_categories=[28], unit_type="县级医院", cadre_rank="其他",
          discipline_form=3, admin_penalty=True, rules_improved=1, concluded_at=datetime(2024, 5, 2),
          closed_at=datetime(2024, 5, 10), **common)
    _lead(db_session, key, ledger="3", confirmed_categories=[29], unit_type="乡镇街道卫生医疗机构",
          concluded_at=datetime(2024, 12, 31, 23), **common)
    _lead(db_session, key, ledger="4", confirmed_categories=[28], unit_type="市级医院", cadre_rank="乡科级",
          concluded_at=datetime(2025, 2, 1), **common)  # outside the range
    _lead(db_session, key, ledger="5", confirmed_categories=[28], unit_type="市级医院", **common)  # open
    _lead(db_session, key, ledger="6", unit_type="民营医院", cadre_rank="科员", discipline_form=4,
          concluded_at=datetime(2024, 6, 1), accepted=at, agency="公安局")
    db_session.commit()
    rows = rectification_rows(db_session, *YEAR_2024)
    by_label = {r[0]: r[1:] for r in rows}
    assert [r[0][:1] for r in rows[:6]] == list("ABCDEF") and [r[0] for r in rows[6:]] == ["未分类", "合计"]
    assert all(len(r) == len(RECTIFICATION_COLUMNS) for r in rows)
    #                       units              cadres      forms        pen pub rules
    assert by_label["合计"] == [0, 0, 1, 1, 1, 4, 1, 0, 2, 3, 1, 0, 1, 1, 3, 1, 1, 3]
    assert by_label[rows[3][0]] == [0, 0, 1, 0, 0, 1, 1, 0, 0, 1, 1, 0, 0, 0, 1, 0, 1, 2]  # D
    assert by_label[rows[5][0]] == [0, 0, 0, 1, 1, 2, 0, 0, 1, 1, 0, 0, 1, 0, 1, 1, 0, 1]  # F
    assert by_label["未分类"] == [0, 0, 0, 0, 0, 1, 0, 0, 1, 1, 0, 0, 0, 1, 1, 0, 0, 0]
    only_police = rectification_rows(db_session, *YEAR_2024, agency="公安局")
    assert only_police[-1][1:] == by_label["未分类"]  # only lead 6 is 公安局's


def test_csv_has_bom_and_parses_back(db_session, office_key, ledger, disclosures):
    name, content = export(db_session, office_key, "ledger", *YEAR_2024, None, "csv", ACTOR)
    assert name == "问题线索台账_2024-01-01_2024-12-31.csv"
    assert content.startswith(codecs.BOM_UTF8)
    parsed = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert parsed[0] == LEDGER_COLUMNS
    assert parsed[1:] == [[str(v) for v in row] for row in ledger_rows(db_session, office_key, *YEAR_2024)]
    # Text a spreadsheet would run as a formula is defused.
    _, content = export(db_session, office_key, "disclosures", *YEAR_2024, None, "csv", ACTOR)
    parsed = list(csv.reader(io.StringIO(content.decode("utf-8-sig"))))
    assert parsed[3][1] == '\'=HYPERLINK("http://x","点我")' and parsed[-1][0] == "合计"
    assert to_csv(["a"], [[None]]).decode("utf-8-sig").splitlines() == ["a", '""']


def test_xlsx_opens_with_header_and_rows(db_session, office_key, ledger, disclosures):
    name, content = export(db_session, office_key, "ledger", *YEAR_2024, "市场监管局", "xlsx", ACTOR)
    assert name == "问题线索台账_市场监管局_2024-01-01_2024-12-31.xlsx"
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "问题线索台账" and sheet.freeze_panes == "A2"
    values = [[c if c is not None else "" for c in row] for row in sheet.iter_rows(values_only=True)]
    assert values[0] == LEDGER_COLUMNS and all(cell.font.b for cell in sheet[1])
    assert values[1:] == ledger_rows(db_session, office_key, *YEAR_2024, agency="市场监管局")
    assert sheet.column_dimensions["D"].width >= 6

    _, content = export(db_session, office_key, "disclosures", *YEAR_2024, None, "xlsx", ACTOR)
    sheet = load_workbook(io.BytesIO(content)).active
    assert sheet.title == "主动说明问题情况汇总表"
    assert [c.value for c in sheet[1]] == DISCLOSURE_COLUMNS
    formula = sheet.cell(row=4, column=2)
    assert formula.value == '=HYPERLINK("http://x","点我")' and formula.data_type == "s"
    total = [c.value for c in sheet[sheet.max_row]]
    assert total[:4] == ["合计", None, 4, 5] and Decimal(str(total[4])) == Decimal("1.93")


def test_xlsx_sheet_title_is_shortened_and_cleaned():
    sheet = load_workbook(io.BytesIO(to_xlsx("表/" * 20, ["列"], [["值"]]))).active
    assert len(sheet.title) <= 31 and "/" not in sheet.title


def test_export_is_audited(db_session, office_key, ledger):
    before = db_session.scalar(select(func.count(AuditEvent.id)))
    export(db_session, office_key, "rectification", *YEAR_2024, None, "xlsx", ACTOR)
    db_session.commit()
    events = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id)).all()
    assert len(events) == before + 1
    assert (events[-1].action, events[-1].target, events[-1].detail, events[-1].actor) == (
        "export", "rectification:2024-01-01..2024-12-31:全部", "7 rows", "supervisor1")
    export(db_session, office_key, "ledger", *YEAR_2024, "医保局", "csv", ACTOR)
    db_session.commit()
    last = db_session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert (last.target, last.detail) == ("ledger:2024-01-01..2024-12-31:医保局", "1 rows")
    assert audit.verify(db_session) == []


def test_unknown_kind_or_format_is_refused_without_audit(db_session, office_key):
    with pytest.raises(ValueError):
        export(db_session, office_key, "reports", *YEAR_2024, None, "xlsx", ACTOR)
    with pytest.raises(ValueError):
        export(db_session, office_key, "ledger", *YEAR_2024, None, "pdf", ACTOR)
    with pytest.raises(ValueError):
        export(db_session, office_key, "ledger", *YEAR_2024, "某某局", "csv", ACTOR)
    assert db_session.scalar(select(func.count(AuditEvent.id))) == 0


def test_a_box_that_does_not_open_is_shown_not_blanked(db_session, office_key):
    lead = _lead(db_session, office_key.public_key(), accepted=datetime(2024, 3, 1), ledger="X-1",
                 entities={"ledger_name": "张某某"}, summary="摘要")
    lead.entities_box = seal_json(office_key.public_key(), {"ledger_name": "张某某"}, "lead-entities",
                                  "another-report")  # sealed for another record
    db_session.commit()
    [row] = ledger_rows(db_session, office_key, *YEAR_2024)
    assert row[1:4] == ["（无法解密）", "（无法解密）", "摘要"]
