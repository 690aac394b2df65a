"""The training corpus: enough texts per category, valid labels, no near-duplicates."""
from collections import Counter, defaultdict

from config.data import AGENCIES
from triage.classifier.corpus import load_corpus

STYLES = {"tip", "letter", "call", "anonymous", "official", "other"}


def _trigrams(text: str) -> set[str]:
    return {text[i:i + 3] for i in range(len(text) - 2)}


def test_counts_and_labels():
    corpus = load_corpus()
    primary = Counter(e.categories[0] for e in corpus if e.categories)
    assert set(primary) == set(range(1, 33))
    assert min(primary.values()) >= 60
    assert sum(1 for e in corpus if not e.categories) >= 200
    for e in corpus:
        assert e.style in STYLES and e.text.strip()
        assert all(1 <= c <= 32 for c in e.categories) and len(set(e.categories)) == len(e.categories)
        if e.categories:
            assert e.agency in AGENCIES, e.text[:30]
            assert e.source == f"cat{e.categories[0]:02d}.jsonl"
        else:
            assert e.agency is None
    styles = Counter(e.style for e in corpus if e.categories)
    assert all(styles[s] >= 0.08 * sum(styles.values()) for s in ("tip", "letter", "call", "anonymous", "official"))


def test_no_two_texts_are_near_duplicates():
    texts = [e.text for e in load_corpus()]
    assert len(set(texts)) == len(texts)
    grams = [_trigrams(t) for t in texts]
    index: dict[str, list[int]] = defaultdict(list)
    for i, g in enumerate(grams):
        for gram in g:
            index[gram].append(i)
    for i, g in enumerate(grams):
        shared: Counter = Counter()
        for gram in g:
            shared.update(j for j in index[gram] if j > i)
        for j, count in shared.items():
            assert count / len(g | grams[j]) <= 0.5, (texts[i][:40], texts[j][:40])
