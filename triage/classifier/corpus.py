"""Reading the labelled training corpus shipped in triage/classifier/corpus/.

The corpus is made of writer batches, one folder each (`b1/`, `b2-h1/` …), each holding
`catNN.jsonl` and `none.jsonl`. Every row records the register it is written in, so the
evaluation can train without one register (or one batch) and test on it.
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources

# Registers of official write-ups: the real texts the office receives most of, and the part of
# the corpus whose scores decide the design (docs/labelling.md §4).
OFFICIAL_REGISTERS = frozenset({"bulletin", "fund_case", "court", "penalty", "audit", "news",
                                "official"})


@dataclass(frozen=True)
class Example:
    text: str
    categories: tuple[int, ...]
    agency: str | None
    register: str
    source: str  # "b2-h1/cat07.jsonl", "taxonomy.toml" or "feedback"

    @property
    def batch(self) -> str:
        """The writer batch (corpus folder) this example came from."""
        return self.source.split("/", 1)[0]

    @property
    def official(self) -> bool:
        return self.register in OFFICIAL_REGISTERS


def load_corpus() -> list[Example]:
    """Every labelled example, batch by batch, file by file, in file order."""
    root = resources.files("triage.classifier").joinpath("corpus")
    examples = []
    for batch in sorted((e for e in root.iterdir() if e.is_dir()), key=lambda e: e.name):
        for entry in sorted(batch.iterdir(), key=lambda e: e.name):
            if not entry.name.endswith(".jsonl"):
                continue
            for line in entry.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    examples.append(Example(row["text"], tuple(row["categories"]), row["agency"],
                                            row["register"], f"{batch.name}/{entry.name}"))
    return examples
