"""Evaluation on texts a model was not fitted to.

Two splits. The random held-out fifth, as before; it flatters the model, because training and
test texts come from the same writers in the same registers. And the register shift: train
without one register (or one writer batch), test on it — the nearest the corpus comes to real
reports, which arrive in registers and from hands the model never saw. Designs are chosen by
the register-shift scores of the official registers.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
from sklearn.metrics import precision_recall_fscore_support

from config.data import load_taxonomy
from triage.classifier.corpus import Example
from triage.classifier.model import LENGTH_BANDS, TriageModel, length_band
from triage.classifier.pipeline import DESIGNS, Design
from triage.classifier.fitting import (ALWAYS_TRAIN, Analyses, calibrate_thresholds,
                                       fit_unthresholded, split, unseen_register_scores)
from triage.routing import route

Progress = Callable[[str], None]
BAND_NAMES = tuple(f"≤{u}" if u < 10**8 else f">{LENGTH_BANDS[-2]}" for u in LENGTH_BANDS)


def _mean(values) -> float:  # type: ignore[no-untyped-def]
    values = list(values)
    return round(float(np.mean(values)), 4) if values else 0.0


@dataclass(frozen=True)
class Outcome:
    """What was suggested for one labelled text."""

    ranked: tuple[int, ...]  # categories, best first
    in_scope: bool
    lead: str  # the lead agency routed from the predicted categories
    lead_true: str  # … routed from the labelled categories
    lead_rules: str  # … from the predicted categories by the rules alone (no learnt agency)


def model_outcomes(model: TriageModel, examples: Sequence[Example],
                   cache: Analyses | None = None) -> list[Outcome]:
    """The model's suggestions for labelled texts, routed as the engine routes them."""
    cache = cache or Analyses()
    predictions = model.predict_analysed(cache.of(examples), [e.text for e in examples])
    outcomes = []
    for e, p in zip(examples, predictions):
        ranked = tuple(c for c, _ in p.categories)
        outcomes.append(Outcome(
            ranked, p.in_scope, route(list(ranked), e.text, learned=p.agency).lead,
            route(list(e.categories or ranked), e.text, learned=p.agency).lead,
            route(list(ranked), e.text).lead))
    return outcomes


def evaluate_model(model: TriageModel, examples: Sequence[Example],
                   cache: Analyses | None = None) -> dict:
    """Scores of `model` on texts it was not fitted to."""
    return scores_of(examples, model_outcomes(model, examples, cache))


def scores_of(examples: Sequence[Example], outcomes: Sequence[Outcome]) -> dict:
    """Scores of suggestions against the labels of the same texts."""
    taxonomy = load_taxonomy()
    inside = [(e, o) for e, o in zip(examples, outcomes) if e.categories]
    outside = [o for e, o in zip(examples, outcomes) if not e.categories]
    truth = [e.categories[0] for e, _ in inside]
    top1 = [o.ranked[0] for _, o in inside]
    labels = sorted(set(truth))
    precision, recall, f1, support = precision_recall_fscore_support(
        truth, top1, labels=labels, zero_division=0) if truth else ([], [], [], [])
    per_agency: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    for e, o in inside:
        per_agency[e.agency][0] += 1
        per_agency[e.agency][1] += o.lead == e.agency
        per_agency[e.agency][2] += o.lead_true == e.agency
    turned_away = defaultdict(list)
    for e, o in inside:
        turned_away[BAND_NAMES[length_band(len(e.text))]].append(not o.in_scope)
    return {
        "texts": len(examples),
        "in_scope_texts": len(inside),
        "top1": _mean(t == g for t, g in zip(truth, top1)),
        "top3": _mean(e.categories[0] in o.ranked[:3] for e, o in inside),
        "top1_in_any_label": _mean(g in e.categories for (e, _), g in zip(inside, top1)),
        "area": _mean(taxonomy.category(t).area == taxonomy.category(g).area
                      for t, g in zip(truth, top1)),
        "macro_f1": round(float(np.mean(f1)), 4) if len(f1) else 0.0,
        "agency_accuracy": _mean(o.lead == e.agency for e, o in inside),
        "agency_with_true_categories": _mean(o.lead_true == e.agency for e, o in inside),
        "agency_rules_only": _mean(o.lead_rules == e.agency for e, o in inside),
        "in_scope_turned_away": _mean(not o.in_scope for _, o in inside),
        "turned_away_by_length": {band: _mean(v) for band, v in sorted(turned_away.items())},
        "out_of_scope_recall": _mean(not o.in_scope for o in outside) if outside else None,
        "confusions": [[t, g, n] for (t, g), n in
                       Counter((t, g) for t, g in zip(truth, top1) if t != g).most_common(12)],
        "per_agency": {a: {"texts": n, "right": ok, "right_with_true_categories": ok_true}
                       for a, (n, ok, ok_true) in sorted(per_agency.items())},
        "per_category": {
            int(c): {"precision": round(float(pr), 3), "recall": round(float(rc), 3),
                     "f1": round(float(f), 3), "support": int(s)}
            for c, pr, rc, f, s in zip(labels, precision, recall, f1, support)
        },
    }


def held_out_scores(examples: list[Example], design: Design, cache: Analyses,
                    unseen: dict[str, float] | None = None) -> dict:
    """The random split: fit on four fifths, score the fifth."""
    train_part, held_out = split(examples)
    model = fit_unthresholded(train_part, design, cache)
    model.thresholds = calibrate_thresholds(unseen_register_scores(train_part, design, cache))
    return evaluate_model(model, held_out, cache)


def by_group(examples: list[Example], design: Design, key: Callable[[Example], str],
             cache: Analyses, progress: Progress = lambda _: None) -> dict[str, dict]:
    """For each group (a register, a batch): train without it, score it.

    The thresholds of each fold come from the scores every corpus text gets from a model that
    never saw its register, restricted to the texts outside the held-out group.
    """
    corpus = [e for e in examples if e.source not in ALWAYS_TRAIN]
    unseen = unseen_register_scores(examples, design, cache, progress)
    results = {}
    for group in sorted({key(e) for e in corpus}):
        held = [e for e in corpus if key(e) == group]
        if not any(e.categories for e in held):
            continue
        progress(f"  without '{group}': fitting on the rest, scoring its {len(held)} texts …")
        model = fit_unthresholded([e for e in examples if key(e) != group or
                                   e.source in ALWAYS_TRAIN], design, cache)
        keep = np.array([key(e) != group for e in corpus])
        model.thresholds = calibrate_thresholds(unseen.subset(keep))
        results[group] = evaluate_model(model, held, cache)
    return results


def pooled(results: dict[str, dict], groups: Sequence[str]) -> dict:
    """Scores over several held-out groups, weighted by their number of texts."""
    chosen = [results[g] for g in groups if g in results]
    weights = [r["in_scope_texts"] for r in chosen]
    out_weights = [r["texts"] - r["in_scope_texts"] for r in chosen]
    summary = {"texts": sum(r["texts"] for r in chosen), "in_scope_texts": sum(weights)}
    for name in ("top1", "top3", "area", "agency_accuracy", "agency_with_true_categories",
                 "agency_rules_only", "in_scope_turned_away"):
        summary[name] = round(float(np.average([r[name] for r in chosen], weights=weights)), 4) \
            if sum(weights) else 0.0
    recalls = [(r["out_of_scope_recall"], w) for r, w in zip(chosen, out_weights)
               if r["out_of_scope_recall"] is not None and w]
    summary["out_of_scope_recall"] = round(float(np.average(
        [v for v, _ in recalls], weights=[w for _, w in recalls])), 4) if recalls else None
    summary["worst_turned_away"] = max((r["in_scope_turned_away"] for r in chosen), default=0.0)
    return summary


def register_shift(examples: list[Example], design: Design, cache: Analyses,
                   progress: Progress = lambda _: None) -> dict:
    """Per register held out, the pooled official registers, and the random split beside."""
    per_register = by_group(examples, design, lambda e: e.register, cache, progress)
    official = [g for g in per_register if g in {e.register for e in examples if e.official}]
    return {"per_register": per_register, "official": pooled(per_register, official),
            "all": pooled(per_register, list(per_register)),
            "random_split": held_out_scores(examples, design, cache)}


def compare_designs(examples: list[Example], designs: Sequence[Design] = DESIGNS,
                    progress: Progress = lambda _: None) -> list[dict]:
    """Every design's register-shift scores (pooled official registers) and random split."""
    cache = Analyses()
    rows = []
    for design in designs:
        progress(f"design: {design.name}")
        shift = register_shift(examples, design, cache, progress)
        rows.append({"design": design.name, "official": shift["official"], "all": shift["all"],
                     "random_split": {k: shift["random_split"][k] for k in
                                      ("top1", "top3", "area", "agency_accuracy",
                                       "in_scope_turned_away", "out_of_scope_recall")}})
    return rows


def format_scores(name: str, s: dict) -> str:
    """One line of scores."""
    recall = s.get("out_of_scope_recall")
    if not s.get("in_scope_texts", 1):
        return f"{name:34s} n={s['texts']:5d}  (out of scope only)  out recognised {recall:.3f}"
    return (f"{name:34s} n={s['texts']:5d}  top-1 {s['top1']:.3f}  top-3 {s['top3']:.3f}  "
            f"area {s['area']:.3f}  agency {s['agency_accuracy']:.3f} "
            f"(true cats {s['agency_with_true_categories']:.3f}, rules only "
            f"{s['agency_rules_only']:.3f})  turned away "
            f"{s['in_scope_turned_away']:.3f}  out recognised "
            f"{'—' if recall is None else f'{recall:.3f}'}")


def format_report(scores: dict, titles: dict[int, str]) -> str:
    """The random-split evaluation as text for the terminal."""
    lines = [f"held-out texts: {scores['texts']}",
             f"top-1 accuracy: {scores['top1']:.3f}   top-3: {scores['top3']:.3f}   "
             f"top-1 within any labelled category: {scores['top1_in_any_label']:.3f}   "
             f"area: {scores['area']:.3f}",
             f"macro F1: {scores['macro_f1']:.3f}   lead agency: {scores['agency_accuracy']:.3f} "
             f"(with the true categories: {scores['agency_with_true_categories']:.3f}; "
             f"by the rules alone: {scores['agency_rules_only']:.3f})",
             f"in-scope turned away: {scores['in_scope_turned_away']:.3f} "
             f"(by length: {scores['turned_away_by_length']})   "
             f"out-of-scope recognised: {scores['out_of_scope_recall']}", "",
             " id  precision recall  f1     n  category"]
    for cid, row in sorted(scores["per_category"].items(), key=lambda kv: int(kv[0])):
        lines.append(f"{int(cid):3d}  {row['precision']:.3f}     {row['recall']:.3f}   "
                     f"{row['f1']:.3f} {row['support']:4d}  {titles.get(int(cid), '')[:28]}")
    lines += ["", "lead agency per true agency: texts, right (predicted categories), "
                  "right (true categories)"]
    lines += [f"  {a:6s} {v['texts']:4d}  {v['right'] / v['texts']:.3f}  "
              f"{v['right_with_true_categories'] / v['texts']:.3f}"
              for a, v in scores["per_agency"].items()]
    lines += ["", "most frequent confusions (true → predicted, count):"]
    lines += [f"  {t:2d} → {g:2d}  ×{n}   {titles.get(t, '')[:18]} → {titles.get(g, '')[:18]}"
              for t, g, n in scores["confusions"]]
    return "\n".join(lines)


def format_shift(shift: dict) -> str:
    """The register-shift evaluation as text for the terminal."""
    lines = ["trained without one register, tested on it:"]
    for name, s in shift["per_register"].items():
        lines.append(format_scores(f"  {name}", s))
    lines.append(format_scores("official registers, pooled", shift["official"]))
    lines.append(format_scores("all registers, pooled", shift["all"]))
    lines.append(format_scores("random held-out fifth", shift["random_split"]))
    lines.append(f"worst register for in-scope texts turned away: "
                 f"{shift['all']['worst_turned_away']:.3f}")
    return "\n".join(lines)
