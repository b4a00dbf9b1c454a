"""Cross-validation folds that keep near-duplicate prompts together.

Prompts are grouped when their word 3-shingles overlap (Jaccard >= 0.7), found with
MinHash banding and checked exactly; whole groups are then dealt to folds.
"""

from __future__ import annotations

import random
import re
import zlib
from collections import defaultdict
from collections.abc import Sequence

WORD = re.compile(r"[a-z0-9]+")
PRIME = (1 << 61) - 1
BANDS = 8
ROWS = 4
JACCARD = 0.7


def shingles(text: str, size: int = 3) -> frozenset[int]:
    words = WORD.findall(text.lower())
    if len(words) < size:
        return frozenset({zlib.crc32(" ".join(words).encode())})
    return frozenset(zlib.crc32(" ".join(words[i : i + size]).encode()) for i in range(len(words) - size + 1))


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def union(self, i: int, j: int) -> None:
        a, b = self.find(i), self.find(j)
        if a != b:
            self.parent[max(a, b)] = min(a, b)


def near_duplicate_groups(texts: Sequence[str], seed: int = 0) -> list[int]:
    """A group id per text; texts in one group are (near) duplicates of each other."""
    rng = random.Random(seed)
    params = [(rng.randrange(1, PRIME), rng.randrange(PRIME)) for _ in range(BANDS * ROWS)]
    sets = [shingles(text) for text in texts]
    buckets: dict[tuple[int, tuple[int, ...]], list[int]] = defaultdict(list)
    for index, items in enumerate(sets):
        signature = [min((a * h + b) % PRIME for h in items) for a, b in params]
        for band in range(BANDS):
            buckets[band, tuple(signature[band * ROWS : (band + 1) * ROWS])].append(index)
    groups = _UnionFind(len(texts))
    for members in buckets.values():
        first = members[0]
        for other in members[1:]:
            if groups.find(first) != groups.find(other) and _jaccard(sets[first], sets[other]) >= JACCARD:
                groups.union(first, other)
    return [groups.find(i) for i in range(len(texts))]


def _jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    return len(a & b) / len(a | b)


def grouped_folds(groups: Sequence[int], k: int = 5, seed: int = 0) -> list[int]:
    """A fold number (0..k-1) per item; items of one group share a fold; folds near equal."""
    members: dict[int, list[int]] = defaultdict(list)
    for index, group in enumerate(groups):
        members[group].append(index)
    order = sorted(members)
    random.Random(seed).shuffle(order)
    order.sort(key=lambda g: -len(members[g]))
    sizes = [0] * k
    folds = [0] * len(groups)
    for group in order:
        fold = min(range(k), key=lambda f: (sizes[f], f))
        for index in members[group]:
            folds[index] = fold
        sizes[fold] += len(members[group])
    return folds
