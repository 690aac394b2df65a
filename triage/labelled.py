"""Scoring the product on a labelled file of texts it was never trained on — real public texts
kept outside the repository, or reports staff have confirmed — through the same path as
`qingfeng triage classify` (the engine: traditional characters, routing with amounts).

`qingfeng triage evaluate --input FILE` prints these scores; the file is JSON Lines with the
corpus's fields: text, categories (primary first, [] when out of scope), agency, register.
"""
from __future__ import annotations

from collections.abc import Iterable, Sequence

from triage.classifier.corpus import OFFICIAL_REGISTERS, Example
from triage.classifier.corpus_check import Row, label_problems
from triage.classifier.evaluate import Outcome, pooled, scores_of
from triage.engine import TriageEngine
from triage.routing import route


class LabelledFileError(ValueError):
    """A line of the labelled file that cannot be scored."""


def read_labelled(lines: Iterable[str], source: str = "input") -> list[Example]:
    """Examples from JSON Lines, checked as corpus rows are (corpus_check.label_problems, without
    the corpus's length bounds); a wrong line is an error naming its number, never skipped."""
    import json

    examples = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            row = Row(f"line {number}", str(raw["text"]), tuple(raw["categories"]),
                      raw.get("agency"), str(raw.get("register") or "other"))
        except (ValueError, KeyError, TypeError) as exc:
            raise LabelledFileError(f"line {number}: not a JSON object with text and "
                                    f"categories ({exc})") from None
        problems = label_problems(row, lengths=False)
        if problems:
            raise LabelledFileError(f"line {number}: {'; '.join(problems)}")
        examples.append(Example(row.text, row.categories, row.agency, row.register,
                                f"{source}:{number}"))
    return examples


def engine_outcomes(engine: TriageEngine, examples: Sequence[Example],
                    batch: int = 256) -> list[Outcome]:
    """What the engine suggests for each labelled text."""
    outcomes = []
    for start in range(0, len(examples), batch):
        part = examples[start:start + batch]
        for e, s in zip(part, engine.suggest_many([e.text for e in part])):
            ranked = tuple(c["id"] for c in s.categories)
            amount = s.entities.largest_amount
            outcomes.append(Outcome(
                ranked, s.in_scope, s.agency,
                route(list(e.categories or ranked), e.text, engine.rules,
                      largest_amount_yuan=amount, learned=s.learned_agency).lead,
                route(list(ranked), e.text, engine.rules, largest_amount_yuan=amount).lead))
    return outcomes


def labelled_scores(examples: Sequence[Example], outcomes: Sequence[Outcome]) -> dict:
    """Scores over the whole file, per register, and over the official registers pooled."""
    per_register = {}
    for register in sorted({e.register for e in examples}):
        pairs = [(e, o) for e, o in zip(examples, outcomes) if e.register == register]
        per_register[register] = scores_of([e for e, _ in pairs], [o for _, o in pairs])
    official = [r for r in per_register if r in OFFICIAL_REGISTERS
                and per_register[r]["in_scope_texts"]]
    return {"all": scores_of(examples, outcomes), "per_register": per_register,
            "official": pooled(per_register, official) if official else None}
