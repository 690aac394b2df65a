"""The foot of the portal shows the site's record when the jurisdiction file gives it, and the
report form asks for the subject's rank and the kind of body reported (issue 11.7)."""
import pytest
from sqlalchemy import select

from config.data import ConfigError, parse_jurisdiction, read_toml
from models import Report
from models.shared import sealed


def test_the_example_jurisdiction_shows_its_record_and_rules(make_portal):
    page = make_portal(jurisdiction="example").test_client().get("/").get_data(as_text=True)
    for shown in ("主办单位：示例县卫生健康局", "网站标识码：0000000000", "示ICP备00000000号",
                  "示公网安备00000000000000号", "违法违规使用医疗保障基金举报奖励办法"):
        assert shown in page


def test_lines_not_configured_are_not_shown(client):
    page = client.get("/").get_data(as_text=True)
    assert "主办单位：昌江区卫生健康委员会" in page
    assert "ICP" not in page and "网站标识码" not in page


def test_a_rule_link_must_be_https():
    data = read_toml("jurisdictions/example.toml", None)
    data["site"]["rules"][0]["url"] = "http://example.org/"
    with pytest.raises(ConfigError, match="https"):
        parse_jurisdiction("example", data)


def test_rank_and_kind_are_offered_checked_and_sealed(client, db_session, office_key):
    page = client.get("/report").get_data(as_text=True)
    assert "被反映人级别" in page and "举报对象类型" in page and ">医药企业<" in page
    bad = client.post("/report", data={"description": "某企业向医院药剂科主任行贿回扣二十万元。",
                                       "subject_type": "外星机构"})
    assert bad.status_code == 400
    client.post("/report", data={"description": "某企业向医院药剂科主任行贿回扣二十万元。",
                                 "subject_type": "医药企业", "subject_level": "中层干部", "once": "x"})
    report = db_session.scalars(select(Report)).one()
    content = sealed.REPORT.open(office_key, report.content_box, report.uid)
    assert (content["subject_type"], content["subject_level"]) == ("医药企业", "中层干部")
