"""jieba tokenisation with the project's user dictionary and stop words, and the features a
text yields.

A text is analysed once (`analyse`: one normalisation, one jieba pass per sentence) and every
model view draws its features from that analysis: jieba words and word bigrams, actor-role
tokens, character n-grams, for the whole text and for each sentence. Module-level functions and
plain classes only, so a pickled model finds them on load. One private jieba.Tokenizer, so the
global jieba state of other code is left alone.
"""
from __future__ import annotations

import logging
import re
import threading
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import jieba

from triage.classifier.normalize import normalize
from triage.classifier.roles import role_tokens

_lock = threading.Lock()
jieba.setLogLevel(logging.WARNING)
# Where one stated conduct ends: a bulletin lists conducts separated by "；" or sentences.
_ENDS = frozenset("。；;！!？?\n")


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


def _kept(tokens: list[str]) -> list[str]:
    # isalnum() drops punctuation and spaces (CJK characters count as alphanumeric); folded
    # numbers are all "0".
    stops = stop_words()
    return [w for w in tokens if w.isalnum() and w not in stops and w != "0"]


def _cut(normalized: str) -> list[str]:
    # HMM off: the domain dictionary names the words that matter, character bigrams cover
    # the unknown ones, and jieba runs a quarter faster.
    return tokenizer().lcut(normalized, HMM=False)


def words(text: str) -> list[str]:
    """Normalised jieba words without stop words and punctuation."""
    return _kept(_cut(normalize(text)))


@dataclass(frozen=True)
class Sentence:
    words: tuple[str, ...]
    compact: str  # the normalised sentence without spaces, for character n-grams


@dataclass(frozen=True)
class Analysis:
    """A text analysed once: what every view of every model draws its features from."""

    normalized: str
    sentences: tuple[Sentence, ...]


def analyse(text: str) -> Analysis:
    """Normalise, cut with jieba once, and split the words into sentences. jieba cuts between
    blocks of punctuation, and every sentence end is punctuation, so a sentence gets exactly
    the words it would get cut alone — for one call instead of one per sentence."""
    normalized = normalize(text)
    sentences: list[Sentence] = []
    piece: list[str] = []
    for token in _cut(normalized) + ["\n"]:
        if token in _ENDS:
            raw = "".join(piece).strip()
            if raw:
                sentences.append(Sentence(tuple(_kept(piece)), raw.replace(" ", "")))
            piece = []
        else:
            piece.append(token)
    return Analysis(normalized, tuple(sentences))


@dataclass(frozen=True)
class View:
    """Which features a model sees: words (+ word bigrams), role tokens, character n-grams."""

    words: bool = True
    roles: bool = True
    chars: tuple[int, ...] = (2,)
    # Each role token counted this many times (sublinear TF: weight 1 + ln n). A text has a
    # handful of role tokens against hundreds of n-grams, so at weight 1 who acts barely counts
    # beside what is named: a hospital director taking suppliers' money read as the suppliers'
    # kickback (22) or an official's bribe (2) on real write-ups.
    role_weight: int = 1

    def sentence_features(self, sentence: Sentence) -> list[str]:
        """Features of one sentence (roles excluded: they describe the whole text)."""
        features: list[str] = []
        if self.words:
            tokens = sentence.words
            features += tokens
            features += [a + "_" + b for a, b in zip(tokens, tokens[1:])]
        compact = sentence.compact
        for n in self.chars:
            if n == 2:
                features += [a + b for a, b in zip(compact, compact[1:])]
            else:
                features += [compact[i:i + n] for i in range(len(compact) - n + 1)]
        return features

    def parts(self, analysis: Analysis) -> tuple[list[str], list[str]]:
        """(every sentence's features, the text's role tokens once each)."""
        grams = [f for s in analysis.sentences for f in self.sentence_features(s)]
        return grams, role_tokens(analysis.normalized) if self.roles else []

    def features(self, analysis: Analysis) -> list[str]:
        """Features of the whole text: every sentence's, plus role tokens `role_weight` times."""
        grams, roles = self.parts(analysis)
        return grams + roles * self.role_weight


def as_is(features: list[str]) -> list[str]:
    """The analyzer of the hashing vectorizers: features are computed before hashing."""
    return features
