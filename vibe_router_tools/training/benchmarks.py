"""The five shared benchmarks as `Example`s: MMLU, GSM8K, LiveCodeBench, MATH level 5, CRUXEval.

MMLU and GSM8K (RouteLLM) have one weak/strong pair. LiveCodeBench and ZeroEval's MATH-L5 and
CRUXEval have many models; each uses the weak/strong pairs their READMEs name. An example's
weak and strong scores are those of the benchmark's first (primary) pair, which is what
`vibe-router eval` measures routers on; its `mean_gain` (what a model learns) is the mean gain
over all of the benchmark's pairs, a less noisy estimate of "the strong tier helps here".
A benchmark whose files are absent is skipped (`available`).
"""

from __future__ import annotations

import statistics
from dataclasses import dataclass
from pathlib import Path

from vibe_router_tools.training.routellm import DATASETS as ROUTELLM
from vibe_router_tools.training.routellm import DataError, Example, iter_jsonl, load_routellm

Pair = tuple[str, str]
LABELS = {"mmlu": "MMLU", "gsm8k": "GSM8K", "lcb": "LiveCodeBench", "math": "MATH-L5", "crux": "CRUXEval"}
ZEROEVAL_PAIRS: tuple[Pair, ...] = (
    ("claude-3-haiku-20240307", "claude-3-5-sonnet-20240620"),
    ("Meta-Llama-3.1-8B-Instruct", "gpt-4o-2024-08-06"),
    ("gpt-4o-mini-2024-07-18", "gpt-4o-2024-08-06"),
)


@dataclass(frozen=True)
class WideFile:
    """A JSONL file of {"prompt", "scores": {model: quality or null}} and its weak/strong pairs."""

    path: str
    pairs: tuple[Pair, ...]


WIDE = {
    "lcb": WideFile(
        "livecodebench/lcb_wide_19models.jsonl",
        (
            ("Claude-3-Haiku", "Claude-3.5-Sonnet-20241022"),
            ("GPT-4O-mini-2024-07-18", "GPT-4O-2024-08-06"),
            ("Gemini-Flash-1.5-002", "Gemini-Pro-1.5-002"),
        ),
    ),
    "math": WideFile("zeroeval/math_l5_wide.jsonl", ZEROEVAL_PAIRS),
    "crux": WideFile("zeroeval/crux_wide.jsonl", ZEROEVAL_PAIRS),
}
BENCHMARKS = (*ROUTELLM, *WIDE)


def shared_root(routellm_dir: Path) -> Path:
    """The shared data dir (`../shared/data`): the parent of the RouteLLM dir."""
    return routellm_dir.parent


def available(routellm_dir: Path) -> list[str]:
    """Benchmarks whose files exist: MMLU and GSM8K always (their loader reports what is missing)."""
    root = shared_root(routellm_dir)
    return [*ROUTELLM, *(name for name, wide in WIDE.items() if (root / wide.path).is_file())]


def read_wide(path: Path, pairs: tuple[Pair, ...], source: str) -> list[Example]:
    """Examples of a wide file; a prompt without both scores of the primary pair is skipped."""
    examples = []
    for where, row in iter_jsonl(path):
        if not (isinstance(row, dict) and isinstance(row.get("prompt"), str) and isinstance(row.get("scores"), dict)):
            raise DataError(f"{where}: expected an object with a string 'prompt' and a 'scores' object")
        scores = row["scores"]
        known = [(scores[w], scores[s]) for w, s in pairs if _is_score(scores.get(w)) and _is_score(scores.get(s))]
        weak, strong = scores.get(pairs[0][0]), scores.get(pairs[0][1])
        if not (_is_score(weak) and _is_score(strong)):
            continue
        gain = statistics.fmean(s - w for w, s in known)
        examples.append(Example(row["prompt"], float(weak), float(strong), source=source, mean_gain=gain))
    if not examples:
        raise DataError(f"{path}: no prompt has scores for {pairs[0][0]} and {pairs[0][1]}")
    return examples


def _is_score(value: object) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and 0.0 <= value <= 1.0


def load_benchmark(routellm_dir: Path, name: str) -> list[Example]:
    """Examples of one benchmark (`BENCHMARKS`), with `source` set to its name."""
    if name in ROUTELLM:
        return load_routellm(routellm_dir, name)
    if name not in WIDE:
        raise DataError(f"unknown benchmark {name!r} (known: {', '.join(BENCHMARKS)})")
    wide = WIDE[name]
    return read_wide(shared_root(routellm_dir) / wide.path, wide.pairs, name)
