"""Reading the labelled training corpus shipped in triage/classifier/corpus/."""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources


@dataclass(frozen=True)
class Example:
    text: str
    categories: tuple[int, ...]
    agency: str | None
    style: str
    source: str


def load_corpus() -> list[Example]:
    """Every labelled example, in file order (cat01 … cat32, none)."""
    folder = resources.files("triage.classifier").joinpath("corpus")
    examples = []
    for entry in sorted(folder.iterdir(), key=lambda e: e.name):
        if not entry.name.endswith(".jsonl"):
            continue
        for line in entry.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                examples.append(Example(row["text"], tuple(row["categories"]), row["agency"],
                                        row["style"], entry.name))
    return examples
