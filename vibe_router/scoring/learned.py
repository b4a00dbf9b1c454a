"""The learned scorer: a logistic model over word, word-pair and structure features.

Inference is standard library only (the model is a JSON file of feature weights, gzip
compressed), so it runs in the stock LiteLLM image. The score, in [0, 1], is the model's
probability that the strong tier is needed: for a model trained on labels, P(label = 1);
for one trained on weak/strong quality scores (the shipped model, on RouteLLM's pass/fail
data), the soft target (1 + strong - weak) / 2, so 0.5 means "no gain expected" and the
score rises with the expected gain. Pick thresholds with `vibe-router calibrate`.
`vibe-router train` writes model files, `vibe-router eval` measures them.
"""

from __future__ import annotations

import gzip
import heapq
import json
import math
import zlib
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Annotated, Any, ClassVar

from pydantic import Field

from vibe_router.config_values import Section, worded
from vibe_router.request import TurnView
from vibe_router.scoring.base import Reason, Score, Scorer, ScorerSettingsError, read_settings, register
from vibe_router.scoring.features import FEATURES_VERSION, Features, Word, name_of, turn_features, word_of

MODEL_FORMAT = "vibe-router-learned"
MODEL_VERSION = 1
DEFAULT_MODEL = Path(__file__).resolve().parent.parent / "models" / "learned-v1.json.gz"
DEFAULT_TOP_REASONS = 3


class ModelFileError(ValueError):
    """A model file is missing or is not a learned model; the message names the file."""


@dataclass(frozen=True)
class LinearModel:
    """p = sigmoid(bias + sum(word weights) / sqrt(word count) + sum(structure weight * value))."""

    bias: float
    weights: dict[Word, float]
    meta: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def from_names(cls, bias: float, weights: dict[str, float], meta: dict[str, Any] | None = None) -> LinearModel:
        """A model from weights keyed by feature name ("word", "a b", "#len")."""
        return cls(bias, {word_of(name): weight for name, weight in weights.items()}, meta or {})

    def named_weights(self) -> dict[str, float]:
        return {name_of(word): weight for word, weight in self.weights.items()}

    def contributions(self, features: Features) -> dict[str, float]:
        """What each present feature adds to the logit, by feature name."""
        weights = self.weights
        scale = 1.0 / math.sqrt(max(len(features.words), 1))
        out = {name_of(word): weights[word] * scale for word in weights.keys() & features.words}
        out.update((name, weights[name] * value) for name, value in features.dense.items() if name in weights)
        return out

    def logit(self, features: Features) -> float:
        weights = self.weights
        words = sum(map(weights.__getitem__, weights.keys() & features.words))
        dense = sum(weights.get(name, 0.0) * value for name, value in features.dense.items())
        return self.bias + words / math.sqrt(max(len(features.words), 1)) + dense

    def probability(self, features: Features) -> float:
        return sigmoid(self.logit(features))

    def to_json(self) -> dict[str, Any]:
        return {
            "format": MODEL_FORMAT,
            "version": MODEL_VERSION,
            "features_version": FEATURES_VERSION,
            "meta": self.meta,
            "bias": self.bias,
            "weights": dict(sorted(self.named_weights().items())),
        }


def sigmoid(z: float) -> float:
    if z >= 0:
        return 1.0 / (1.0 + math.exp(-z))
    e = math.exp(z)
    return e / (1.0 + e)


def save_model(model: LinearModel, path: Path) -> None:
    """Write the model as JSON (gzip-compressed, reproducibly, when the name ends in .gz)."""
    data = json.dumps(model.to_json(), separators=(",", ":"), ensure_ascii=False).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.suffix == ".gz":
        data = gzip.compress(data, compresslevel=9, mtime=0)
    path.write_bytes(data)


def load_model(path: str | Path) -> LinearModel:
    """Read a model file; raises ModelFileError naming the file when it cannot be used."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        raise ModelFileError(f"learned model file {path} not found") from None
    return _load_cached(str(path.resolve()), stat.st_mtime_ns, stat.st_size)


@lru_cache(maxsize=4)
def _load_cached(path: str, mtime_ns: int, size: int) -> LinearModel:
    try:
        raw = Path(path).read_bytes()
        if raw[:2] == b"\x1f\x8b":
            raw = gzip.decompress(raw)
        document = json.loads(raw)
    except (OSError, EOFError, zlib.error, UnicodeDecodeError, ValueError) as error:
        raise ModelFileError(f"learned model file {path} is unreadable or corrupt ({error})") from None
    return _parse(document, path)


def _parse(document: Any, path: str) -> LinearModel:
    def fail(problem: str) -> ModelFileError:
        return ModelFileError(f"learned model file {path} is not a usable model: {problem}")

    if not isinstance(document, dict) or document.get("format") != MODEL_FORMAT:
        raise fail(f"'format' is not {MODEL_FORMAT!r}")
    if document.get("version") != MODEL_VERSION:
        raise fail(f"model version {document.get('version')!r}, this vibe-router reads {MODEL_VERSION}")
    if document.get("features_version") != FEATURES_VERSION:
        raise fail(f"trained on features v{document.get('features_version')}, this code makes v{FEATURES_VERSION}")
    bias, weights = document.get("bias"), document.get("weights")
    if not _finite(bias) or not isinstance(weights, dict):
        raise fail("'bias' must be a number and 'weights' an object")
    if not all(_finite(value) for value in weights.values()):
        raise fail("every weight must be a finite number")
    meta = document.get("meta") if isinstance(document.get("meta"), dict) else {}
    return LinearModel.from_names(float(bias), {key: float(value) for key, value in weights.items()}, meta)


def _finite(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


class LearnedSettings(Section):
    unknown_key: ClassVar[str] = "unknown learned setting (known: {known})"

    model: Annotated[str, Field(min_length=1), worded("must be the path of a model file, got {got}")] | None = None
    top_reasons: Annotated[int, Field(ge=0), worded("must be a whole number >= 0, got {got}")] = DEFAULT_TOP_REASONS


@register
class LearnedScorer(Scorer):
    """Probability that the turn needs the strong tier, with its top contributing features."""

    kind = "learned"
    default_model: ClassVar[Path] = DEFAULT_MODEL

    def __init__(self, model: LinearModel, top_reasons: int = DEFAULT_TOP_REASONS) -> None:
        self.model = model
        self.top_reasons = top_reasons

    @classmethod
    def from_settings(cls, settings: dict[str, Any]) -> LearnedScorer:
        read = read_settings(LearnedSettings, settings)
        path = read.model or cls.default_model
        try:
            model = load_model(Path(path).expanduser())
        except ModelFileError as error:
            raise ScorerSettingsError("model", str(error)) from None
        return cls(model, read.top_reasons)

    def memo_key(self, turn: TurnView) -> tuple[str, int, int, int, bool]:
        return turn.text, turn.code_blocks, turn.turns, turn.images, turn.continuation  # what turn_features reads

    def score(self, turn: TurnView) -> Score:
        features = turn_features(turn)
        weights = self.model.weights
        present = weights.keys() & features.words
        scale = 1.0 / math.sqrt(max(len(features.words), 1))
        dense = [(name, weights[name] * value) for name, value in features.dense.items() if name in weights]
        logit = self.model.bias + sum(map(weights.__getitem__, present)) * scale + sum(v for _, v in dense)
        return Score(sigmoid(logit), self._reasons(present, scale, dense))

    def _reasons(self, present: set[Word], scale: float, dense: list[tuple[str, float]]) -> tuple[Reason, ...]:
        """The `top_reasons` features that moved the logit most, either way."""
        k = self.top_reasons
        if not k:
            return ()
        weights = self.model.weights
        ranked = sorted(present, key=weights.__getitem__)
        ends = ranked if len(ranked) <= 2 * k else ranked[:k] + ranked[-k:]
        candidates = [(name_of(word), weights[word] * scale) for word in ends] + dense
        top = heapq.nlargest(k, candidates, key=lambda item: abs(item[1]))
        return tuple(Reason(name, round(weight, 4)) for name, weight in top)
