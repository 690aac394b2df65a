"""The fitted classifier folded into plain arrays.

Training uses scikit-learn (TF-IDF, a linear SVM or logistic regression, sigmoid calibration);
what ships is only what those estimators compute at prediction time: hashed feature counts,
sublinear TF times IDF, L2 norm, one sparse × dense product, and the calibration as arrays.
Classifying one text then costs little more than tokenising it, and the pickle holds numbers,
not estimator objects whose internals change between scikit-learn releases.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from triage.classifier.tokenize import Analysis, View, analyse, as_is

N_FEATURES = 2**18
OUT_OF_SCOPE = 0  # the class of texts outside the 32 categories


def hasher() -> HashingVectorizer:
    """Feature lists → hashed counts (the hashing is in C)."""
    return HashingVectorizer(analyzer=as_is, n_features=N_FEATURES, alternate_sign=False,
                             norm=None, dtype=np.float32)


def tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear TF (1 + log tf) times IDF, rows scaled to unit length — as TfidfTransformer."""
    weighted = counts.copy()
    weighted.data = (np.log(weighted.data) + 1.0).astype(np.float32)
    weighted = weighted.multiply(idf.reshape(1, -1)).tocsr()
    norms = np.sqrt(np.asarray(weighted.multiply(weighted).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags((1.0 / norms).astype(np.float32)) @ weighted


@dataclass
class ViewScorer:
    """One linear model over one view's features."""

    view: View
    idf: np.ndarray  # (N_FEATURES,)
    weights: np.ndarray  # (N_FEATURES, classes), float32
    intercept: np.ndarray  # (classes,)
    kind: str  # "sigmoid": one-vs-rest scores through fitted sigmoids; "softmax"
    sigmoid_a: np.ndarray | None = None
    sigmoid_b: np.ndarray | None = None

    def proba(self, features: list[list[str]]) -> np.ndarray:
        """Class probabilities for feature lists (one row each)."""
        counts = hasher().transform(features)
        scores = np.asarray(tfidf(counts, self.idf) @ self.weights) + self.intercept
        if self.kind == "softmax":
            scores -= scores.max(axis=1, keepdims=True)
            probabilities = np.exp(scores)
        else:
            probabilities = 1.0 / (1.0 + np.exp(self.sigmoid_a * scores + self.sigmoid_b))
        total = probabilities.sum(axis=1, keepdims=True)
        total[total == 0] = 1.0
        return probabilities / total


@dataclass
class TextScorer:
    """Views averaged, and optionally the strongest sentence mixed in (a long write-up lists
    several conducts; the one that carries the case is often stated in one sentence)."""

    classes: np.ndarray
    views: list[ViewScorer]
    sentence_weight: float = 0.0

    def proba(self, texts: list[str]) -> np.ndarray:
        return self.proba_of([analyse(t) for t in texts])

    def proba_of(self, analyses: list[Analysis]) -> np.ndarray:
        """Class probabilities for analysed texts."""
        total = np.zeros((len(analyses), len(self.classes)))
        for view in self.views:
            total += view.proba([view.view.features(a) for a in analyses])
        document = total / len(self.views)
        if self.sentence_weight <= 0:
            return document
        return self._mix_sentences(analyses, document)

    def _mix_sentences(self, analyses: list[Analysis], document: np.ndarray) -> np.ndarray:
        rows, owners = [], []
        for i, analysis in enumerate(analyses):
            if len(analysis.sentences) > 1:
                for sentence in analysis.sentences:
                    rows.append(sentence)
                    owners.append(i)
        if not rows:
            return document
        per_sentence = np.zeros((len(rows), len(self.classes)))
        for view in self.views:
            per_sentence += view.proba([view.view.sentence_features(s) for s in rows])
        per_sentence /= len(self.views)
        strongest = np.zeros_like(document)
        np.maximum.at(strongest, np.asarray(owners), per_sentence)
        mixed = document.copy()
        has = np.unique(owners)
        weight = self.sentence_weight
        mixed[has] = document[has] ** (1 - weight) * strongest[has] ** weight
        # Sentences rank the conducts; whether the text is in scope at all stays the whole
        # text's judgement (a neutral sentence in a real case must not push it out).
        outside = np.flatnonzero(self.classes == OUT_OF_SCOPE)
        inside = np.flatnonzero(self.classes != OUT_OF_SCOPE)
        rest = mixed[np.ix_(has, inside)]
        rest *= ((1.0 - document[has][:, outside]) / rest.sum(axis=1, keepdims=True))
        mixed[np.ix_(has, inside)] = rest
        return mixed
