"""A fitted scorer plus the out-of-scope thresholds: what triage asks for a text."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from triage.classifier.scorer import OUT_OF_SCOPE, TextScorer
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


@dataclass
class TriageModel:
    scorer: TextScorer
    thresholds: tuple[float, ...]  # per length band: in-scope score below it is 不属于受理范围
    version: str

    def predict(self, texts: list[str], top_k: int = TOP_K) -> list[Prediction]:
        """Ranked categories with calibrated scores and the in-scope decision, per text."""
        return self.predict_analysed([analyse(t) for t in texts], [len(t) for t in texts], top_k)

    def predict_analysed(self, analyses: list[Analysis], lengths: list[int],
                         top_k: int = TOP_K) -> list[Prediction]:
        """As predict, for texts already analysed."""
        probabilities = self.scorer.proba_of(analyses)
        return [self._one(row, length, top_k) for row, length in zip(probabilities, lengths)]

    def in_scope_scores(self, probabilities: np.ndarray) -> np.ndarray:
        """1 - P(out of scope) for each row."""
        outside = np.flatnonzero(self.scorer.classes == OUT_OF_SCOPE)
        return 1.0 - (probabilities[:, outside[0]] if len(outside) else 0.0)

    def _one(self, row: np.ndarray, length: int, top_k: int) -> Prediction:
        classes = self.scorer.classes
        outside = np.flatnonzero(classes == OUT_OF_SCOPE)
        none_index = int(outside[0]) if len(outside) else -1
        in_scope_score = 1.0 - (float(row[none_index]) if none_index >= 0 else 0.0)
        order = [i for i in np.argsort(-row, kind="stable") if i != none_index][:top_k]
        ranked = [(int(classes[i]), round(float(row[i]), 4)) for i in order]
        threshold = self.thresholds[length_band(length)]
        return Prediction(ranked, in_scope_score >= threshold, round(in_scope_score, 4))


def in_scope_threshold(in_scope_scores: np.ndarray, max_turned_away: float = 0.03) -> float:
    """The threshold that turns away at most `max_turned_away` of these in-scope texts
    (measured on predictions for texts the model was not fitted to)."""
    if len(in_scope_scores) == 0:
        return 0.0
    return float(np.quantile(in_scope_scores, max_turned_away, method="lower"))
