#!/usr/bin/env python3
"""How well config/routing.toml reproduces the corpus's lead-agency labels.

Not a test. Run from the project root with the project's venv:

    .venv/bin/python bench/routing_fit.py [--rules PATH] [--errors N] [--json]

For every labelled text of triage/classifier/corpus/ (out-of-scope texts skipped) it routes
`route(true categories, text)` and compares the lead with the `agency` label. Every 5th text
of each file (the 5th, 10th, … line) is held out: rules are tuned on the other four fifths
("tuning") and the held-out fifth shows how they do on texts they were not tuned on.

It prints the naive baseline (the taxonomy's lead of the primary category, no escalation) and
the rules' accuracy, on both splits and per primary category, the (expected, got) confusion
counts, and how often each rule fired. `--errors N` lists N misrouted tuning texts (never
held-out ones, so the held-out figure stays honest).
"""
from __future__ import annotations

import argparse
import json
import signal
import sys
from collections import Counter, defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from config.data import load_taxonomy  # noqa: E402
from triage.classifier.corpus import Example, load_corpus  # noqa: E402
from config.routing import load_rules  # noqa: E402
from triage.routing import route  # noqa: E402

HOLDOUT_EVERY = 5


def split_corpus() -> tuple[list[Example], list[Example]]:
    """(tuning, held-out): every 5th labelled text of each corpus file is held out."""
    tuning, held_out = [], []
    position: Counter[str] = Counter()
    for example in load_corpus():
        if not example.categories:
            continue
        position[example.source] += 1
        (held_out if position[example.source] % HOLDOUT_EVERY == 0 else tuning).append(example)
    return tuning, held_out


def _pct(hits: int, total: int) -> str:
    return f"{100 * hits / total:5.1f}% ({hits}/{total})" if total else "  n/a"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rules", type=Path, default=None,
                        help="routing TOML (default: config/routing.toml)")
    parser.add_argument("--errors", type=int, default=0,
                        help="list this many misrouted tuning texts")
    parser.add_argument("--json", action="store_true", help="also print one JSON summary line")
    args = parser.parse_args()

    rules = load_rules(args.rules)
    taxonomy = load_taxonomy()
    tuning, held_out = split_corpus()
    summary: dict[str, float] = {}
    # per primary category: baseline hits, rules hits, n, held-out rules hits, held-out n
    per_cat: dict[int, list[int]] = defaultdict(lambda: [0, 0, 0, 0, 0])
    confusion: Counter[tuple[str, str]] = Counter()
    fired: Counter[str] = Counter()
    errors: list[tuple[Example, str, tuple[str, ...]]] = []

    for split, examples in (("tuning", tuning), ("held-out", held_out)):
        base_ok = ours_ok = 0
        for ex in examples:
            baseline = taxonomy.category(ex.categories[0]).lead
            result = route(list(ex.categories), ex.text, rules)
            base_ok += baseline == ex.agency
            ours_ok += result.lead == ex.agency
            fired.update(result.reasons)
            stats = per_cat[ex.categories[0]]
            stats[0] += baseline == ex.agency
            stats[1] += result.lead == ex.agency
            stats[2] += 1
            if split == "held-out":
                stats[3] += result.lead == ex.agency
                stats[4] += 1
            if result.lead != ex.agency:
                confusion[(ex.agency or "-", result.lead)] += 1
                if split == "tuning":
                    errors.append((ex, result.lead, result.reasons))
        summary[f"{split}_baseline"] = base_ok / len(examples)
        summary[f"{split}_rules"] = ours_ok / len(examples)
        print(f"{split:9s} n={len(examples):4d}  baseline (taxonomy lead) "
              f"{_pct(base_ok, len(examples))}   rules {_pct(ours_ok, len(examples))}")

    print("\nper primary category (all texts): table lead, baseline -> rules  [rules on held-out]")
    for cat in sorted(per_cat):
        base, ours, n, held, held_n = per_cat[cat]
        print(f"  {cat:2d} {taxonomy.category(cat).lead:5s} {_pct(base, n)} -> {_pct(ours, n)}"
              f"  [{held}/{held_n}]")
    print("\nconfusion (expected, got): count — all texts")
    for (expected, got), count in confusion.most_common():
        print(f"  {expected:5s} -> {got:5s} {count}")
    print("\nrules fired (all texts):")
    for rule in rules.rules:
        print(f"  {rule.name:32s} {fired[rule.name]}")
    for ex, got, reasons in errors[: args.errors]:
        print(f"\n[{ex.source} {ex.categories} {ex.register}] expected {ex.agency}, got {got}"
              f" {list(reasons)}")
        print("   " + ex.text[:400].replace("\n", " "))
    if args.json:
        print(json.dumps(summary))
    return 0


if __name__ == "__main__":
    signal.signal(signal.SIGPIPE, signal.SIG_DFL)  # quiet when piped into head
    raise SystemExit(main())
