"""The training corpus: enough texts per category and register, valid labels, no near-duplicates,
nothing copied from reference texts."""
from collections import Counter

from triage.classifier import corpus_check
from triage.classifier.corpus import load_corpus


def test_every_row_is_valid():
    corpus = load_corpus()
    problems = []
    for path in corpus_check.corpus_files():
        first_batch = path.parent.name == "b1"
        for row in corpus_check.read_rows(path):
            problems += [f"{row.where}: {p}" for p in
                         corpus_check.label_problems(row, lengths=not first_batch)]
            if row.categories:
                assert path.name == f"cat{row.categories[0]:02d}.jsonl", row.where
            else:
                assert path.name == "none.jsonl", row.where
    assert problems == []
    assert len(corpus) == len({e.text for e in corpus})


def test_counts_per_category_and_register():
    corpus = load_corpus()
    primary = Counter(e.categories[0] for e in corpus if e.categories)
    assert set(primary) == set(range(1, 33))
    assert min(primary.values()) >= 140
    assert sum(1 for e in corpus if not e.categories) >= 600


def test_the_real_register_batch():
    """The second batch: at least 1,500 texts of 150–400 characters, 40 per category with at
    least 30 in the official registers, 200 out of scope; official write-ups are the largest
    part of the whole corpus."""
    corpus = load_corpus()
    second = [e for e in corpus if e.batch.startswith("b2-")]
    assert len(second) >= 1500
    per_category = Counter(e.categories[0] for e in second if e.categories)
    official = Counter(e.categories[0] for e in second if e.categories and e.official)
    assert min(per_category[c] for c in range(1, 33)) >= 40
    assert min(official[c] for c in range(1, 33)) >= 30
    assert sum(1 for e in second if not e.categories) >= 200
    third = [e for e in corpus if e.batch.startswith("b3-")]
    per_category = Counter(e.categories[0] for e in third if e.categories)
    assert min(per_category[c] for c in range(1, 33)) >= 30
    fourth = [e for e in corpus if e.batch.startswith("b4-")]
    assert len(fourth) >= 750 and sum(1 for e in fourth if not e.categories) >= 150
    assert {e.categories[0] for e in fourth if e.categories} == set(range(1, 33))
    assert sum(e.official for e in fourth) >= 0.6 * len(fourth)
    fifth = [e for e in corpus if e.batch.startswith("b5-")]
    assert len(fifth) >= 450 and sum(1 for e in fifth if not e.categories) >= 70
    # the seams real texts are confused on: who takes (8, 2, 32) or gives (22); fund and staff
    fifth_primary = Counter(e.categories[0] for e in fifth if e.categories)
    assert all(fifth_primary[c] >= 15 for c in (2, 3, 6, 8, 17, 19, 21, 22, 29, 30, 32))
    registers = Counter("official" if e.official else e.register for e in corpus)
    assert registers.most_common(1)[0][0] == "official"
    assert sum(e.official for e in corpus) >= 0.4 * len(corpus)


def test_no_two_texts_are_near_duplicates():
    texts = [e.text for e in load_corpus()]
    assert corpus_check.near_duplicates(texts) == []


def test_the_checker_finds_copies_and_retold_cases():
    reference = ("2023年3月，某省某市医保部门在审核时发现，参保人景某频繁跨院挂号并超量开具高价药品，"
                 "涉案金额达28.3万元，刘某获利3.5万元。")
    copied = corpus_check.Row("x:1", "据报道，医保部门在审核时发现，参保人景某频繁跨院挂号并超量开具。", (21,), "医保局", "news")
    retold = corpus_check.Row("x:2", "景某倒卖药品28.3万元，刘某从中获利3.5万元，后被判刑。", (21,), "公安局", "court")
    fresh = corpus_check.Row("x:3", "某县医保局检查发现，某药店将保健品串换为药品结算，涉及金额6.17万元。", (17,), "医保局", "fund_case")
    findings = corpus_check.reference_findings([copied, retold, fresh], [("page", reference)])
    assert any(f.startswith("x:1: shares the run") for f in findings)
    assert any(f.startswith("x:2: retells") for f in findings)
    assert not any(f.startswith("x:3") for f in findings)
