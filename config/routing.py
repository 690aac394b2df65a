"""Routing rules: config/routing.toml, compiled and validated when a process starts.

The file holds the escalation rules as data (docs/labelling.md §3 says which agency leads
when); triage/routing.py applies them. A rule fires when every pattern group of ``all`` matches
the text, at least one group of ``any`` matches (if given), no group of ``none`` matches, the
primary category is allowed, and the largest amount (when the rule asks for one) reaches the
threshold. A group is either the name of a term list in ``[terms]`` or an inline list of regular
expressions.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from config.data import AGENCIES, CATEGORY_COUNT, ConfigError

DEFAULT_PATH = Path(str(resources.files("config").joinpath("routing.toml")))
ROLES = ("lead", "co")


@dataclass(frozen=True)
class Rule:
    """One escalation rule, compiled."""

    name: str
    label: str
    agency: str
    role: str  # "lead" or "co"
    all: tuple[re.Pattern[str], ...]
    any: tuple[re.Pattern[str], ...]
    none: tuple[re.Pattern[str], ...]
    categories: frozenset[int]  # empty: every primary category
    except_categories: frozenset[int]
    min_amount_yuan: float | None
    # The text states who already has the case (the police): the learnt lead agency does not
    # override this rule when it decides the lead.
    binding: bool = False

    def fires(self, primary: int, text: str, amount: float | None) -> bool:
        """Whether this rule applies to a report of this primary category and text."""
        if self.categories and primary not in self.categories:
            return False
        if primary in self.except_categories:
            return False
        if self.min_amount_yuan is not None and (amount is None or amount < self.min_amount_yuan):
            return False
        if not all(p.search(text) for p in self.all):
            return False
        if self.any and not any(p.search(text) for p in self.any):
            return False
        return not any(p.search(text) for p in self.none)


@dataclass(frozen=True)
class RoutingRules:
    """The escalation rules in order of precedence, plus the default-route options."""

    rules: tuple[Rule, ...]
    thresholds: dict[str, float]
    secondary_leads_as_co: bool = True

    def rule(self, name: str) -> Rule:
        """The rule with this name."""
        for rule in self.rules:
            if rule.name == name:
                return rule
        raise KeyError(name)


def _compile_group(group: object, terms: dict[str, list[str]], where: str) -> re.Pattern[str]:
    """One condition group (a term-list name or an inline list of regexes) as one regex."""
    if isinstance(group, str):
        if group not in terms:
            raise ConfigError(f"{where}: unknown term list '{group}'")
        patterns, label = terms[group], f"term list '{group}'"
    elif isinstance(group, list) and group and all(isinstance(p, str) for p in group):
        patterns, label = group, "inline list"
    else:
        raise ConfigError(f"{where}: a condition must be a term-list name or a list of regexes")
    for pattern in patterns:
        try:
            re.compile(pattern)
        except re.error as exc:
            raise ConfigError(f"{where}: {label} has a bad regex '{pattern}': {exc}") from exc
    return re.compile("|".join(f"(?:{p})" for p in patterns))


def _categories(raw: object, where: str, field: str) -> frozenset[int]:
    values = raw if isinstance(raw, list) else None
    if values is None or not all(isinstance(v, int) and 1 <= v <= CATEGORY_COUNT for v in values):
        raise ConfigError(f"{where}: '{field}' must be a list of category ids 1–{CATEGORY_COUNT}")
    return frozenset(values)


def parse_rules(data: dict, source: str = "routing.toml") -> RoutingRules:
    """Build and validate RoutingRules from a parsed TOML document."""
    terms = data.get("terms") or {}
    if not isinstance(terms, dict) or not all(
        isinstance(v, list) and v and all(isinstance(p, str) for p in v) for v in terms.values()
    ):
        raise ConfigError(f"{source} [terms]: each term list must be a non-empty list of strings")
    thresholds = data.get("thresholds") or {}
    if not all(isinstance(v, (int, float)) and v >= 0 for v in thresholds.values()):
        raise ConfigError(f"{source} [thresholds]: values must be non-negative numbers")
    raw_rules = data.get("rules")
    if not isinstance(raw_rules, list) or not raw_rules:
        raise ConfigError(f"{source}: at least one [[rules]] entry is required")
    by_name: dict[str, Rule] = {}
    for i, raw in enumerate(raw_rules):
        name = raw.get("name")
        if not isinstance(name, str) or not name.strip():
            raise ConfigError(f"{source} rules[{i}]: field 'name' must be a non-empty string")
        where = f"{source} rule '{name}'"
        if name in by_name:
            raise ConfigError(f"{where}: duplicate rule name")
        agency, role = raw.get("agency"), raw.get("role", "co")
        if agency not in AGENCIES:
            raise ConfigError(f"{where}: unknown agency '{agency}' (one of {', '.join(AGENCIES)})")
        if role not in ROLES:
            raise ConfigError(f"{where}: role must be 'lead' or 'co', not '{role}'")
        groups = {}
        for key in ("all", "any", "none"):
            value = raw.get(key, [])
            if not isinstance(value, list):
                raise ConfigError(f"{where}: '{key}' must be a list")
            groups[key] = tuple(_compile_group(g, terms, f"{where} '{key}'") for g in value)
        if not groups["all"] and not groups["any"]:
            raise ConfigError(f"{where}: needs at least one condition in 'all' or 'any'")
        amount = raw.get("min_amount_yuan")
        if isinstance(amount, str):
            if amount not in thresholds:
                raise ConfigError(f"{where}: unknown threshold '{amount}'")
            amount = thresholds[amount]
        elif amount is not None and not isinstance(amount, (int, float)):
            raise ConfigError(f"{where}: 'min_amount_yuan' must be a number or a threshold name")
        binding = raw.get("binding", False)
        if not isinstance(binding, bool) or (binding and role != "lead"):
            raise ConfigError(f"{where}: 'binding' must be true or false, and only on a lead rule")
        by_name[name] = Rule(
            name=name,
            label=str(raw.get("label", name)),
            agency=agency,
            role=role,
            all=groups["all"],
            any=groups["any"],
            none=groups["none"],
            categories=_categories(raw.get("categories", []), where, "categories"),
            except_categories=_categories(
                raw.get("except_categories", []), where, "except_categories"),
            min_amount_yuan=None if amount is None else float(amount),
            binding=binding,
        )
    for name in terms:  # term lists no rule uses must still be valid
        _compile_group(name, terms, f"{source} [terms]")
    order = data.get("precedence", [r["name"] for r in raw_rules])
    if not isinstance(order, list) or sorted(order) != sorted(by_name):
        order = order if isinstance(order, list) else []
        missing = sorted(set(by_name) - set(order))
        unknown = sorted(set(order) - set(by_name))
        twice = sorted({n for n in order if order.count(n) > 1})
        raise ConfigError(
            f"{source} precedence: must list every rule once (missing: {', '.join(missing) or '-'};"
            f" unknown: {', '.join(map(str, unknown)) or '-'}; twice: {', '.join(twice) or '-'})"
        )
    defaults = data.get("defaults") or {}
    return RoutingRules(
        rules=tuple(by_name[n] for n in order),
        thresholds={k: float(v) for k, v in thresholds.items()},
        secondary_leads_as_co=bool(defaults.get("secondary_leads_as_co", True)),
    )


def load_rules(path: Path | None = None) -> RoutingRules:
    """The routing rules from `path` (default config/routing.toml), validated.

    An unknown agency, an unknown term list or a bad regex raises ConfigError naming the rule.
    """
    if path is None:
        return _default_rules()
    return _load(Path(path))


def _load(path: Path) -> RoutingRules:
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigError(f"routing rules {path} not found") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path.name}: {exc}") from exc
    return parse_rules(data, path.name)


@lru_cache(maxsize=1)
def _default_rules() -> RoutingRules:
    return _load(DEFAULT_PATH)
