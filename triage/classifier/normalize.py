"""Text normalisation before tokenising: one form for what people write many ways."""
from __future__ import annotations

import re
import unicodedata

from triage.classifier.script import simplified
from triage.extract import parse_chinese_number

_SPACE = re.compile(r"\s+")
_AMOUNT = re.compile(
    r"(?P<num>\d+(?:[.,]\d+)*|[零一二两三四五六七八九十百千万亿]+)\s*(?P<unit>亿|万元|万|千元|千|元|块钱|块)"
)
_NUMBER = re.compile(r"\d+(?:\.\d+)?")
_SCALE = {"亿": 1e8, "万元": 1e4, "万": 1e4, "千元": 1e3, "千": 1e3, "元": 1, "块钱": 1, "块": 1}
# Ranges of money that mean different things to an official: small gift, kickback, crime.
# ASCII tokens, so jieba keeps each whole.
_BANDS = ((1e3, "amtlow"), (1e4, "amtk"), (1e5, "amttenk"), (1e6, "amthundredk"),
          (float("inf"), "amtmillion"))


def amount_band(value: float) -> str:
    """A token naming the order of magnitude of an amount in yuan."""
    return next(token for limit, token in _BANDS if value < limit)


def _amount_token(match: re.Match[str]) -> str:
    number = match.group("num")
    value = float(number.replace(",", "")) if number[0].isdigit() else parse_chinese_number(number)
    if value is None:
        return match.group(0)
    return f" {amount_band(value * _SCALE[match.group('unit')])} "


def normalize(text: str) -> str:
    """Simplified characters, NFKC (full-width to half-width), lower case, amounts as magnitude
    words, other numbers as one placeholder, whitespace folded."""
    text = unicodedata.normalize("NFKC", simplified(text or "")).lower()
    text = _AMOUNT.sub(_amount_token, text)
    text = _NUMBER.sub("0", text)
    return _SPACE.sub(" ", text).strip()
