"""Traditional characters to simplified, before anything reads a text.

Real reports and the write-ups citizens paste from mirror sites and Hong Kong or Taiwan outlets
often come in traditional characters (騙取醫保基金); the corpus, the keep-words and the routing
rules are in simplified ones. OpenCC's t2s conversion (phrase-aware) is about 0.1 ms for a
report, so it runs only on texts that hold a character it would change: the set of those is
computed once, from OpenCC itself, over the CJK block.
"""
from __future__ import annotations

import re
import threading
from functools import lru_cache

import opencc

_lock = threading.Lock()
_CJK = range(0x4E00, 0xA000)


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


@lru_cache(maxsize=1)
def traditional_characters() -> re.Pattern[str]:
    """Any character of the CJK block that t2s changes when it stands alone (30 ms, once)."""
    characters = [chr(c) for c in _CJK]
    with _lock:
        converted = _converter().convert("\n".join(characters)).split("\n")
    return re.compile("[" + "".join(c for c, s in zip(characters, converted) if c != s) + "]")


def simplified(text: str) -> str:
    """The text in simplified characters (unchanged, and not copied, when it has none to
    convert)."""
    if not text or traditional_characters().search(text) is None:
        return text
    with _lock:  # one OpenCC instance, shared by a worker's threads
        return _converter().convert(text)
