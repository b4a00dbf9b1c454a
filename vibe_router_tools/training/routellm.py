"""Labelled examples: the RouteLLM CSVs (MMLU, GSM8K) and users' own JSONL.

Every source becomes `Example(prompt, weak_score, strong_score)`: the quality each tier
reached on the prompt (1/0 for right/wrong). A JSONL row with only a `label` (1 = the
strong tier is needed) keeps it as its target, and counts as weak 0 / strong 1 when the
label is 1 and 1 / 1 otherwise when curves are measured.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

WEAK_COLUMN = "mistralai/Mixtral-8x7B-Instruct-v0.1"
STRONG_COLUMN = "gpt-4-1106-preview"
DATASETS = ("mmlu", "gsm8k")
DEFAULT_DATA_DIR = Path("..") / "shared" / "data" / "routellm"

csv.field_size_limit(1 << 24)


@dataclass(frozen=True)
class Example:
    """One prompt and how well each tier answered it."""

    prompt: str
    weak_score: float
    strong_score: float
    subject: str = ""
    source: str = ""
    label: float | None = None
    mean_gain: float | None = None  # the gain over several weak/strong pairs, when there are several

    @property
    def target(self) -> float:
        """What the model learns: the label, else (1 + gain) / 2 (0.5 = no gain), with the
        gain averaged over the benchmark's pairs when it has several (`mean_gain`)."""
        if self.label is not None:
            return self.label
        gain = self.gain if self.mean_gain is None else self.mean_gain
        return min(1.0, max(0.0, (1.0 + gain) / 2))

    @property
    def gain(self) -> float:
        """Quality gained by sending this prompt to the strong tier."""
        return self.strong_score - self.weak_score

    @property
    def needs_strong(self) -> bool:
        return self.strong_score > self.weak_score


class DataError(ValueError):
    """Training data is missing or malformed; the message names the file."""


def resolve_data_dir(path: str | Path | None, root: Path | None = None) -> Path:
    """The RouteLLM data dir: `path`, else `../shared/data/routellm` from the repo root or cwd."""
    if path is not None:
        return Path(path)
    bases = [root] if root else []
    bases += [Path.cwd(), Path(__file__).resolve().parents[2]]
    for base in bases:
        candidate = (base / DEFAULT_DATA_DIR).resolve()
        if candidate.is_dir():
            return candidate
    return (bases[0] / DEFAULT_DATA_DIR).resolve()


def _flag(value: str, path: Path) -> float:
    text = value.strip().lower()
    if text in ("true", "1", "1.0"):
        return 1.0
    if text in ("false", "0", "0.0"):
        return 0.0
    raise DataError(f"{path}: expected True/False, got {value!r}")


def read_routellm_csv(path: Path, subject: str = "", source: str = "") -> list[Example]:
    """Rows of one RouteLLM CSV (columns `prompt`, weak model, strong model)."""
    with path.open(newline="", encoding="utf-8") as handle:
        reader = csv.DictReader(handle)
        missing = {"prompt", WEAK_COLUMN, STRONG_COLUMN} - set(reader.fieldnames or ())
        if missing:
            raise DataError(f"{path}: missing columns {sorted(missing)}")
        return [
            Example(row["prompt"], _flag(row[WEAK_COLUMN], path), _flag(row[STRONG_COLUMN], path), subject, source)
            for row in reader
        ]


def load_routellm(data_dir: Path, dataset: str) -> list[Example]:
    """All examples of `mmlu` (subject = file's subject) or `gsm8k` under `data_dir`."""
    if dataset not in DATASETS:
        raise DataError(f"unknown dataset {dataset!r} (known: {', '.join(DATASETS)})")
    folder = data_dir / dataset
    files = sorted(folder.glob("*.csv"))
    if not files:
        raise DataError(f"no CSV files in {folder} (is the RouteLLM data there?)")
    examples: list[Example] = []
    for path in files:
        subject = path.stem.removeprefix("mmlu_") if dataset == "mmlu" else dataset
        examples += read_routellm_csv(path, subject, dataset)
    return examples


def _number(row: dict, key: str, where: str) -> float:
    value = row.get(key)
    if isinstance(value, bool):
        return float(value)
    if not isinstance(value, (int, float)):
        raise DataError(f"{where}: {key!r} must be a number, got {value!r}")
    return float(value)


def example_from_row(row: object, where: str, source: str = "") -> Example:
    """A JSONL row: `{"prompt", "label"}` or `{"prompt", "weak_score", "strong_score"}`."""
    if not isinstance(row, dict) or not isinstance(row.get("prompt"), str):
        raise DataError(f"{where}: expected an object with a string 'prompt'")
    subject = str(row.get("subject", ""))
    if "weak_score" in row or "strong_score" in row:
        weak = _number(row, "weak_score", where)
        strong = _number(row, "strong_score", where)
        if not (0.0 <= weak <= 1.0 and 0.0 <= strong <= 1.0):
            raise DataError(f"{where}: 'weak_score' and 'strong_score' must be in [0, 1]")
        return Example(row["prompt"], weak, strong, subject, source)
    if "label" not in row:
        raise DataError(f"{where}: needs 'label' or 'weak_score' and 'strong_score'")
    label = _number(row, "label", where)
    if not 0.0 <= label <= 1.0:
        raise DataError(f"{where}: 'label' must be 0 or 1 (or a probability), got {label!r}")
    return Example(row["prompt"], 1.0 - label, 1.0, subject, source, label)


def iter_jsonl(path: Path) -> Iterator[tuple[str, object]]:
    """(location, parsed object) of each non-blank line."""
    try:
        handle = path.open(encoding="utf-8")
    except OSError as error:
        raise DataError(f"cannot read {path}: {error.strerror}") from None
    with handle:
        for number, line in enumerate(handle, 1):
            if not line.strip():
                continue
            where = f"{path}:{number}"
            try:
                yield where, json.loads(line)
            except json.JSONDecodeError as error:
                raise DataError(f"{where}: invalid JSON ({error.msg})") from None


def load_jsonl(path: Path) -> list[Example]:
    examples = [example_from_row(row, where, path.name) for where, row in iter_jsonl(path)]
    if not examples:
        raise DataError(f"{path}: no examples")
    return examples


def load_source(source: str, data_dir: Path) -> list[Example]:
    """`mmlu`, `gsm8k`, `all` (both) or a path to a JSONL file."""
    if source == "all":
        return [example for name in DATASETS for example in load_routellm(data_dir, name)]
    if source in DATASETS:
        return load_routellm(data_dir, source)
    return load_jsonl(Path(source))
