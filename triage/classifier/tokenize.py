"""jieba tokenisation with the project's user dictionary and stop words.

Module-level functions (not lambdas or closures) so a pickled pipeline finds them on load.
One private jieba.Tokenizer, so the global jieba state of other code is left alone.
"""
from __future__ import annotations

import logging
import threading
from functools import lru_cache
from importlib import resources

import jieba

from triage.classifier.normalize import normalize
from triage.classifier.roles import role_tokens

_lock = threading.Lock()
jieba.setLogLevel(logging.WARNING)


def resource_text(name: str) -> str:
    """A data file shipped beside this module."""
    return resources.files("triage.classifier").joinpath(name).read_text(encoding="utf-8")


@lru_cache(maxsize=1)
def tokenizer() -> jieba.Tokenizer:
    """jieba with the domain dictionary loaded (once per process)."""
    with _lock:
        instance = jieba.Tokenizer()
        instance.initialize()
        for line in resource_text("userdict.txt").splitlines():
            parts = line.split()
            if parts:
                word = parts[0]
                freq = int(parts[1]) if len(parts) > 1 else None
                instance.add_word(word, freq, parts[2] if len(parts) > 2 else None)
        return instance


@lru_cache(maxsize=1)
def stop_words() -> frozenset[str]:
    return frozenset(w.strip() for w in resource_text("stopwords.txt").splitlines() if w.strip())


def _words_of(normalized: str) -> list[str]:
    # HMM off: the domain dictionary names the words that matter, character bigrams cover
    # the unknown ones, and jieba runs a quarter faster. isalnum() drops punctuation and
    # spaces (CJK characters count as alphanumeric); folded numbers are all "0".
    stops = stop_words()
    return [w for w in tokenizer().lcut(normalized, HMM=False)
            if w.isalnum() and w not in stops and w != "0"]


def words(text: str) -> list[str]:
    """Normalised jieba words without stop words and punctuation."""
    return _words_of(normalize(text))


class Analyzer:
    """All features of a text in one pass (one normalisation, one jieba call): words and word
    bigrams, actor-role tokens, character n-grams. A class, so a pickled pipeline finds it."""

    def __init__(self, use_words: bool = True, use_roles: bool = True,
                 char_sizes: tuple[int, ...] = (2, 3)) -> None:
        self.use_words = use_words
        self.use_roles = use_roles
        self.char_sizes = char_sizes

    def __call__(self, text: str) -> list[str]:
        normalized = normalize(text)
        features: list[str] = []
        if self.use_words:
            tokens = _words_of(normalized)
            features += tokens
            features += [a + "_" + b for a, b in zip(tokens, tokens[1:])]
        if self.use_roles:
            features += role_tokens(normalized)
        compact = normalized.replace(" ", "")
        for n in self.char_sizes:
            if n == 2:
                features += [a + b for a, b in zip(compact, compact[1:])]
            else:
                features += [compact[i : i + n] for i in range(len(compact) - n + 1)]
        return features
