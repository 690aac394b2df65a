"""Rule-based entity extraction (triage/extract.py) on texts written like the corpus."""
import json

import pytest

from triage.classifier.corpus import load_corpus
from triage.extract import (KEY_MINORITY_POSTS, Amount, extract_entities, parse_chinese_number,
                            priority_flags)


def _yuan(text: str) -> list[float]:
    return [a.yuan for a in extract_entities(text).amounts]


def test_full_official_summary_fills_every_ledger_column():
    text = "某县人民医院骨科主任王某某利用职务便利，收受某医疗器械公司回扣共计八十六万元。"
    e = extract_entities(text)
    assert e.persons == ("王某某",)
    assert e.units == ("某县人民医院", "某医疗器械公司")
    assert e.departments == ("骨科",)
    assert e.posts == ("主任",)
    assert e.ledger_name() == "王某某"
    assert e.ledger_unit_post() == "某县人民医院骨科主任"
    assert e.amounts == (Amount("八十六万元", 860000.0),)
    assert priority_flags(e, text) == ["关键少数", "大额"]


def test_titles_attached_to_a_surname_are_persons_as_written():
    e = extract_entities("卫建委的刘科长天天被下面卫生院请吃饭，市二院张主任和李院长也去")
    assert e.persons == ("刘科长", "张主任", "李院长")
    assert e.units[:2] == ("卫建委", "卫生院") and "市二院" in e.units


def test_surname_only_becomes_mou_and_nicknames_are_kept():
    assert extract_entities("骨科那个姓王的医生收红包 不给就拖着不排手术").persons == ("王某",)
    assert extract_entities("医保局有个姓陈的 去年带老婆孩子去三亚玩了一个礼拜").persons == ("陈某",)
    assert extract_entities("药房小张天天下班拍处方 拍完发给代表").persons == ("小张",)


def test_no_invented_names():
    assert extract_entities("大家都知道 患者排了四个小时的队 家属也没办法").persons == ()
    text = "他担任院长期间，其余某些人把钱转到位于某县的公司，医院长期不管"
    assert extract_entities(text).persons == ()


def test_recorder_and_caller_are_not_reported_persons():
    text = "来电人（男，未留姓名）反映：市医保局某工作人员长期免费健身。记录人：赵某某 2023年9月14日"
    e = extract_entities(text)
    assert e.persons == () and e.units == ("市医保局",)


def test_units_of_every_kind_and_bare_words_are_not_units():
    text = ("县医保局和某医药公司的人一起吃饭，某医学会年会摊派，"
            "市第二人民医院也交了，我们医院也交了")
    assert extract_entities(text).units == ("县医保局", "某医药公司", "某医学会", "市第二人民医院")


def test_department_is_not_a_unit():
    e = extract_entities("县医院骨科用的人工关节，厂家每台手术返给科室三千")
    assert e.units == ("县医院",)
    assert e.departments == ("骨科",)
    assert e.ledger_unit_post() == "县医院骨科"


def test_posts_and_compound_posts():
    e = extract_entities("药剂科主任审批自费药 谁给好处费就批谁的 一个抗癌药进院要先交三万")
    assert e.posts == ("药剂科主任",) and e.departments == ("药剂科",)
    assert e.ledger_unit_post() == "药剂科主任"
    e = extract_entities("设备科张科长把采购参数写死了 只有一家能中")
    assert e.persons == ("张科长",) and e.ledger_unit_post() == "设备科科长"
    assert "医药代表" in extract_entities("医药代表每个月给心内科医生送钱").posts


def test_reporter_own_post_is_not_a_reported_post():
    text = "我是市中心医院的护士长。市护理学会的副理事长让我们护士长挨个打电话要赞助"
    e = extract_entities(text)
    assert e.posts == ("副理事长", "护士长")  # the second 护士长 is outside the self-introduction
    e = extract_entities("我是县中医院的一名护士。科主任经常骂人")
    assert e.posts == ("科主任",)


def test_places():
    assert extract_entities("周五必去那个农家乐 喝的都是好酒").places == ("农家乐",)
    assert extract_entities("家属在医生办公室往白大褂口袋里塞红包").places == ("医生办公室",)
    assert extract_entities("某县某茶楼里谈好的回扣").places == ("某县", "某茶楼")
    assert "三亚" in extract_entities("带老婆孩子去三亚玩了一个礼拜").places


@pytest.mark.parametrize("text, written, yuan", [
    ("一次讲课费给了3万元", "3万元", 30000.0),
    ("八十六万元打到他妻子公司", "八十六万元", 860000.0),
    ("一晚上输了2000块", "2000块", 2000.0),
    ("年费1.5万 不交不给评", "1.5万", 15000.0),
    ("发票金额12,000元", "12,000元", 12000.0),
    ("我爸手术塞了三千元", "三千元", 3000.0),
    ("非要用进口的 两万多", "两万", 20000.0),
    ("共计十二万三千元", "十二万三千元", 123000.0),
    ("护士长一次收五百块", "五百块", 500.0),
    ("种植牙一颗收我一万二 说集采的没货了", "一万二", 12000.0),
    ("涉案金额2.1亿元", "2.1亿元", 2.1e8),
    ("我们中心一次出了三万多元", "三万多元", 30000.0),
    ("工程造价四千多万元", "四千多万元", 4e7),
    ("讲一次课拿5千元", "5千元", 5000.0),
])
def test_amount_forms(text, written, yuan):
    assert extract_entities(text).amounts == (Amount(written, yuan),)


def test_unit_prices_are_amounts():
    assert _yuan("每开该公司某抗生素，每盒4元返现") == [4.0]
    assert _yuan("厂家每台手术500元给主任") == [500.0]


def test_rates_and_dates_are_not_amounts():
    assert _yuan("中介拿百分之十五，医生拿15%") == []
    assert _yuan("2023年10月12日，登记3216人次，排队20天") == []
    assert _yuan("大家一块去吃饭，万一被发现") == []
    assert parse_chinese_number("两三千") is None and parse_chinese_number("五百一千") is None


def test_subject_fields_come_first_and_unknown_is_ignored():
    subject = {"subject_name": "周某某", "subject_unit": "不清楚", "subject_post": "副院长"}
    e = extract_entities("某市人民医院医生收红包，刘医生也收", subject)
    assert e.persons == ("周某某", "刘医生")
    assert e.units == ("某市人民医院",)
    assert e.posts[0] == "副院长"
    assert e.ledger_unit_post() == "某市人民医院副院长"
    e = extract_entities("收红包", {"subject_name": "", "subject_unit": "县医院", "subject_post": ""})
    assert e.persons == () and e.units == ("县医院",) and e.ledger_unit_post() == "县医院"


def test_empty_text_gives_empty_ledger_and_no_flags():
    e = extract_entities("")
    assert e.ledger_name() == "" and e.ledger_unit_post() == ""
    assert e.largest_amount is None and priority_flags(e, "") == []


def test_to_dict_is_json_serialisable():
    e = extract_entities("市人民医院产科刘医生 给了两千块以后态度马上就不一样了")
    data = json.loads(json.dumps(e.to_dict(), ensure_ascii=False))
    assert data["persons"] == ["刘医生"]
    assert data["amounts"] == [{"text": "两千块", "yuan": 2000.0}]
    assert e.largest_amount == 2000.0


def test_flag_key_minority_not_for_head_nurse():
    text = "市一院骨科床位说没有 护士长一个电话就有了 前提是要给她表示"
    assert "关键少数" not in priority_flags(extract_entities(text), text)
    text = "院长书记副院长三个人是老乡 采购的事三个人关起门定"
    assert "关键少数" in priority_flags(extract_entities(text), text)
    assert {"院长", "书记", "药剂科主任", "科长"} <= set(KEY_MINORITY_POSTS)


def test_flag_large_amount_threshold():
    assert "大额" in priority_flags(extract_entities("赞助10万"), "赞助10万")
    assert "大额" not in priority_flags(extract_entities("赞助9.9万"), "赞助9.9万")


@pytest.mark.parametrize("text, gang", [
    ("某市有一个团伙专门伪造异地就医住院材料，每单报销一两万元", True),
    ("有人专门收老人的医保卡去药店刷药，再把药卖回给医药公司", True),
    ("有个公司组织人下乡拉老人住院 免费接送", True),
    ("被告人陈某某等5人系某中医诊所实际经营者", True),
    ("请市医保局组织核查，30日内反馈", False),
    ("协会培训一次都没有组织过", False),
])
def test_flag_gang(text, gang):
    assert ("团伙" in priority_flags(extract_entities(text), text)) is gang


def test_whole_corpus_finds_amounts():
    # Speed is measured by bench/triage.py, not asserted here.
    texts = [e.text for e in load_corpus()]
    assert len(texts) > 2000
    results = [extract_entities(t) for t in texts]
    for e, t in zip(results, texts):
        json.dumps(e.to_dict(), ensure_ascii=False)
        priority_flags(e, t)
    with_yuan = [e for e, t in zip(results, texts) if "元" in t]
    assert sum(bool(e.amounts) for e in with_yuan) >= 0.4 * len(with_yuan)
