"""Training: the corpus (plus the seed's own wording and staff feedback) → a signed artifact."""
from __future__ import annotations

import hashlib
import json
import platform
from importlib import resources
from collections.abc import Callable
from dataclasses import asdict

import jieba
import numpy as np
import sklearn
from sklearn.model_selection import StratifiedKFold, cross_val_predict, train_test_split

from config.data import load_taxonomy
from triage.classifier.corpus import Example, load_corpus
from triage.classifier.model import TriageModel, in_scope_threshold
from triage.classifier.pipeline import OUT_OF_SCOPE, SHIPPED, Design, build_pipeline

SEED = 0
HELD_OUT = 0.2
FOLDS = 4
Progress = Callable[[str], None]


def seed_examples() -> list[Example]:
    """The seed's own text of each category, so the official register is covered too."""
    return [Example(f"{c.title}。{c.text}", (c.id,), c.lead, "official", "taxonomy.toml")
            for c in load_taxonomy().categories]


def training_examples(feedback: list[Example] | None = None) -> list[Example]:
    """Corpus + seed wording + confirmed labels from staff."""
    return load_corpus() + seed_examples() + list(feedback or [])


def label(example: Example) -> int:
    """The training label: the primary category, or 0 for out of scope."""
    return example.categories[0] if example.categories else OUT_OF_SCOPE


def data_hash(examples: list[Example]) -> str:
    """sha256 over the examples in order: the same data gives the same hash."""
    digest = hashlib.sha256()
    for e in examples:
        digest.update(json.dumps([e.text, list(e.categories), e.agency], ensure_ascii=False).encode())
    return digest.hexdigest()


ALWAYS_TRAIN = ("taxonomy.toml", "feedback")


def split(examples: list[Example]) -> tuple[list[Example], list[Example]]:
    """A fixed, stratified held-out fifth of the corpus. The seed's wording and staff feedback
    always train, so models with and without feedback are scored on the same texts."""
    corpus = [e for e in examples if e.source not in ALWAYS_TRAIN]
    seeds = [e for e in examples if e.source in ALWAYS_TRAIN]
    train, held_out = train_test_split(corpus, test_size=HELD_OUT, random_state=SEED,
                                       stratify=[label(e) for e in corpus])
    return train + seeds, held_out


def fit_model(examples: list[Example], design: Design, version: str) -> tuple[TriageModel, dict]:
    """Fit on `examples`; the out-of-scope threshold comes from cross-validated predictions."""
    texts, labels = [e.text for e in examples], np.array([label(e) for e in examples])
    folds = StratifiedKFold(FOLDS, shuffle=True, random_state=SEED)
    probabilities = cross_val_predict(build_pipeline(design, SEED), texts, labels, cv=folds,
                                      method="predict_proba", n_jobs=2)
    classes = np.unique(labels)
    in_scope = 1.0 - probabilities[:, int(np.flatnonzero(classes == OUT_OF_SCOPE)[0])]
    threshold = in_scope_threshold(in_scope[labels != OUT_OF_SCOPE])
    out_recall = float(np.mean(in_scope[labels == OUT_OF_SCOPE] < threshold))
    pipeline = build_pipeline(design, SEED).fit(texts, labels)
    return TriageModel(pipeline, threshold, version), {"cv_out_of_scope_recall": round(out_recall, 4)}


FEATURE_CODE = ("normalize.py", "tokenize.py", "roles.py", "pipeline.py", "userdict.txt", "stopwords.txt")


def code_hash() -> str:
    """sha256 of the code and word lists that turn text into features."""
    digest = hashlib.sha256()
    for name in FEATURE_CODE:
        digest.update(resources.files("triage.classifier").joinpath(name).read_bytes())
    return digest.hexdigest()


def model_version(digest: str, design: Design) -> str:
    """Deterministic: the same data, feature code, design and library versions give the same
    version; a change to any of them gives a new one."""
    key = json.dumps([digest, code_hash(), asdict(design), sklearn.__version__, jieba.__version__])
    return "m-" + hashlib.sha256(key.encode()).hexdigest()[:12]


def train(examples: list[Example], design: Design = SHIPPED,
          progress: Progress = lambda _: None) -> tuple[TriageModel, dict]:
    """Measure on the held-out fifth, then fit the shipped model on everything."""
    from triage.classifier.evaluate import evaluate_model

    digest = data_hash(examples)
    version = model_version(digest, design)
    train_part, held_out = split(examples)
    progress(f"fitting on {len(train_part)} texts, holding out {len(held_out)} …")
    trial, _ = fit_model(train_part, design, version)
    progress("scoring the held-out texts …")
    scores = evaluate_model(trial, held_out)
    progress(f"fitting the final model on all {len(examples)} texts …")
    model, cv = fit_model(examples, design, version)
    metadata = {
        "design": asdict(design),
        "data_sha256": digest,
        "code_sha256": code_hash(),
        "examples": len(examples),
        "held_out": {k: v for k, v in scores.items() if k != "per_category"},
        "cross_validation": cv,
        "versions": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                     "jieba": jieba.__version__, "numpy": np.__version__},
        "seed": SEED,
    }
    return model, metadata
