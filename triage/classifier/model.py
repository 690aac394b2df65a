"""A fitted model: the category scorer, the lead-agency scorer and the out-of-scope thresholds."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triage.classifier.scope import keeps
from triage.classifier.scorer import OUT_OF_SCOPE, TextScorer, columns_of, view_counts
from triage.classifier.tokenize import Analysis, analyse

TOP_K = 5
# Length bands (characters, upper bounds) with a threshold each: real write-ups are longer and
# mention several conducts, so their in-scope score is spread thinner than a short tip's.
LENGTH_BANDS = (100, 200, 300, 10**9)


def length_band(length: int) -> int:
    """The index of the band a text of this many characters falls in."""
    return next(i for i, upper in enumerate(LENGTH_BANDS) if length <= upper)


@dataclass(frozen=True)
class Prediction:
    categories: list[tuple[int, float]]  # ranked, best first, out-of-scope class excluded
    in_scope: bool
    in_scope_score: float  # 1 - P(out of scope)
    agency: tuple[str, float] | None = None  # the learnt lead agency and its probability


@dataclass
class TriageModel:
    scorer: TextScorer
    thresholds: tuple[float, ...]  # per length band: in-scope score below it is 不属于受理范围
    version: str
    agency_scorer: TextScorer | None = None  # classes: agency names

    def predict(self, texts: list[str], top_k: int = TOP_K) -> list[Prediction]:
        """Ranked categories with calibrated scores, the in-scope decision and the learnt lead
        agency, per text."""
        return self.predict_analysed([analyse(t) for t in texts], texts, top_k)

    def predict_analysed(self, analyses: list[Analysis], texts: list[str],
                         top_k: int = TOP_K) -> list[Prediction]:
        """As predict, for texts already analysed."""
        views = [v.view for v in self.scorer.views]
        if self.agency_scorer is not None:
            views += [v.view for v in self.agency_scorer.views]
        counts = view_counts(views, analyses)  # hashed once, shared by both scorers
        probabilities = self.scorer.proba_of(analyses, counts)
        agencies = self.agency_scorer.proba_of(analyses, counts) if self.agency_scorer else None
        return [self._one(row, text, top_k, None if agencies is None else agencies[i])
                for i, (row, text) in enumerate(zip(probabilities, texts))]

    def rarest_first(self, words: list[str]) -> tuple[str, ...]:
        """The distinct words, rarest in the training texts first (by the first view's IDF;
        a word never seen scores highest), longer first among equals: what links two reports
        is what few others share, and a common word links everything to everything."""
        distinct = list(dict.fromkeys(words))
        rarity = self.scorer.views[0].idf[columns_of(distinct)]
        order = sorted(range(len(distinct)),
                       key=lambda i: (-float(rarity[i]), -len(distinct[i]), distinct[i]))
        return tuple(distinct[i] for i in order)

    def in_scope_scores(self, probabilities: np.ndarray) -> np.ndarray:
        """1 - P(out of scope) for each row."""
        outside = np.flatnonzero(self.scorer.classes == OUT_OF_SCOPE)
        return 1.0 - (probabilities[:, outside[0]] if len(outside) else 0.0)

    def in_scope(self, score: float, text: str) -> bool:
        """In scope when the score reaches its length band's threshold, or when the text names
        a conduct (in doubt, keep: triage/classifier/scope.py)."""
        return score >= self.thresholds[length_band(len(text))] or keeps(text)

    def _one(self, row: np.ndarray, text: str, top_k: int,
             agency_row: np.ndarray | None) -> Prediction:
        classes = self.scorer.classes
        outside = np.flatnonzero(classes == OUT_OF_SCOPE)
        none_index = int(outside[0]) if len(outside) else -1
        in_scope_score = 1.0 - (float(row[none_index]) if none_index >= 0 else 0.0)
        order = [i for i in np.argsort(-row, kind="stable") if i != none_index][:top_k]
        ranked = [(int(classes[i]), round(float(row[i]), 4)) for i in order]
        agency = None
        if agency_row is not None:
            best = int(np.argmax(agency_row))
            agency = (str(self.agency_scorer.classes[best]), round(float(agency_row[best]), 4))
        return Prediction(ranked, self.in_scope(in_scope_score, text), round(in_scope_score, 4),
                          agency)
