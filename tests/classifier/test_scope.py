"""Out of scope, in doubt keep: thresholds per length band that turn away at most 3% of the
in-scope texts of every register, and texts that name a conduct are never turned away."""
import numpy as np

from triage.classifier.fitting import MAX_TURNED_AWAY, Unseen, calibrate_thresholds
from triage.classifier.model import LENGTH_BANDS, length_band
from triage.classifier.scope import keeps


def _unseen(rng, registers: dict[str, tuple[float, float, int]], outside: int,
            outside_register: str = "citizen", outside_mean: float = 0.2) -> Unseen:
    """In-scope texts per register (mean score, spread, count) across all length bands, and
    out-of-scope texts of one register scoring low."""
    scores, inside, names, lengths = [], [], [], []
    for name, (mean, spread, count) in registers.items():
        scores += list(np.clip(rng.normal(mean, spread, count), 0, 1))
        inside += [True] * count
        names += [name] * count
        lengths += list(rng.choice([80, 150, 250, 380], count))
    scores += list(np.clip(rng.normal(outside_mean, 0.1, outside), 0, 1))
    inside += [False] * outside
    names += [outside_register] * outside
    lengths += list(rng.choice([80, 150, 250, 380], outside))
    return Unseen(np.array(scores), np.array(inside), names, np.array(lengths),
                  np.zeros(len(scores), dtype=bool))


def test_no_register_and_no_length_band_loses_more_than_three_percent():
    rng = np.random.default_rng(3)
    # The official register scores lower on a model that never saw it: it must set the bar.
    unseen = _unseen(rng, {"tip": (0.95, 0.04, 800), "bulletin": (0.6, 0.15, 800)}, outside=600)
    thresholds = calibrate_thresholds(unseen)
    bands = np.array([length_band(int(n)) for n in unseen.lengths])
    turned_away = unseen.scores < np.array(thresholds)[bands]
    for register in ("tip", "bulletin"):
        for band in range(len(LENGTH_BANDS)):
            cell = unseen.inside & (np.array(unseen.registers) == register) & (bands == band)
            assert turned_away[cell].mean() <= MAX_TURNED_AWAY
    # and still most out-of-scope texts are recognised
    assert turned_away[~unseen.inside].mean() >= 0.5


def test_the_threshold_is_as_low_as_recognising_out_of_scope_texts_allows():
    rng = np.random.default_rng(4)
    unseen = _unseen(rng, {"tip": (0.97, 0.02, 1000)}, outside=1000)
    # Out-of-scope texts score about 0.2: a threshold near 0.35 recognises 90% of them; nothing
    # asks for more, so nothing higher is used even though the in-scope texts would allow it.
    thresholds = calibrate_thresholds(unseen, out_target=0.9)
    assert all(0.25 < t < 0.5 for t in thresholds)


def _joined(first: Unseen, second: Unseen) -> Unseen:
    return Unseen(np.concatenate([first.scores, second.scores]),
                  np.concatenate([first.inside, second.inside]),
                  first.registers + second.registers,
                  np.concatenate([first.lengths, second.lengths]),
                  np.concatenate([first.kept, second.kept]))


def test_out_of_scope_texts_in_official_registers_do_not_raise_the_threshold():
    """What must be recognised is the complaints people write; the corpus's out-of-scope news
    and rulings are close to real cases on purpose, and setting the bar on them turned away a
    tenth of real write-ups."""
    rng = np.random.default_rng(5)
    complaints = _unseen(rng, {"tip": (0.97, 0.02, 1000)}, outside=500)
    with_news = _joined(complaints, _unseen(rng, {}, outside=500, outside_register="news",
                                            outside_mean=0.7))
    assert calibrate_thresholds(with_news) == calibrate_thresholds(complaints)
    only_news = _unseen(rng, {"tip": (0.97, 0.02, 1000)}, outside=500,
                        outside_register="news", outside_mean=0.7)
    assert min(calibrate_thresholds(only_news)) > max(calibrate_thresholds(complaints))


def test_texts_that_name_a_conduct_are_kept():
    assert keeps("院长收受回扣") and keeps("某诊所虚构诊疗项目骗取医保基金")
    assert keeps("老板给科长送了10万元") and keeps("被开除党籍")
    assert not keeps("医院门口停车太难了，保安态度也差")
    assert not keeps("请问异地就医备案怎么办理，报销比例是多少")
    # audit findings name conducts in their own words
    assert keeps("审计发现，该院将设备采购拆分成2个项目，未按规定公开招标")
    assert keeps("存在过度诊疗、过度检查问题，涉及医保基金5643元")
    # and in traditional characters
    assert keeps("該院虛構醫療服務騙取醫保基金")
    # the same conducts in plain words
    assert keeps("专家说他开的药医院没有，让我们到对面的私人诊所去拿药")
    assert keeps("有人拿着医保卡在药店结账买大米和食用油") and keeps("把药品卖给药贩子")
    assert keeps("审计发现，2019年起药品配送企业未重新招标，一直延续原合同")
    assert keeps("医生开了手写单子，说要在医院楼下的药房买") and keeps("医生指定患者到院内的社会药店购药")
    assert keeps("卫生室将藿香正气口服液超量开药") and keeps("开标前，有人举报到了省纪委")
    assert not keeps("请问在医院开的药，医保报销比例是多少")


def test_conduct_terms_rarely_name_what_is_out_of_scope():
    """A word that keeps a text must be a conduct, not the domain's vocabulary: out-of-scope
    corpus texts (many written to use that vocabulary) seldom contain one."""
    from triage.classifier.corpus import load_corpus

    outside = [e.text for e in load_corpus() if not e.categories]
    assert sum(map(keeps, outside)) / len(outside) <= 0.08


def test_a_conduct_term_keeps_a_text_the_threshold_would_turn_away(trained):
    _, model, _ = trained
    text = "有人说那个科长收受了好处"  # short, vague, low score: kept because of 收受
    assert model.predict([text])[0].in_scope
