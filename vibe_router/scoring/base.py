"""What every scorer returns, and the registry that names scorers in config."""

from __future__ import annotations

import importlib
from abc import ABC, abstractmethod
from collections.abc import Hashable
from typing import Any, ClassVar, NamedTuple, TypeVar

from pydantic import ValidationError

from vibe_router.config_values import Section, dotted, problem
from vibe_router.request import TurnView


class Reason(NamedTuple):  # NamedTuples, not frozen dataclasses: built per request (see TurnView)
    """One feature that moved the score, and by how much."""

    feature: str
    weight: float

    def __str__(self) -> str:
        return f"{self.feature}{self.weight:+g}"


class Score(NamedTuple):
    """A scorer's verdict: higher means the turn needs a stronger tier."""

    value: float
    reasons: tuple[Reason, ...] = ()


class Scorer(ABC):
    """Turns a `TurnView` into a `Score`. Subclasses register under `kind`."""

    kind: ClassVar[str]

    @abstractmethod
    def score(self, turn: TurnView) -> Score: ...

    def memo_key(self, turn: TurnView) -> Hashable | None:
        """What `score` reads of the turn, when that is all it reads (views with equal keys score
        the same, so a `ScoreMemo` may reuse a score); None: do not reuse this scorer's scores."""
        return None

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> Scorer:
        """Build from the scorer's config section (`kind` included). Override to read settings."""
        return cls()


SCORER_KINDS: dict[str, type[Scorer]] = {}


def register(cls: type[Scorer]) -> type[Scorer]:
    SCORER_KINDS[cls.kind] = cls
    return cls


class ScorerSettingsError(ValueError):
    """A scorer setting is wrong; `key` names it relative to the scorer's section."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key


S = TypeVar("S", bound=Section)


def read_settings(model: type[S], settings: dict[str, Any]) -> S:
    """A scorer's section (`kind` aside) read as `model`; a ScorerSettingsError names the first bad key."""
    try:
        return model.model_validate({key: value for key, value in settings.items() if key != "kind"})
    except ValidationError as error:
        path, message = problem(error)
        raise ScorerSettingsError(dotted("", path).removeprefix("."), message) from None


class ScorerUnavailable(RuntimeError):
    """The scorer could not load what it needs; its requests fail open."""


class UnavailableScorer(Scorer):
    """Stands in for a scorer whose model file is missing or corrupt: every call fails open, loudly."""

    kind = "unavailable"

    def __init__(self, problem: str) -> None:
        self.problem = problem

    def score(self, turn: TurnView) -> Score:
        raise ScorerUnavailable(self.problem)


def build_scorer(kind: str, settings: dict[str, Any]) -> Scorer:
    """Instantiate the scorer registered as `kind` (or importable as `module:Class`)."""
    cls = SCORER_KINDS.get(kind) or (_import_scorer(kind) if ":" in kind else None)
    if cls is None:
        known = ", ".join(sorted(SCORER_KINDS))
        raise ScorerSettingsError("kind", f"unknown scorer {kind!r} (known: {known}, or module:Class)")
    return cls.from_settings(settings)


def _import_scorer(path: str) -> type[Scorer]:
    module_name, _, class_name = path.partition(":")
    try:
        cls = getattr(importlib.import_module(module_name), class_name)
    except (ImportError, AttributeError) as exc:
        raise ScorerSettingsError("kind", f"cannot import scorer {path!r}: {exc}") from None
    if not (isinstance(cls, type) and issubclass(cls, Scorer)):
        raise ScorerSettingsError("kind", f"{path!r} is not a Scorer subclass")
    return cls
