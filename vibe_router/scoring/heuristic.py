"""The seed's keyword-and-length complexity score, with its flaws fixed.

Keywords match whole words, case-insensitively (the seed's substring match found "hi"
inside "this"); keywords in scripts without spaces (Chinese) match as substrings.
Sentences end in . ! ? followed by a space, or in 。！？.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Annotated, Any

from pydantic import Field

from vibe_router.config_values import section_of, worded
from vibe_router.request import TurnView
from vibe_router.scoring.base import Reason, Score, Scorer, read_settings, register

SENTENCE_END = re.compile(r"[.!?]+(?=\s|$)|[。！？]+")

SEED_SIMPLE_KEYWORDS = ("ls", "cat", "hi", "hello", "test")
SEED_COMPLEX_KEYWORDS = ("implement", "analyze", "architecture", "debug")


class KeywordSet:
    """Distinct keywords found in a text, in one regex pass."""

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = tuple(dict.fromkeys(word.strip().lower() for word in words if word.strip()))
        alternatives = sorted(self.words, key=len, reverse=True)
        spaced = [re.escape(w) for w in alternatives if w.isascii()]
        unspaced = [re.escape(w) for w in alternatives if not w.isascii()]
        pattern = []
        if spaced:
            pattern.append(rf"(?<!\w)(?:{'|'.join(spaced)})(?!\w)")
        if unspaced:
            pattern.append("|".join(unspaced))
        # Matched against lowercased text: a case-sensitive pattern runs about twice as fast.
        self._regex = re.compile("|".join(pattern)) if pattern else None

    def found(self, lowered: str) -> list[str]:
        """Distinct keywords in `lowered` (the text, lowercased), in order of appearance."""
        if self._regex is None or not lowered:
            return []
        return list(dict.fromkeys(self._regex.findall(lowered)))


def count_sentences(text: str, stop_above: int | None = None) -> int:
    """Non-blank pieces between sentence ends; counting stops once it passes `stop_above`."""
    count = start = 0
    for end in SENTENCE_END.finditer(text):
        piece = text[start:end.start()]
        if piece and not piece.isspace():
            count += 1
            if stop_above is not None and count > stop_above:
                return count
        start = end.end()
    rest = text[start:]
    return count + 1 if rest and not rest.isspace() else count


Weight = Annotated[int | float, worded("must be a number, got {got}")]
Keywords = Annotated[tuple[str, ...], Field(strict=False), worded("must be a list of strings")]


@dataclass(frozen=True)
class HeuristicSettings:  # the annotations are the checks of its config section
    length_cap: Weight = 200
    length_weight: Weight = 1.0
    simple_keywords: Keywords = SEED_SIMPLE_KEYWORDS
    simple_weight: Weight = -100.0
    complex_keywords: Keywords = SEED_COMPLEX_KEYWORDS
    complex_weight: Weight = 150.0
    code_block_weight: Weight = 100.0
    sentences_more_than: Weight = 2
    sentences_weight: Weight = 50.0
    turns_more_than: Weight = 5
    turns_weight: Weight = 30.0


HeuristicSection = section_of(HeuristicSettings, "unknown heuristic setting (known: {known})")


@register
class HeuristicScorer(Scorer):
    kind = "heuristic"

    def __init__(self, settings: HeuristicSettings | None = None) -> None:
        self.settings = settings or HeuristicSettings()
        self.simple = KeywordSet(self.settings.simple_keywords)
        self.complex = KeywordSet(self.settings.complex_keywords)

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> HeuristicScorer:
        return cls(HeuristicSettings(**dict(read_settings(HeuristicSection, settings))))

    def memo_key(self, turn: TurnView) -> tuple[str, int, int]:
        return turn.text, turn.code_blocks, turn.turns

    def score(self, turn: TurnView) -> Score:
        s = self.settings
        text = turn.text
        reasons: list[Reason] = []
        length = min(len(text), s.length_cap) * s.length_weight
        if length:
            reasons.append(Reason("length", length))
        lowered = text.lower()
        reasons += [Reason(f"simple:{word}", s.simple_weight) for word in self.simple.found(lowered)]
        reasons += [Reason(f"complex:{word}", s.complex_weight) for word in self.complex.found(lowered)]
        if turn.code_blocks:
            reasons.append(Reason("code_block", s.code_block_weight))
        if count_sentences(text, stop_above=s.sentences_more_than) > s.sentences_more_than:
            reasons.append(Reason(f"sentences>{s.sentences_more_than}", s.sentences_weight))
        if turn.turns > s.turns_more_than:
            reasons.append(Reason(f"turns>{s.turns_more_than}", s.turns_weight))
        return Score(sum(reason.weight for reason in reasons), tuple(reasons))
