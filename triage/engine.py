"""The triage engine: classify a text, route it, extract who and where, flag priority."""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from config.data import load_taxonomy
from triage.classifier.model import TriageModel
from triage.classifier.script import simplified
from triage.classifier.tokenize import Analysis, analyse
from triage.extract import Entities, extract_entities, priority_flags
from config.routing import RoutingRules, load_rules
from triage.routing import route

MIN_CATEGORIES = 3
Lap = Callable[[str], None]


def no_lap(stage: str) -> None:
    """No timing."""


@dataclass(frozen=True)
class Suggestion:
    categories: list[dict]  # ranked [{"id": 17, "score": 0.81}, …], at least three
    in_scope: bool
    in_scope_score: float
    agency: str
    co_agencies: list[str]
    reasons: list[str]
    entities: Entities
    flags: list[str]
    model_version: str
    area: str = field(default="")
    words: tuple[str, ...] = field(default=(), repr=False)  # distinct words, rarest first, for linking
    learned_agency: str | None = field(default=None, repr=False)  # the model's own agency, before the rules

    def contract(self, item_id: object) -> dict:
        """One line of `qingfeng triage classify` output."""
        return {
            "id": item_id,
            "categories": self.categories,
            "agency": self.agency,
            "co_agencies": self.co_agencies,
            "in_scope": self.in_scope,
            "in_scope_score": self.in_scope_score,
            "entities": self.entities.to_dict(),
            "flags": self.flags,
            "model_version": self.model_version,
        }


class TriageEngine:
    """One loaded model and rule set; thread-safe for reading."""

    def __init__(self, model: TriageModel, rules: RoutingRules | None = None) -> None:
        self.model = model
        self.rules = rules or load_rules()
        self.taxonomy = load_taxonomy()

    def suggest_many(self, texts: list[str], subjects: list[dict | None] | None = None,
                     lap: Lap = no_lap) -> list[Suggestion]:
        """Suggestions for many texts (one model call: faster than one by one). `lap(stage)` is
        called as each stage ends, for the benchmark's breakdown."""
        subjects = subjects or [None] * len(texts)
        # Rules, keep-words and the corpus are in simplified characters.
        texts = [simplified(t) for t in texts]
        analyses = [analyse(t) for t in texts]
        predictions = self.model.predict_analysed(analyses, texts, top_k=max(MIN_CATEGORIES, 5))
        lap("classify")
        return [self._suggest(text, subject, prediction, analysis, lap)
                for text, subject, prediction, analysis
                in zip(texts, subjects, predictions, analyses)]

    def suggest(self, text: str, subject: dict | None = None, lap: Lap = no_lap) -> Suggestion:
        """Suggestions for one text."""
        return self.suggest_many([text], [subject], lap)[0]

    def _suggest(self, text: str, subject: dict | None, prediction,  # type: ignore[no-untyped-def]
                 analysis: Analysis, lap: Lap) -> Suggestion:
        entities = extract_entities(text, subject)
        lap("extract")
        ranked = [c for c, _ in prediction.categories]
        routed = route(ranked, text, self.rules, largest_amount_yuan=entities.largest_amount,
                       learned=prediction.agency)
        lap("route")
        return Suggestion(
            categories=[{"id": c, "score": s} for c, s in prediction.categories],
            in_scope=prediction.in_scope,
            in_scope_score=prediction.in_scope_score,
            agency=routed.lead,
            co_agencies=list(routed.co_agencies),
            reasons=list(routed.explanation),
            entities=entities,
            flags=priority_flags(entities, text),
            model_version=self.model.version,
            area=self.taxonomy.category(ranked[0]).area,
            words=self.model.rarest_first([w for s in analysis.sentences for w in s.words]),
            learned_agency=prediction.agency,
        )
