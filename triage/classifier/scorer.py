"""The fitted classifier folded into plain arrays.

Training uses scikit-learn (TF-IDF, a linear SVM or logistic regression, sigmoid calibration);
what ships is only what those estimators compute at prediction time: hashed feature counts,
sublinear TF times IDF, L2 norm, a product with the weight matrix, and the calibration as
arrays. Features are computed and hashed once per text and view, and shared by every model of
that view (the category and the lead-agency scorers see the same counts). Classifying one text
then costs little more than tokenising it, and the pickle holds numbers, not estimator objects
whose internals change between scikit-learn releases.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer

from triage.classifier.tokenize import Analysis, View, analyse, as_is

N_FEATURES = 2**18
OUT_OF_SCOPE = 0  # the class of texts outside the 32 categories
# Up to this many rows, the weight rows of the features present are gathered directly; above,
# one sparse × dense product is cheaper than gathering.
GATHER_ROWS = 64


@lru_cache(maxsize=1)
def hasher() -> HashingVectorizer:
    """Feature lists → hashed counts (the hashing is in C; the vectorizer keeps no state)."""
    return HashingVectorizer(analyzer=as_is, n_features=N_FEATURES, alternate_sign=False,
                             norm=None, dtype=np.float32)


def _row_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sums of a CSR matrix's rows (of `values`, one entry or row per stored element)."""
    nonempty = np.diff(indptr) > 0
    sums = np.zeros((len(indptr) - 1,) + values.shape[1:], dtype=values.dtype)
    if values.size:
        # Empty rows start where the next row starts, so reduceat over the non-empty rows'
        # starts sums exactly each row's elements.
        sums[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty], axis=0)
    return sums


def tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear TF (1 + log tf) times IDF, rows scaled to unit length — as TfidfTransformer."""
    data = (np.log(counts.data) + 1.0).astype(np.float32) * idf[counts.indices]
    norms = np.sqrt(_row_sums(data * data, counts.indptr))
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, np.diff(counts.indptr))
    return sparse.csr_matrix((data, counts.indices, counts.indptr), shape=counts.shape)


def _product(weighted: sparse.csr_matrix, weights: np.ndarray) -> np.ndarray:
    if weighted.shape[0] > GATHER_ROWS:
        return np.asarray(weighted @ weights)
    gathered = weights[weighted.indices] * weighted.data[:, None]
    return _row_sums(gathered, weighted.indptr).astype(np.float64)


def view_counts(views: list[View], analyses: list[Analysis]) -> dict[View, sparse.csr_matrix]:
    """Hashed feature counts of each distinct view, computed once."""
    return {view: hasher().transform([view.features(a) for a in analyses])
            for view in dict.fromkeys(views)}


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
        return self.proba_counts(hasher().transform(features))

    def proba_counts(self, counts: sparse.csr_matrix) -> np.ndarray:
        """Class probabilities for hashed counts of this view."""
        scores = _product(tfidf(counts, self.idf), self.weights) + self.intercept
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

    def proba_of(self, analyses: list[Analysis],
                 counts: dict[View, sparse.csr_matrix] | None = None) -> np.ndarray:
        """Class probabilities for analysed texts (`counts`: hashed counts already computed)."""
        counts = counts if counts is not None else view_counts(
            [v.view for v in self.views], analyses)
        total = np.zeros((len(analyses), len(self.classes)))
        for view in self.views:
            total += view.proba_counts(counts[view.view])
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
