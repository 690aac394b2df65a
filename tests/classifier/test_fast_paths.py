"""The shortcuts that make classifying one report cheap give what the plain computation gives,
and a report in traditional characters is read as the same report in simplified ones."""
import re

import numpy as np
import opencc
import pytest

from triage.classifier import tokenize
from triage.classifier.corpus import load_corpus
from triage.classifier.normalize import normalize
from triage.classifier.scope import keeps
from triage.classifier.scorer import GATHER_ROWS, hashed_counts, hasher
from triage.classifier.script import simplified
from triage.classifier.tokenize import analyse

TRICKY = ["", "。。；", "第一句。第二句；第三句！\n\n第四句？", "  空格 。\n 句子?!  ", "收受3万元。送了5000块；",
          "院长张某。。。副院长李某；；", "a.b。c;d!e?f\ng"]


def _sample(count: int) -> list[str]:
    texts = [e.text for e in load_corpus()]
    return texts[:: max(1, len(texts) // count)][:count]


def test_each_sentence_gets_the_words_it_would_get_cut_alone():
    for text in _sample(400) + TRICKY:
        normalized = normalize(text)
        pieces = [p.strip() for p in re.split(r"[。；;！!？?\n]+", normalized) if p.strip()]
        expected = [(tuple(tokenize._kept(tokenize._cut(p))), p.replace(" ", "")) for p in pieces]
        got = [(s.words, s.compact) for s in analyse(text).sentences]
        assert got == expected, text


def test_small_batches_are_hashed_as_the_vectorizer_hashes_them():
    features = [["回扣", "医院_院长", "统方", "a"], [], ["红包"] * 3 + ["收受"]]
    features += [tokenize.View().features(analyse(t)) for t in _sample(20)]
    assert len(features) <= GATHER_ROWS
    small = hashed_counts(features)
    reference = hasher().transform(features)
    assert np.array_equal(small.indptr, reference.indptr)
    assert np.array_equal(small.indices, reference.indices)
    assert np.array_equal(small.data, reference.data)


def test_one_report_at_a_time_scores_as_a_batch(trained):
    _, model, _ = trained
    texts = _sample(GATHER_ROWS + 16)  # a batch this size takes the sparse-matrix path
    batched = model.predict(texts)
    for text, together in zip(texts, batched):
        (alone,) = model.predict([text])
        assert alone.in_scope == together.in_scope
        assert [c for c, _ in alone.categories] == [c for c, _ in together.categories]
        assert np.allclose([s for _, s in alone.categories], [s for _, s in together.categories],
                           atol=2e-4)
        assert alone.agency[0] == together.agency[0]


@pytest.fixture(scope="module")
def to_traditional():
    return opencc.OpenCC("s2t").convert


def test_traditional_characters_are_read_as_simplified(to_traditional):
    assert simplified("深圳某中醫診所虛構醫療服務騙取醫保基金") == "深圳某中医诊所虚构医疗服务骗取医保基金"
    text = "县卫健委的人在我们医院报销加油费"
    assert simplified(text) is text  # nothing to convert: the same object, no work
    assert keeps(to_traditional("该院通过虚记诊疗项目骗取医保基金"))


def test_a_report_in_traditional_characters_gets_the_same_suggestions(trained, to_traditional):
    from triage.engine import TriageEngine

    engine = TriageEngine(trained[1])
    texts = [t for t in _sample(40) if to_traditional(t) != t]
    assert len(texts) >= 30
    for plain, traditional in zip(engine.suggest_many(texts),
                                  engine.suggest_many([to_traditional(t) for t in texts])):
        assert traditional.categories == plain.categories
        assert (traditional.in_scope, traditional.agency) == (plain.in_scope, plain.agency)


def test_routing_reads_traditional_characters_whoever_calls_it(to_traditional):
    """The evaluation calls route() without the engine: the rules must fire all the same."""
    from triage.routing import route

    text = "某市市场监督管理局对某医疗器械公司给予科室医生回扣的商业贿赂行为作出行政处罚，罚款20万元"
    plain, traditional = route([22], text), route([22], to_traditional(text))
    assert traditional.lead == plain.lead and traditional.reasons == plain.reasons
    assert plain.reasons  # a rule fired, so the comparison says something
