"""A fitted pipeline plus the out-of-scope threshold: what triage asks for a text."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from sklearn.pipeline import Pipeline

from triage.classifier.pipeline import OUT_OF_SCOPE

TOP_K = 5


@dataclass(frozen=True)
class Prediction:
    categories: list[tuple[int, float]]  # ranked, best first, out-of-scope class excluded
    in_scope: bool
    in_scope_score: float  # 1 - P(out of scope)


@dataclass
class TriageModel:
    pipeline: Pipeline
    threshold: float  # in-scope score below which a text is 不属于受理范围
    version: str

    def predict(self, texts: list[str], top_k: int = TOP_K) -> list[Prediction]:
        """Ranked categories with calibrated scores and the in-scope decision, per text."""
        probabilities = self.pipeline.predict_proba(texts)
        return [self._one(row, top_k) for row in probabilities]

    def _one(self, row: np.ndarray, top_k: int) -> Prediction:
        classes = self.pipeline.classes_
        none_index = int(np.flatnonzero(classes == OUT_OF_SCOPE)[0]) if OUT_OF_SCOPE in classes else -1
        in_scope_score = 1.0 - (float(row[none_index]) if none_index >= 0 else 0.0)
        order = [i for i in np.argsort(-row, kind="stable") if i != none_index][:top_k]
        ranked = [(int(classes[i]), round(float(row[i]), 4)) for i in order]
        return Prediction(ranked, in_scope_score >= self.threshold, round(in_scope_score, 4))


def in_scope_threshold(in_scope_scores: np.ndarray, max_turned_away: float = 0.03) -> float:
    """The threshold that turns away at most `max_turned_away` of in-scope texts (measured on
    cross-validated predictions, never on the texts the model was fitted to)."""
    return float(np.quantile(in_scope_scores, max_turned_away, method="lower"))
