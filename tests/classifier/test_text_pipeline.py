"""Normalisation and jieba tokenisation with the project's dictionary."""
from triage.classifier.normalize import normalize
from triage.classifier.roles import role_tokens
from triage.classifier.tokenize import View, analyse, tokenizer, words


def test_domain_words_stay_whole():
    text = "集采中选产品不进院，带量采购搞带金销售，统方卖给医药代表，挂床住院串换药品，种植牙和基因检测的回扣和红包，三重一大一言堂，私设小金库，借用医保卡"
    tokens = words(text)
    for word in ("集采", "带量采购", "带金销售", "统方", "医药代表", "挂床住院", "串换药品", "种植牙",
                 "基因检测", "回扣", "红包", "三重一大", "一言堂", "小金库", "医保卡"):
        assert word in tokens, word


def test_plain_jieba_splits_them_and_ours_does_not():
    import jieba

    assert "带金销售" not in jieba.lcut("带金销售")  # the user dictionary is what keeps it whole
    assert "带金销售" in tokenizer().lcut("带金销售")


def test_normalisation_folds_width_space_and_amounts():
    assert normalize("ＡＢＣ　１２３") == "abc 0"
    assert normalize("收受８６万元") == "收受 amthundredk"
    assert normalize("红包三千元") == "红包 amtk"
    assert normalize("共计1,200,000元") == "共计 amtmillion"
    assert normalize("两百块") == "amtlow"


def test_stop_words_and_punctuation_are_dropped():
    assert words("他的，了！？……这个") == []


def test_role_tokens_tell_giver_from_taker():
    giver = role_tokens("某医药公司给予医生回扣")
    taker = role_tokens("骨科医生收受药企回扣")
    assert "first:company" in giver and "giver:company" in giver
    assert "first:worker" in taker and "taker:worker" in taker


def test_role_weight_counts_who_acts_more_and_changes_nothing_else():
    analysis = analyse("某县人民医院院长张某收受医药公司回扣50万元。")
    plain, weighted = View(role_weight=1).features(analysis), View(role_weight=5).features(analysis)
    roles = role_tokens(analysis.normalized)
    assert "first:leader" in roles and "taker:leader" in roles
    assert weighted.count("taker:leader") == 5 * plain.count("taker:leader") == 5
    assert [f for f in weighted if f not in roles] == [f for f in plain if f not in roles]
