"""Fit the learned scorer's logistic model (needs numpy and scipy, from the [train] extra).

Each example's target (see `Example.target`) is a soft label in [0, 1]: the loss is that of
one positive row weighted by the target plus one negative row weighted by its complement
(L2-penalised, minimised with scipy's L-BFGS). Examples with a subject (MMLU's 57 subjects)
have their target pulled toward their subject's mean by `subject_smoothing`: a prior per
subject, learned from text.

With `structure_first` (the default) the fit has two stages: the structure features ("#len",
"#caps", ...) alone, then the words on what structure leaves unexplained (the first
stage's logit is a fixed offset). Structure keeps its full weight instead of sharing it with
the words that correlate with it; it is what transfers to unfamiliar text (`vibe-router eval`'s
cross-domain columns), where word weights learned on another benchmark are mostly noise.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

from vibe_router.request import prompt_view
from vibe_router.scoring.features import FEATURES_VERSION, Features, name_of, turn_features
from vibe_router.scoring.learned import LinearModel
from vibe_router_tools.training.routellm import Example

EXTRA_PINS = "numpy==2.4.6 scipy==1.17.1"
FeatureSet = Features


class TrainingUnavailable(RuntimeError):
    """numpy or scipy is not installed."""


@dataclass(frozen=True)
class TrainOptions:
    """c: inverse L2 strength. subject_smoothing: pull of a subject's mean on targets.
    min_df: keep features seen in this many examples. min_weight: drop smaller weights.
    balance_sources: same total weight per source. word_scale / free_scale: column scales
    (weaker penalty when larger) for word features / for `free_features` (prompt length).
    structure_first: fit structure alone first (inverse L2 strength `structure_c`), then words.
    common_share / common_power: a word (or pair) in a share f > common_share of the examples
    has its column scaled by (common_share / f) ** common_power: common words are penalised
    more, so the words that carry a model to other text (style, digits) count less.
    """

    c: float = 1.0
    subject_smoothing: float = 0.3
    min_df: int = 2
    min_weight: float = 0.002
    balance_sources: bool = False
    word_scale: float = 1.0
    free_features: tuple[str, ...] = ()
    free_scale: float = 30.0
    max_iter: int = 2000
    structure_first: bool = True
    structure_c: float = 0.1
    common_share: float = 0.002
    common_power: float = 0.3


def prompt_features(prompt: str) -> FeatureSet:
    """Features of a prompt sent as one chat user message (how the proxy would see it)."""
    return turn_features(prompt_view(prompt))


def featurize(examples: Sequence[Example]) -> list[FeatureSet]:
    return [prompt_features(example.prompt) for example in examples]


def targets(examples: Sequence[Example], smoothing: float) -> list[float]:
    """Targets, pulled toward the mean of their subject by `smoothing` (0 = not at all)."""
    groups: dict[str, list[float]] = defaultdict(list)
    for example in examples:
        if example.subject:
            groups[example.subject].append(example.target)
    means = {subject: sum(values) / len(values) for subject, values in groups.items()}
    return [(1 - smoothing) * e.target + smoothing * means[e.subject] if e.subject else e.target for e in examples]


def source_weights(examples: Sequence[Example], balance: bool) -> list[float]:
    """1 per example, or weights giving each source (mmlu, gsm8k, a file) the same total."""
    if not balance:
        return [1.0] * len(examples)
    counts = Counter(example.source for example in examples)
    mean = len(examples) / len(counts)
    return [mean / counts[example.source] for example in examples]


def fit(
    examples: Sequence[Example],
    options: TrainOptions | None = None,
    features: Sequence[FeatureSet] | None = None,
) -> LinearModel:
    """Train a model on labelled examples (features are computed unless given)."""
    options = options or TrainOptions()
    if not examples:
        raise ValueError("no training examples")
    np, sparse, optimize = _libraries()
    rows = list(features) if features is not None else featurize(examples)
    frequency = Counter(name for row in rows for name in (*map(name_of, row.words), *row.dense))
    vocabulary = sorted(name for name, count in frequency.items() if count >= options.min_df)
    index = {name: i for i, name in enumerate(vocabulary)}
    share = {name: frequency[name] / len(rows) for name in vocabulary}
    scales = np.array([_column_scale(name, share[name], options) for name in vocabulary])
    matrix = (_design_matrix(rows, index, np, sparse) @ sparse.diags(scales)).tocsc()
    target = np.array(targets(examples, options.subject_smoothing))
    weight = np.array(source_weights(examples, options.balance_sources))
    if not (np.any(target * weight > 0) and np.any((1 - target) * weight > 0)):
        raise ValueError("every example has the same target: nothing to learn")
    coefficients = np.zeros(len(vocabulary))
    offset = np.zeros(len(rows))
    stages = [np.ones(len(vocabulary), dtype=bool)]
    if options.structure_first:
        structure = np.array([name.startswith("#") for name in vocabulary])
        stages = [structure, ~structure]
    intercept = 0.0
    for stage, columns in enumerate(stages):
        c = options.structure_c if len(stages) > 1 and stage == 0 else options.c
        part = matrix[:, np.flatnonzero(columns)].tocsr()
        w, b = _logistic(part, target, weight, offset, c, options.max_iter, np, optimize)
        coefficients[columns] = w
        offset = offset + part @ w + b
        intercept += b
    # Columns were scaled to change their regularisation: fold the scales into the weights.
    scaled = zip(vocabulary, coefficients * scales, strict=True)
    weights = {name: round(float(value), 4) for name, value in scaled if abs(value) >= options.min_weight}
    meta = {"examples": len(examples), "vocabulary": len(vocabulary), "options": asdict(options)}
    meta["sources"] = dict(sorted(Counter(example.source or "?" for example in examples).items()))
    meta["features_version"] = FEATURES_VERSION
    return LinearModel.from_names(round(float(intercept), 4), weights, meta)


def _column_scale(name: str, share: float, options: TrainOptions) -> float:
    """Larger scale = weaker L2 penalty on that feature's weight (`share`: of examples with it)."""
    if not name.startswith("#"):
        common = min(1.0, options.common_share / share) ** options.common_power if share > 0 else 1.0
        return options.word_scale * common
    return options.free_scale if name in options.free_features else 1.0


def _design_matrix(rows: Sequence[FeatureSet], index: dict[str, int], np: Any, sparse: Any) -> Any:
    """Word features scaled by 1/sqrt(number of words), structure by value, as at inference."""
    indptr, indices, values = [0], [], []
    for row in rows:
        scale = 1.0 / math.sqrt(max(len(row.words), 1))
        cells = {index[name]: scale for name in map(name_of, row.words) if name in index}
        cells.update((index[name], value) for name, value in row.dense.items() if name in index)
        for column in sorted(cells):
            indices.append(column)
            values.append(cells[column])
        indptr.append(len(indices))
    shape = (len(rows), len(index))
    return sparse.csr_matrix((np.array(values), np.array(indices, dtype=np.int64), np.array(indptr)), shape=shape)


def _logistic(
    matrix: Any, target: Any, weight: Any, offset: Any, c: float, max_iter: int, np: Any, optimize: Any
) -> tuple[Any, float]:
    """L2-penalised logistic regression on soft targets, with a fixed offset per row.

    Minimises sum(weight * (log(1 + e^z) - target * z)) + |w|^2 / (2c), z = offset + Xw + b
    (the bias is not penalised): the same loss as one positive row weighted by the target and
    one negative row weighted by its complement.
    """
    columns = matrix.shape[1]
    transposed = matrix.T.tocsr()

    def loss(params: Any) -> tuple[float, Any]:
        w, b = params[:-1], params[-1]
        z = offset + matrix @ w + b
        value = np.sum(weight * (np.logaddexp(0.0, z) - target * z)) + 0.5 * np.dot(w, w) / c
        residual = weight * (0.5 * (1.0 + np.tanh(0.5 * z)) - target)
        return float(value), np.r_[transposed @ residual + w / c, residual.sum()]

    start = np.zeros(columns + 1)
    result = optimize.minimize(
        loss, start, jac=True, method="L-BFGS-B", options={"maxiter": max_iter, "gtol": 1e-6}
    )
    return result.x[:-1], float(result.x[-1])


def _libraries() -> tuple[Any, Any, Any]:
    try:
        import numpy
        from scipy import optimize, sparse
    except ImportError as error:
        raise TrainingUnavailable(
            f"training needs numpy and scipy ({error.name} is missing): pip install {EXTRA_PINS}"
        ) from None
    return numpy, sparse, optimize
