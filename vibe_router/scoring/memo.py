"""Scores of recent turns: an agent's tool loop asks about one human turn many times.

Every call of the loop resends the conversation with a tool result appended, so the newest
human text and the structure a scorer reads (`Scorer.memo_key`) stay the same, and so does
the score. With the conversation cache the text is even the same string object, so a lookup
costs a dict probe instead of a scoring pass.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable

from vibe_router.request import TurnView
from vibe_router.scoring.base import Score, Scorer

MEMO_SIZE = 512


class ScoreMemo:
    """The newest MEMO_SIZE scores, per scorer and memo key."""

    def __init__(self, size: int = MEMO_SIZE) -> None:
        self.size = size
        self.hits = 0
        self.misses = 0
        self._scores: OrderedDict[tuple[int, Hashable], Score] = OrderedDict()

    def score(self, scorer: Scorer, turn: TurnView) -> Score:
        """`scorer.score(turn)`, or the score it gave a turn with the same memo key."""
        key = scorer.memo_key(turn)
        if key is None:
            return scorer.score(turn)
        entry = (id(scorer), key)  # scorers live as long as the config that holds them
        found = self._scores.get(entry)
        if found is not None:
            self.hits += 1
            self._scores.move_to_end(entry)
            return found
        self.misses += 1
        score = self._scores[entry] = scorer.score(turn)
        if len(self._scores) > self.size:
            self._scores.popitem(last=False)
        return score

    def __len__(self) -> int:
        return len(self._scores)
