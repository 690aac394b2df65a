"""Held-out evaluation: per-category precision/recall/F1, confusions, top-1/top-3, agency."""
from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.metrics import precision_recall_fscore_support
from sklearn.model_selection import StratifiedKFold, cross_val_predict

from triage.classifier.corpus import Example
from triage.classifier.model import TriageModel
from triage.classifier.pipeline import DESIGNS, OUT_OF_SCOPE, Design, build_pipeline
from triage.routing import route


def evaluate_model(model: TriageModel, examples: list[Example]) -> dict:
    """Scores of `model` on texts it was not fitted to."""
    predictions = model.predict([e.text for e in examples])
    inside = [(e, p) for e, p in zip(examples, predictions) if e.categories]
    outside = [p for e, p in zip(examples, predictions) if not e.categories]
    truth = [e.categories[0] for e, _ in inside]
    top1 = [p.categories[0][0] for _, p in inside]
    labels = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, top1, labels=labels, zero_division=0)
    agency = [route([c for c, _ in p.categories], e.text).lead == e.agency for e, p in inside]
    confusions = Counter((t, g) for t, g in zip(truth, top1) if t != g)
    return {
        "texts": len(examples),
        "top1": _mean(t == g for t, g in zip(truth, top1)),
        "top3": _mean(e.categories[0] in [c for c, _ in p.categories[:3]] for e, p in inside),
        "top1_in_any_label": _mean(g in e.categories for (e, _), g in zip(inside, top1)),
        "macro_f1": round(float(np.mean(f1)), 4),
        "agency_accuracy": _mean(agency),
        "in_scope_turned_away": _mean(not p.in_scope for _, p in inside),
        "out_of_scope_recall": _mean(not p.in_scope for p in outside) if outside else None,
        "confusions": [[t, g, n] for (t, g), n in confusions.most_common(12)],
        "per_category": {
            int(c): {"precision": round(float(pr), 3), "recall": round(float(rc), 3),
                     "f1": round(float(f), 3), "support": int(s)}
            for c, pr, rc, f, s in zip(labels, precision, recall, f1, support)
        },
    }


def _mean(values) -> float:  # type: ignore[no-untyped-def]
    values = list(values)
    return round(float(np.mean(values)), 4) if values else 0.0


def compare_designs(examples: list[Example], designs: tuple[Design, ...] = DESIGNS) -> list[dict]:
    """Cross-validated top-1/top-3 of each design on the same folds (the choice of SHIPPED)."""
    texts = [e.text for e in examples]
    labels = np.array([e.categories[0] if e.categories else OUT_OF_SCOPE for e in examples])
    inside = labels != OUT_OF_SCOPE
    folds = StratifiedKFold(5, shuffle=True, random_state=0)
    rows = []
    for design in designs:
        probabilities = cross_val_predict(build_pipeline(design), texts, labels, cv=folds,
                                          method="predict_proba", n_jobs=2)
        classes = np.unique(labels)
        probabilities[:, classes == OUT_OF_SCOPE] = -1.0
        ranked = classes[np.argsort(-probabilities, axis=1)]
        rows.append({
            "design": design.name,
            "top1": _mean((ranked[:, 0] == labels)[inside]),
            "top3": _mean(np.any(ranked[:, :3] == labels[:, None], axis=1)[inside]),
        })
    return rows


def format_report(scores: dict, titles: dict[int, str]) -> str:
    """The evaluation as text for the terminal."""
    lines = [f"held-out texts: {scores['texts']}",
             f"top-1 accuracy: {scores['top1']:.3f}   top-3: {scores['top3']:.3f}   "
             f"top-1 within any labelled category: {scores['top1_in_any_label']:.3f}",
             f"macro F1: {scores['macro_f1']:.3f}   lead-agency accuracy: {scores['agency_accuracy']:.3f}",
             f"in-scope turned away: {scores['in_scope_turned_away']:.3f}   "
             f"out-of-scope recognised: {scores['out_of_scope_recall']}", "",
             " id  precision recall  f1     n  category"]
    for cid, row in sorted(scores["per_category"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"{int(cid):3d}  {row['precision']:.3f}     {row['recall']:.3f}   {row['f1']:.3f} "
                     f"{row['support']:4d}  {titles.get(int(cid), '')[:28]}")
    lines += ["", "most frequent confusions (true → predicted, count):"]
    lines += [f"  {t:2d} → {g:2d}  ×{n}   {titles.get(t, '')[:18]} → {titles.get(g, '')[:18]}"
              for t, g, n in scores["confusions"]]
    return "\n".join(lines)
