"""Checks that keep the training corpus honest.

* every row has valid labels and a known register;
* no two texts are near-duplicates (character-trigram Jaccard above 0.5), so a held-out text
  never has a twin in training;
* no text shares a run of 15 characters with a reference text (the public pages a writer read,
  or a set of real texts kept for evaluation): writers learn a register, they never copy it;
* no text retells a reference case: the same distinctive names, places and amounts together.

`python -m triage.classifier.corpus_check [FILE …] [--refs DIR …]` prints every finding and exits
1 if there is one; without FILE it checks the whole shipped corpus.
"""
from __future__ import annotations

import argparse
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import sparse

from config.data import AGENCIES, CATEGORY_COUNT

REGISTERS = ("bulletin", "fund_case", "court", "penalty", "audit", "news", "citizen",
             "tip", "letter", "call", "anonymous", "official", "other")
OFFICIAL_REGISTERS = frozenset({"bulletin", "fund_case", "court", "penalty", "audit", "news",
                                "official"})
NEAR_DUPLICATE_JACCARD = 0.5
COPIED_RUN = 15
MIN_CHARS, MAX_CHARS = 150, 400  # for every batch after the first


@dataclass(frozen=True)
class Row:
    where: str  # file:line
    text: str
    categories: tuple[int, ...]
    agency: str | None
    register: str


def read_rows(path: Path) -> list[Row]:
    """The rows of one JSON Lines file; one corpus row each."""
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        raw = json.loads(line)
        rows.append(Row(f"{path}:{number}", raw.get("text", ""),
                        tuple(raw.get("categories", ())), raw.get("agency"),
                        raw.get("register") or ""))
    return rows


def label_problems(row: Row, *, lengths: bool) -> list[str]:
    """What is wrong with one row's fields."""
    problems = []
    if not isinstance(row.text, str) or not row.text.strip():
        problems.append("empty text")
    elif lengths and not MIN_CHARS <= len(row.text) <= MAX_CHARS:
        problems.append(f"{len(row.text)} characters, not {MIN_CHARS}–{MAX_CHARS}")
    cats = row.categories
    if not all(isinstance(c, int) and 1 <= c <= CATEGORY_COUNT for c in cats):
        problems.append(f"bad categories {cats}")
    elif len(set(cats)) != len(cats):
        problems.append(f"repeated category in {cats}")
    if cats and row.agency not in AGENCIES:
        problems.append(f"agency {row.agency!r} is not one of {', '.join(AGENCIES)}")
    if not cats and row.agency is not None:
        problems.append("an out-of-scope text has no agency (null)")
    if row.register not in REGISTERS:
        problems.append(f"register {row.register!r} is not one of {', '.join(REGISTERS)}")
    return problems


def _trigrams(text: str) -> set[str]:
    squeezed = re.sub(r"\s+", "", text)
    return {squeezed[i:i + 3] for i in range(len(squeezed) - 2)}


def near_duplicates(texts: Sequence[str], threshold: float = NEAR_DUPLICATE_JACCARD,
                    only_with: set[int] | None = None) -> list[tuple[int, int, float]]:
    """Pairs (i, j, jaccard) above the threshold; with only_with, pairs touching those indices."""
    grams = [_trigrams(t) for t in texts]
    vocabulary: dict[str, int] = {}
    rows, cols = [], []
    for i, g in enumerate(grams):
        for gram in g:
            rows.append(i)
            cols.append(vocabulary.setdefault(gram, len(vocabulary)))
    matrix = sparse.csr_matrix((np.ones(len(rows), dtype=np.float32), (rows, cols)),
                               shape=(len(texts), max(len(vocabulary), 1)))
    sizes = np.asarray(matrix.sum(axis=1)).ravel()
    shared = (matrix @ matrix.T).tocoo()
    found = []
    for i, j, inter in zip(shared.row, shared.col, shared.data):
        if i >= j or (only_with is not None and i not in only_with and j not in only_with):
            continue
        jaccard = inter / (sizes[i] + sizes[j] - inter)
        if jaccard > threshold:
            found.append((int(i), int(j), float(jaccard)))
    return sorted(found)


# What every write-up of the kind says in the same words: titles of laws and rules, and the fixed
# formulas of sanctions and referrals. Sharing them is not copying a text.
_TITLE = re.compile(r"《[^》]{1,40}》(第[一二三四五六七八九十百零\d]+条)?(第[一二三四五六七八九十\d]+款)?")
_FORMULAS = re.compile("|".join((
    r"涉嫌(?:受贿)?犯罪问题(?:已|被)?移送检察机关依法审查起诉",
    r"受到(?:党内(?:严重)?警告|留党察看|撤销党内职务)、政务(?:警告|记过|记大过|降级|撤职)处分",
    r"(?:中华人民共和国)?反不正当竞争法",
    r"\d{4}年\d{1,2}月(?:\d{1,2}日)?(?:至|到|—|-)\d{4}年\d{1,2}月(?:\d{1,2}日)?(?:期间)?",
    r"对非国家工作人员行贿罪?", r"非国家工作人员受贿罪?", r"医疗(?:损害责任|服务合同)纠纷一案",
)))


def _runs(text: str, n: int = COPIED_RUN) -> set[str]:
    squeezed = _FORMULAS.sub("※", _TITLE.sub("《》", re.sub(r"\s+", "", text)))
    return {run for i in range(len(squeezed) - n + 1)
            if "※" not in (run := squeezed[i:i + n]) and "《》" not in run}


_AMOUNT = re.compile(r"\d+(?:\.\d+)?\s*(?:万|亿)?元|\d+(?:\.\d+)?万")
_NAME = re.compile(r"[\u4e00-\u9fff]某某?")
_NOT_A_SURNAME = set("在对向为与和及某经由被将从等到给让把是有一该")
_PLACE = re.compile(r"[\u4e00-\u9fff]{2,4}(?:省|市|县|区|镇|乡)")
_GENERIC_PLACE = re.compile(r"^(某|本|该|全|我|各|外|市|县|区|省|城|地)")


def distinctive(text: str) -> set[str]:
    """Amounts, 某-names and named places: what a retold case would carry over."""
    amounts = {m.replace(" ", "") for m in _AMOUNT.findall(text)
               if not re.fullmatch(r"[1-9]0*(万|元|万元)", m.replace(" ", ""))}
    names = {n for n in _NAME.findall(text) if n[0] not in _NOT_A_SURNAME}
    places = {p for p in _PLACE.findall(text) if not _GENERIC_PLACE.match(p)}
    return {f"amount:{a}" for a in amounts} | {f"name:{n}" for n in names} | {
        f"place:{p}" for p in places}


def retold(text: str, reference: str) -> set[str]:
    """The distinctive items shared when they look like the same case, else an empty set."""
    common = distinctive(text) & distinctive(reference)
    has_amount = any(item.startswith("amount:") for item in common)
    return common if has_amount and len(common) >= 3 else set()


def read_references(folders: Iterable[Path]) -> list[tuple[str, str]]:
    """(where, text) for every .txt / .jsonl / .md file under the folders."""
    found = []
    for folder in folders:
        for path in sorted(Path(folder).rglob("*")):
            if path.suffix == ".jsonl":
                for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
                    if line.strip():
                        raw = json.loads(line)
                        found.append((f"{path}:{number}", str(raw.get("text", ""))))
            elif path.suffix in (".txt", ".md") and path.is_file():
                found.append((str(path), path.read_text(encoding="utf-8", errors="replace")))
    return found


def reference_findings(rows: Sequence[Row], references: Sequence[tuple[str, str]]) -> list[str]:
    """Copied runs and retold cases between rows and reference texts."""
    index: dict[str, str] = {}
    for where, text in references:
        for run in _runs(text):
            index.setdefault(run, where)
    findings = []
    for row in rows:
        hits = [(run, index[run]) for run in _runs(row.text) if run in index]
        if hits:
            run, where = hits[0]
            findings.append(f"{row.where}: shares the run “{run}” with {where}")
        for where, text in references:
            common = retold(row.text, text)
            if common:
                findings.append(f"{row.where}: retells {where}? shared {sorted(common)}")
    return findings


def corpus_files() -> list[Path]:
    """Every JSON Lines file of the shipped corpus."""
    folder = Path(__file__).with_name("corpus")
    return sorted(folder.rglob("*.jsonl"))


def check(files: Sequence[Path], reference_folders: Sequence[Path]) -> list[str]:
    """Every finding for the given files, checked against the whole corpus for duplicates."""
    shipped = corpus_files()
    checked = {p.resolve() for p in files}
    everything = [p for p in shipped if p.resolve() not in checked] + list(files)
    rows = [row for path in everything for row in read_rows(path)]
    own = {i for i, row in enumerate(rows) if Path(row.where.rsplit(":", 1)[0]).resolve()
           in checked}
    findings = []
    for i in sorted(own):
        first_batch = Path(rows[i].where.rsplit(":", 1)[0]).parent.name == "b1"
        for problem in label_problems(rows[i], lengths=not first_batch):
            findings.append(f"{rows[i].where}: {problem}")
    for i, j, jaccard in near_duplicates([r.text for r in rows], only_with=own):
        findings.append(f"{rows[i].where} ~ {rows[j].where}: near-duplicates "
                        f"(trigram Jaccard {jaccard:.2f})")
    if reference_folders:
        findings += reference_findings([rows[i] for i in sorted(own)],
                                       read_references(reference_folders))
    return findings


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("files", nargs="*", type=Path)
    parser.add_argument("--refs", nargs="*", type=Path, default=[],
                        help="folders of reference texts (pages read, real evaluation texts)")
    args = parser.parse_args(argv)
    files = args.files or corpus_files()
    findings = check(files, args.refs)
    for line in findings:
        print(line)
    rows = [r for p in files for r in read_rows(p)]
    print(f"{len(rows)} rows checked, {len(findings)} findings", file=sys.stderr)
    return 1 if findings else 0


if __name__ == "__main__":
    sys.exit(main())
