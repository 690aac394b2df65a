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

from dataclasses import dataclass, replace
from functools import lru_cache

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

from triage.classifier.tokenize import Analysis, View, analyse, as_is

N_FEATURES = 2**18
OUT_OF_SCOPE = 0  # the class of texts outside the 32 categories
# Up to this many rows, features are hashed in Python with remembered columns and the weight
# rows of the features present gathered directly: scipy's sparse checks and sklearn's input
# handling cost more than the arithmetic for one report. Above, the C hasher and one sparse ×
# dense product are cheaper.
GATHER_ROWS = 64
REMEMBERED_COLUMNS = 200_000  # feature → column entries kept (about 40 MB at most)


@lru_cache(maxsize=1)
def hasher() -> HashingVectorizer:
    """Feature lists → hashed counts (the hashing is in C; the vectorizer keeps no state)."""
    return HashingVectorizer(analyzer=as_is, n_features=N_FEATURES, alternate_sign=False,
                             norm=None, dtype=np.float32)


_columns: dict[str, int] = {}


def column(feature: str) -> int:
    """The column HashingVectorizer gives a feature (signed murmurhash3 of its UTF-8 bytes,
    seed 0, absolute value modulo the width; the one value without an absolute value folded
    as sklearn folds it)."""
    hashed = murmurhash3_32(feature, 0)
    if hashed == -2147483648:
        return (2147483647 - (N_FEATURES - 1)) % N_FEATURES
    return abs(hashed) % N_FEATURES


def columns_of(features: list[str]) -> list[int]:
    """The vectorizer's column of each feature, remembered across calls."""
    known = _columns
    found = list(map(known.get, features))
    if None in found:
        if len(known) > REMEMBERED_COLUMNS:
            known.clear()
        for i, value in enumerate(found):
            if value is None:
                found[i] = known[features[i]] = column(features[i])
    return found  # type: ignore[return-value]


@dataclass(frozen=True)
class Rows:
    """Sparse rows as plain arrays (CSR without scipy's per-construction checks): `indices`
    sorted and unique within each row."""

    data: np.ndarray  # float32
    indices: np.ndarray  # int32 columns
    indptr: np.ndarray  # int64 row starts, one more than rows

    @property
    def count(self) -> int:
        return len(self.indptr) - 1

    def csr(self) -> sparse.csr_matrix:
        return sparse.csr_matrix((self.data, self.indices, self.indptr),
                                 shape=(self.count, N_FEATURES))

    @staticmethod
    def of(matrix: sparse.csr_matrix) -> Rows:
        return Rows(matrix.data, matrix.indices, matrix.indptr)


def hashed_counts(feature_lists: list[list[str]]) -> Rows:
    """Hashed feature counts, one row per feature list (as hasher().transform gives them)."""
    if len(feature_lists) > GATHER_ROWS:
        return Rows.of(hasher().transform(feature_lists))
    data, indices, indptr = [], [], [0]
    for features in feature_lists:
        columns, counts = np.unique(np.array(columns_of(features), dtype=np.int32),
                                    return_counts=True)
        indices.append(columns)
        data.append(counts.astype(np.float32))
        indptr.append(indptr[-1] + len(columns))
    return Rows(np.concatenate(data) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int32),
                np.array(indptr, dtype=np.int64))


def _row_sums(values: np.ndarray, indptr: np.ndarray) -> np.ndarray:
    """Sums of a CSR matrix's rows (of `values`, one entry or row per stored element)."""
    nonempty = np.diff(indptr) > 0
    sums = np.zeros((len(indptr) - 1,) + values.shape[1:], dtype=values.dtype)
    if values.size:
        # Empty rows start where the next row starts, so reduceat over the non-empty rows'
        # starts sums exactly each row's elements.
        sums[nonempty] = np.add.reduceat(values, indptr[:-1][nonempty], axis=0)
    return sums


def _tfidf_rows(counts: Rows, idf: np.ndarray) -> Rows:
    data = (np.log(counts.data) + 1.0).astype(np.float32) * idf[counts.indices]
    norms = np.sqrt(_row_sums(data * data, counts.indptr))
    norms[norms == 0] = 1.0
    data /= np.repeat(norms, np.diff(counts.indptr))
    return Rows(data, counts.indices, counts.indptr)


def tfidf(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    """Sublinear TF (1 + log tf) times IDF, rows scaled to unit length — as TfidfTransformer."""
    return _tfidf_rows(Rows.of(counts), idf).csr()


def _scores(counts: Rows, idf: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """TF-IDF rows times the weight matrix."""
    if counts.count > GATHER_ROWS:
        return np.asarray(_tfidf_rows(counts, idf).csr() @ weights)
    scores = np.zeros((counts.count, weights.shape[1]))
    for row in range(counts.count):  # one report at a time: plain vector arithmetic
        start, end = counts.indptr[row], counts.indptr[row + 1]
        if start == end:
            continue
        columns = counts.indices[start:end]
        data = (np.log(counts.data[start:end]) + np.float32(1.0)) * idf[columns]
        norm = np.sqrt(np.dot(data, data))
        scores[row] = (data / (norm or 1.0)) @ weights[columns]
    return scores


def view_counts(views: list[View], analyses: list[Analysis]) -> dict[View, Rows]:
    """Hashed feature counts of each distinct view, computed once; views that differ only in
    their role weight (the category and lead-agency models) share the n-grams' features and
    hashing, and add the role tokens' counts once more per extra weight."""
    parts: dict[View, list[tuple[list[str], list[str]]]] = {}
    plain: dict[View, Rows] = {}
    counts: dict[View, Rows] = {}
    for view in dict.fromkeys(views):
        base = replace(view, role_weight=1)
        if base not in parts:
            parts[base] = [base.parts(a) for a in analyses]
        if len(analyses) <= GATHER_ROWS:  # remembered columns: hashing a list again is cheap
            counts[view] = hashed_counts([g + r * view.role_weight for g, r in parts[base]])
            continue
        if base not in plain:
            plain[base] = hashed_counts([g + r for g, r in parts[base]])
        if view.role_weight == 1:
            counts[view] = plain[base]
        else:
            roles = hashed_counts([r for _, r in parts[base]]).csr()
            counts[view] = Rows.of((plain[base].csr() + (view.role_weight - 1) * roles).tocsr())
    return counts


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
        return self.proba_counts(hashed_counts(features))

    def proba_counts(self, counts: Rows) -> np.ndarray:
        """Class probabilities for hashed counts of this view."""
        scores = _scores(counts, self.idf, self.weights) + self.intercept
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
                 counts: dict[View, Rows] | None = None) -> np.ndarray:
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
