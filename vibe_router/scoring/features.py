r"""Features of a turn, shared by the learned scorer and its trainer (standard library only).

A turn becomes a set of feature names: lowercased words (`\w+` runs) and adjacent word
pairs ("a b"), plus structural counts on a log scale ("#len", "#nums", ...). Structural
names start with "#", which no word can, so the kinds never collide. Words are looked for
in the head and tail of long texts only (`clip`), which bounds the cost of a decision.
Training and inference both call `turn_features`; change what it returns and
FEATURES_VERSION must change too (models record the version they were trained on).
"""

from __future__ import annotations

import math
import re
from typing import NamedTuple

from vibe_router.request import TurnView

FEATURES_VERSION = 2
WORD = re.compile(r"\w+")
OPTION = re.compile(r"^\(?[A-Ha-h][.)][ \t]", re.MULTILINE)
SENTENCE_ENDS = (". ", "? ", "! ", ".\n", "?\n", "!\n", "。", "？", "！")
MATH_CHARS = "=+*/^<>%$\\"
CAPITALISED = re.compile(r"[A-Z][a-z]+")
DECIMAL = re.compile(r"\d[.,]\d")
LONG_WORD = 9
HEAD_CHARS = 1200
TAIL_CHARS = 400


Word = str | tuple[str, str]


class Features(NamedTuple):
    """Binary word features (scaled by 1/sqrt(their number)) and weighted structure features.

    A word pair is a tuple (cheaper to make than a string); its name is "a b".
    """

    words: set[Word]
    dense: dict[str, float]


def name_of(word: Word) -> str:
    return word if isinstance(word, str) else " ".join(word)


def word_of(name: str) -> Word:
    """Inverse of `name_of` for word features ("a b" -> ("a", "b"))."""
    if " " in name:
        first, second = name.split(" ", 1)
        return (first, second)
    return name


def clip(text: str) -> str:
    """The head and tail of a long text: what word and structure features look at."""
    if len(text) <= HEAD_CHARS + TAIL_CHARS:
        return text
    return text[:HEAD_CHARS] + "\n" + text[-TAIL_CHARS:]


def counts(turn: TurnView, text: str, words: list[str]) -> dict[str, int]:
    """Structural counts of a turn (over the clipped text, except the full length)."""
    numbers = list(filter(str.isdigit, words))
    return {
        "len": len(turn.text),
        "words": len(words),
        "nums": len(numbers),
        "distinct_nums": len(set(numbers)),
        "num_digits": max(map(len, numbers)) if numbers else 0,
        "lines": text.count("\n"),
        "questions": text.count("?"),
        "sentences": sum(map(text.count, SENTENCE_ENDS)),
        "options": len(OPTION.findall(text)),
        "math": sum(map(text.count, MATH_CHARS)),
        # v2: structure that predicts the gain on both benchmarks (they transfer across domains)
        "caps": len(CAPITALISED.findall(text)),
        "commas": text.count(","),
        "distinct_words": len(set(words)),
        "decimals": len(DECIMAL.findall(text)),
        "last_line": len(text.rstrip().rsplit("\n", 1)[-1]),
        "long_words": len([word for word in words if len(word) >= LONG_WORD]),
        "code_blocks": turn.code_blocks,
        "turns": turn.turns,
        "images": turn.images,
        "continuation": int(turn.continuation),
    }


def dense_features(turn: TurnView, text: str, words: list[str]) -> dict[str, float]:
    """Each count as log2(1 + count) / 10, named "#<count>" (e.g. "#len")."""
    return {f"#{name}": math.log2(1 + count) / 10 for name, count in counts(turn, text, words).items()}


def turn_features(turn: TurnView) -> Features:
    """Word and word-pair names present in a turn, and its structural features."""
    text = clip(turn.text)
    words = WORD.findall(text.lower())
    names: set[Word] = set(words)
    names.update(zip(words, words[1:], strict=False))
    return Features(names, dense_features(turn, text, words))
