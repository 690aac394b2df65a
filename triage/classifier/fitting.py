"""Fitting a model and setting its out-of-scope thresholds, shared by training and evaluation.

The thresholds are set on predictions for texts the model was not fitted to, and those
predictions come from models trained *without the text's register*: a register the model has
never seen is what real reports are, and "in doubt, keep" must hold there too.
"""
from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import math

import numpy as np
from sklearn.model_selection import train_test_split

from triage.classifier.corpus import Example
from triage.classifier.model import LENGTH_BANDS, TriageModel, length_band
from triage.classifier.pipeline import OUT_OF_SCOPE, Design, fit_agency_scorer, fit_scorer
from triage.classifier.scope import keeps
from triage.classifier.tokenize import Analysis, analyse

SEED = 0
HELD_OUT = 0.2
MAX_TURNED_AWAY = 0.03
MIN_CELL = 15  # fewest in-scope texts of one register and length band that set a threshold
# Share of out-of-scope texts (those naming no conduct) the threshold must recognise …
OUT_OF_SCOPE_TARGET = 0.90
# … among the texts written as people write to the office. The corpus's out-of-scope texts in
# official registers (policy news, malpractice rulings, penalties without bribery) are there to
# teach the model, and are deliberately close to real cases; what reaches the portal and must
# be recognised are complaints. Setting the threshold on all of them set it so high that a
# tenth of real official write-ups were turned away (README, "On real texts").
COMPLAINT_REGISTERS = frozenset({"citizen", "tip", "letter", "call", "anonymous"})
Progress = Callable[[str], None]
ALWAYS_TRAIN = ("taxonomy.toml", "feedback")


def label(example: Example) -> int:
    """The training label: the primary category, or 0 for out of scope."""
    return example.categories[0] if example.categories else OUT_OF_SCOPE


class Analyses:
    """Each distinct text analysed once (jieba is most of the cost of every fit)."""

    def __init__(self) -> None:
        self._done: dict[str, Analysis] = {}

    def of(self, examples: Sequence[Example]) -> list[Analysis]:
        found = []
        for e in examples:
            if e.text not in self._done:
                self._done[e.text] = analyse(e.text)
            found.append(self._done[e.text])
        return found


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """A fixed, stratified held-out fifth of the corpus. The seed's wording and staff feedback
    always train, so models with and without feedback are scored on the same texts."""
    corpus = [e for e in examples if e.source not in ALWAYS_TRAIN]
    seeds = [e for e in examples if e.source in ALWAYS_TRAIN]
    train, held_out = train_test_split(corpus, test_size=HELD_OUT, random_state=SEED,
                                       stratify=[label(e) for e in corpus])
    return train + seeds, held_out


def fit_unthresholded(examples: Sequence[Example], design: Design, cache: Analyses,
                      version: str = "evaluation") -> TriageModel:
    """A model fitted to `examples` with no text turned away (thresholds 0): the category
    scorer on every text, the lead-agency scorer on the in-scope ones."""
    analyses = cache.of(examples)
    labels = np.array([label(e) for e in examples])
    weights = np.array([design.seed_weight if e.source == "taxonomy.toml" else 1.0
                        for e in examples])
    scorer = fit_scorer(analyses, labels, weights, design, SEED)
    with_agency = [i for i, e in enumerate(examples) if e.categories and e.agency]
    agency = fit_agency_scorer([analyses[i] for i in with_agency],
                               np.array([examples[i].agency for i in with_agency]), SEED)
    return TriageModel(scorer, (0.0,) * len(LENGTH_BANDS), version, agency)


@dataclass(frozen=True)
class Unseen:
    """In-scope scores of texts predicted by models that never saw their register."""

    scores: np.ndarray
    inside: np.ndarray  # bool: the text is in scope
    registers: list[str]
    lengths: np.ndarray
    kept: np.ndarray  # bool: the text names a conduct, so it is kept whatever its score

    def subset(self, rows: np.ndarray) -> Unseen:
        return Unseen(self.scores[rows], self.inside[rows],
                      [r for r, k in zip(self.registers, rows) if k], self.lengths[rows],
                      self.kept[rows])


def unseen_register_scores(examples: Sequence[Example], design: Design, cache: Analyses,
                           progress: Progress = lambda _: None) -> Unseen:
    """For every corpus text, its in-scope score from a model trained without its register."""
    corpus = [e for e in examples if e.source not in ALWAYS_TRAIN]
    scores = np.zeros(len(corpus))
    registers = sorted({e.register for e in corpus})
    for step, name in enumerate(registers, 1):
        progress(f"  [{step}/{len(registers)}] register '{name}', scored by a model that "
                 "never saw it …")
        labels = np.array([label(e) for e in examples if e.register != name])
        scorer = fit_scorer(cache.of([e for e in examples if e.register != name]), labels,
                            np.ones(len(labels)), design, SEED)
        model = TriageModel(scorer, (0.0,) * len(LENGTH_BANDS), "unseen")
        rows = [i for i, e in enumerate(corpus) if e.register == name]
        probabilities = model.scorer.proba_of(cache.of([corpus[i] for i in rows]))
        scores[rows] = model.in_scope_scores(probabilities)
    return Unseen(scores, np.array([bool(e.categories) for e in corpus]),
                  [e.register for e in corpus], np.array([len(e.text) for e in corpus]),
                  np.array([keeps(e.text) for e in corpus]))


def _highest_keeping(scores: np.ndarray, kept: np.ndarray, max_turned_away: float) -> float:
    """The highest threshold that turns away at most that share of these in-scope texts (texts
    that name a conduct are kept whatever the threshold)."""
    allowed = int(np.floor(max_turned_away * len(scores)))
    exposed = np.sort(scores[~kept])
    return float(exposed[allowed]) if allowed < len(exposed) else 1.0


def calibrate_thresholds(unseen: Unseen, max_turned_away: float = MAX_TURNED_AWAY,
                         out_target: float = OUT_OF_SCOPE_TARGET) -> tuple[float, ...]:
    """Per length band, the lowest threshold that still recognises `out_target` of the
    out-of-scope complaints that name no conduct — in doubt, keep — and never higher than what turns
    away at most `max_turned_away` of the in-scope texts of every register (cells of at least
    MIN_CELL texts) and of the band."""
    bands = np.array([length_band(int(n)) for n in unseen.lengths])
    registers = np.array(unseen.registers)
    plain_out = unseen.scores[~unseen.inside & ~unseen.kept &
                              np.isin(registers, list(COMPLAINT_REGISTERS))]
    if not len(plain_out):  # a corpus without complaints: every out-of-scope text counts
        plain_out = unseen.scores[~unseen.inside & ~unseen.kept]
    enough = float(np.quantile(plain_out, out_target)) + 1e-6 if len(plain_out) else 0.0
    thresholds = []
    for band in range(len(LENGTH_BANDS)):
        in_band = unseen.inside & (bands == band)
        cells = [in_band] + [in_band & (registers == r) for r in set(unseen.registers)]
        ceiling = min(_highest_keeping(unseen.scores[c], unseen.kept[c], max_turned_away)
                      for c in cells if c.sum() >= MIN_CELL or c is in_band)
        thresholds.append(math.floor(min(enough, ceiling) * 1e4) / 1e4)  # never round up
    return tuple(thresholds)


def fit_model(examples: list[Example], design: Design, version: str,
              cache: Analyses | None = None, progress: Progress = lambda _: None,
              unseen: Unseen | None = None) -> tuple[TriageModel, dict]:
    """Fit on `examples`, with thresholds from models that never saw the text's register
    (`unseen`: those scores when already computed for exactly these examples' corpus texts)."""
    cache = cache or Analyses()
    unseen = unseen or unseen_register_scores(examples, design, cache, progress)
    thresholds = calibrate_thresholds(unseen)
    bands = np.array([length_band(int(n)) for n in unseen.lengths])
    recognised = (unseen.scores < np.array(thresholds)[bands]) & ~unseen.kept
    model = fit_unthresholded(examples, design, cache, version)
    model.thresholds = thresholds
    return model, {"thresholds": list(thresholds),
                   "unseen_register_out_of_scope_recall": _mean(recognised[~unseen.inside]),
                   "unseen_register_in_scope_turned_away": _mean(recognised[unseen.inside])}


def _mean(values: np.ndarray) -> float:
    return round(float(np.mean(values)), 4) if len(values) else 0.0
