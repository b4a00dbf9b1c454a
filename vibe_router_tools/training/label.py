"""`vibe-router label`: captured turns -> {prompt, weak_score, strong_score} rows for `train --source`.

Each turn is replayed, through the running proxy, to the cheapest and to the top tier's pool of
its virtual model; a judge model then compares the two answers, once in each order (to cancel
position bias), with the rubric below. The weak pool's score is the share of the two verdicts in
which its answer was as good or better; likewise the strong pool's. Every verdict is kept with
its reason. Rows are appended as they finish, so a run that stops can resume (labelled ids are
skipped), and the run stops taking new turns once LiteLLM's reported cost reaches --max-cost.
"""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from vibe_router.wire import BY_ENDPOINT, prompt_body

RUBRIC = """You compare two answers to the same request. Judge correctness first, then whether the answer
does all that was asked, then clarity. Length alone is no merit; do not favour the first answer.

[REQUEST]
{request}
[END REQUEST]

[ANSWER A]
{a}
[END A]

[ANSWER B]
{b}
[END B]

Reply with JSON only: {{"winner": "A" or "B" or "tie", "reason": "<one sentence>"}}"""
RETRY_STATUSES = {408, 409, 429, 500, 502, 503, 504}


@dataclass(frozen=True)
class LabelOptions:
    base_url: str
    key: str
    judge: str
    concurrency: int = 4
    retries: int = 2
    max_cost: float | None = None
    timeout: float = 120.0


class BudgetReached(Exception):
    """--max-cost was reached: no new turn is started."""


class Labeller:
    def __init__(self, options: LabelOptions, pools: dict[str, tuple[str, str]]) -> None:
        """`pools`: virtual model -> (cheapest pool, top pool)."""
        self.options = options
        self.pools = pools
        self.spent = 0.0
        self._lock = threading.Lock()
        self._client = httpx.Client(base_url=options.base_url.rstrip("/"), timeout=options.timeout,
                                    headers={"Authorization": f"Bearer {options.key}"})

    def label(self, record: dict[str, Any]) -> dict[str, Any]:
        if self.options.max_cost is not None and self.spent >= self.options.max_cost:
            raise BudgetReached
        virtual = record["decision"]["virtual_model"]
        weak_pool, strong_pool = self.pools[virtual]
        weak = self._answer(record, weak_pool)
        strong = self._answer(record, strong_pool)
        verdicts = [self._judge(record["text"], weak, strong, "weak-first"),
                    self._judge(record["text"], strong, weak, "strong-first")]
        return {
            "id": record["id"], "virtual_model": virtual, "prompt": record["text"],
            "weak_score": sum(v["winner"] in ("weak", "tie") for v in verdicts) / len(verdicts),
            "strong_score": sum(v["winner"] in ("strong", "tie") for v in verdicts) / len(verdicts),
            "weak_pool": weak_pool, "strong_pool": strong_pool, "verdicts": verdicts,
        }

    def _answer(self, record: dict[str, Any], pool: str) -> str:
        body = {**record["request"], "model": pool, "stream": False}
        wire = BY_ENDPOINT[record["endpoint"]]
        return wire.answer_text(self._post(wire.path.format(model=pool), body))

    def _judge(self, request: str, first: str, second: str, order: str) -> dict[str, Any]:
        prompt = RUBRIC.format(request=request, a=first, b=second)
        reply = self._post(BY_ENDPOINT["chat"].path, {"model": self.options.judge, **prompt_body(prompt)})
        winner, reason = parse_verdict(answer_text("chat", reply))
        names = {"A": order.split("-")[0], "B": "strong" if order == "weak-first" else "weak", "tie": "tie"}
        return {"order": order, "winner": names.get(winner, "unparsed"), "reason": reason}

    def _post(self, path: str, body: dict[str, Any]) -> dict[str, Any]:
        for attempt in range(self.options.retries + 1):
            try:
                answer = self._client.post(path, json=body)
            except httpx.TransportError:
                if attempt == self.options.retries:
                    raise
            else:
                if answer.status_code not in RETRY_STATUSES or attempt == self.options.retries:
                    answer.raise_for_status()
                    self._charge(answer.headers.get("x-litellm-response-cost"))
                    return answer.json()
            time.sleep(2 ** attempt)
        raise AssertionError("unreachable")

    def _charge(self, cost: str | None) -> None:
        try:
            amount = float(cost) if cost else 0.0
        except ValueError:
            return
        with self._lock:
            self.spent += amount


def answer_text(endpoint: str, payload: dict[str, Any]) -> str:
    """The answer's text in any wire format."""
    return BY_ENDPOINT[endpoint].answer_text(payload)


def parse_verdict(reply: str) -> tuple[str, str]:
    """("A" | "B" | "tie" | "?", reason) from the judge's reply: its JSON, else a bare A / B / tie."""
    found = re.search(r"\{.*\}", reply, re.S)
    if found:
        try:
            verdict = json.loads(found.group(0))
            winner = str(verdict.get("winner", "")).strip()
            winner = "tie" if winner.lower() == "tie" else winner.upper()
            if winner in ("A", "B", "tie"):
                return winner, str(verdict.get("reason", ""))
        except (ValueError, AttributeError):
            pass
    bare = re.match(r"\s*(A|B|tie)\b", reply, re.I)
    if bare:
        word = bare.group(1)
        return ("tie" if word.lower() == "tie" else word.upper()), reply.strip()[:200]
    return "?", reply.strip()[:200]


def captured_turns(paths: Iterable[Path]) -> Iterator[dict[str, Any]]:
    """Records from capture files (or directories of them) that hold what a replay needs."""
    for path in paths:
        files = sorted(path.glob("capture-*.jsonl")) if path.is_dir() else [path]
        for file in files:
            for line in file.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    record = json.loads(line)
                    if record.get("request") and record.get("text") and record.get("endpoint") in BY_ENDPOINT:
                        yield record


def labelled_ids(out: Path) -> set[str]:
    if not out.exists():
        return set()
    return {json.loads(line)["id"] for line in out.read_text(encoding="utf-8").splitlines() if line.strip()}


def run(labeller: Labeller, records: list[dict[str, Any]], out: Path, progress: Any = None) -> dict[str, int]:
    """Label `records` into `out` (appending); counts of labelled, failed and skipped-for-budget turns."""
    counts = {"labelled": 0, "failed": 0, "budget": 0}
    lock = threading.Lock()
    out.parent.mkdir(parents=True, exist_ok=True)
    with ThreadPoolExecutor(max_workers=labeller.options.concurrency) as pool, out.open("a", encoding="utf-8") as sink:
        futures = [pool.submit(labeller.label, record) for record in records]
        for future in as_completed(futures):
            try:
                row = future.result()
            except BudgetReached:
                counts["budget"] += 1
            except (httpx.HTTPError, KeyError, ValueError):
                counts["failed"] += 1
            else:
                with lock:
                    sink.write(json.dumps(row, ensure_ascii=False) + "\n")
                    sink.flush()
                counts["labelled"] += 1
            if progress is not None:
                progress.update(1)
    return counts
