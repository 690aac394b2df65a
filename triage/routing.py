"""Lead-agency routing: the taxonomy's default route plus the escalation rules.

The rules live in config/routing.toml (data, editable by the office; compiled and validated by
config/routing.py); this module applies them. A route starts from the primary category's
`lead` / `co` in the taxonomy, adds the leads of the secondary categories as co-agencies, then
applies the escalation rules in the file's order of precedence:

* the first rule with ``role = "lead"`` that fires takes the lead; the previous lead becomes
  the first co-agency (it co-handles, "一案多查");
* every other rule that fires adds its agency as a co-agency.

When the triage model has learnt a lead agency from labelled texts (`learned`), that agency
leads — on real write-ups it is right far more often than the rules (README, "On real texts") —
unless the deciding rule is `binding`: the text itself says who has the case. The
rules then still add co-agencies, and every decision carries its reasons in Chinese for the
officer: the rules that fired and, when the model decided, how sure it was.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from config.data import load_taxonomy
from config.routing import RoutingRules, load_rules
from triage.classifier.script import simplified


@dataclass(frozen=True)
class Route:
    """Where a lead goes: the agency in charge, the agencies that get a copy, and why."""

    lead: str  # one of config.data.AGENCIES
    co_agencies: tuple[str, ...]  # ordered, without the lead, no duplicates
    reasons: tuple[str, ...]  # names of the rules that fired
    explanation: tuple[str, ...] = field(default=(), compare=False)  # Chinese, for the officer


def route(
    categories: list[int],
    text: str,
    rules: RoutingRules | None = None,
    largest_amount_yuan: float | None = None,
    learned: tuple[str, float] | None = None,
) -> Route:
    """Route a report of these ranked categories (primary first) and this text; `learned` is
    the lead agency the model proposes and its probability."""
    if not categories:
        raise ValueError("route() needs at least one category")
    taxonomy = load_taxonomy()
    if not all(isinstance(c, int) and 1 <= c <= len(taxonomy.categories) for c in categories):
        raise ValueError(f"unknown category id in {categories}")
    rules = rules or load_rules()
    text = simplified(text)  # the rules are written in simplified characters
    primary = taxonomy.category(categories[0])
    lead = primary.lead
    co: list[str] = list(primary.co)
    if rules.secondary_leads_as_co:
        co.extend(taxonomy.category(c).lead for c in categories[1:])
    default = lead
    fired = [rule for rule in rules.rules if rule.fires(primary.id, text, largest_amount_yuan)]
    deciding = next((r for r in fired if r.role == "lead"), None)
    if deciding is not None and deciding.agency != lead:
        co.insert(0, lead)
        lead = deciding.agency
    co.extend(r.agency for r in fired if r is not deciding)
    explanation = [f"第{primary.id}类的默认主办单位：{default}"] if lead == default else []
    explanation += [r.label for r in fired if r.role == "lead" or r is deciding] + [
        r.label for r in fired if r.role != "lead" and r is not deciding]
    if learned is not None and learned[0] != lead and deciding is not None and deciding.binding:
        explanation.insert(0, f"文中事实决定主办单位：{deciding.label}；模型建议的{learned[0]}"
                              f"（把握度 {learned[1]:.0%}）未采用")
    elif learned is not None and learned[0] != lead:
        co.insert(0, lead)
        lead = learned[0]
        explanation.insert(0, f"根据已标注线索学习的判断：由{lead}主办（把握度 {learned[1]:.0%}）；"
                              f"规则建议的{co[0]}改为协办")
    elif learned is not None:
        explanation.insert(0, f"模型与规则一致：由{lead}主办（把握度 {learned[1]:.0%}）")
    ordered = tuple(dict.fromkeys(a for a in co if a != lead))
    return Route(lead=lead, co_agencies=ordered, reasons=tuple(r.name for r in fired),
                 explanation=tuple(dict.fromkeys(explanation)))
