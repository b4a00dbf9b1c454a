"""What every scorer returns, and the registry that names scorers in config."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import Any, ClassVar

from vibe_router.request import TurnView


@dataclass(frozen=True)
class Reason:
    """One feature that moved the score, and by how much."""

    feature: str
    weight: float

    def __str__(self) -> str:
        return f"{self.feature}{self.weight:+g}"


@dataclass(frozen=True)
class Score:
    """A scorer's verdict: higher means the turn needs a stronger tier."""

    value: float
    reasons: tuple[Reason, ...] = ()


class Scorer(ABC):
    """Turns a `TurnView` into a `Score`. Subclasses register under `kind`."""

    kind: ClassVar[str]

    @abstractmethod
    def score(self, turn: TurnView) -> Score: ...


SCORER_KINDS: dict[str, type[Scorer]] = {}


def register(cls: type[Scorer]) -> type[Scorer]:
    SCORER_KINDS[cls.kind] = cls
    return cls


class ScorerSettingsError(ValueError):
    """A scorer setting is wrong; `key` names it relative to the scorer's section."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


def build_scorer(kind: str, settings: dict[str, Any]) -> Scorer:
    """Instantiate the scorer registered as `kind` from its config section."""
    try:
        cls = SCORER_KINDS[kind]
    except KeyError:
        known = ", ".join(sorted(SCORER_KINDS))
        raise ScorerSettingsError("kind", f"unknown scorer {kind!r} (known: {known})") from None
    return cls.from_settings(settings)  # type: ignore[attr-defined]
