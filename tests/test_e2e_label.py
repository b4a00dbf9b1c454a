"""`vibe-router label` through a real proxy: captured turns replayed to both pools and judged.

The echo upstream runs in quality mode: its cheap models answer wrongly exactly on prompts about
zebras or quanta (a rule the router does not know), and its judge prefers the right answer.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.support.configs import config_variant
from tests.support.processes import REPO_ROOT, EchoUpstream, Proxy, start_echo_upstream
from tests.support.quality_lab import with_capture_and_judge
from tests.support.stack import start_routed_proxy

HIDDEN = ["Tell me about the zebra migration", "Explain quantum tunnelling simply", "Draw a zebra in ASCII",
          "Is quantum computing real", "What do zebras eat", "Quantum entanglement in one line"]
PLAIN = ["hi", "Write a haiku about rain", "What is the capital of France", "Sort a list in Python",
         "Name three prime numbers", "Say thanks in German"]


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Proxy, EchoUpstream, Path, Path]]:
    root = tmp_path_factory.mktemp("label")
    captures = root / "captures"
    config = config_variant(root, with_capture_and_judge(captures))
    graded = start_echo_upstream(ECHO_WEAK_FAILS_ON=r"zebra|quantum")
    running = start_routed_proxy(graded, config)
    chat = openai.OpenAI(base_url=f"{running.url}/v1", api_key=running.key, max_retries=0)
    for text in HIDDEN + PLAIN:
        chat.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": text}])
    deadline = time.monotonic() + 20
    while sum(len(path.read_text().splitlines()) for path in captures.glob("*.jsonl")) < 12:
        assert time.monotonic() < deadline, "the 12 turns were not captured"
        time.sleep(0.1)
    yield running, graded, config, captures
    running.stop()
    graded.stop()


def label(lab: tuple[Proxy, EchoUpstream, Path, Path], out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    proxy, _, config, captures = lab
    command = [sys.executable, "-m", "vibe_router_tools.cli", "label", str(captures), "--judge", "pool-judge",
               "--config", str(config), "--base-url", proxy.url, "--key", proxy.key, "--out", str(out), *extra]
    return subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)


def test_labels_find_the_rule_the_router_does_not_know(lab: tuple[Proxy, EchoUpstream, Path, Path],
                                                       tmp_path: Path) -> None:
    out = tmp_path / "labelled.jsonl"
    done = label(lab, out)
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["labelled"] == 12 and summary["failed"] == 0 and summary["cost_usd"] > 0
    rows = {row["prompt"]: row for row in map(json.loads, out.read_text().splitlines())}
    assert set(rows) == set(HIDDEN + PLAIN)
    for text in HIDDEN:
        assert (rows[text]["weak_score"], rows[text]["strong_score"]) == (0.0, 1.0), text
    for text in PLAIN:
        assert (rows[text]["weak_score"], rows[text]["strong_score"]) == (1.0, 1.0), text
    verdicts = rows[HIDDEN[0]]["verdicts"]
    assert [v["order"] for v in verdicts] == ["weak-first", "strong-first"]
    assert {v["winner"] for v in verdicts} == {"strong"} and all(v["reason"] for v in verdicts)
    assert {row["weak_pool"] for row in rows.values()} == {"pool-chat-mini"}

    _, graded, _, _ = lab
    graded.clear()
    again = label(lab, out)
    assert again.returncode == 0 and "0 turns to label (12 already" in again.stderr
    assert graded.requests() == [], "a resumed run calls nothing for turns already labelled"


def test_dry_run_estimates_without_calling(lab: tuple[Proxy, EchoUpstream, Path, Path], tmp_path: Path) -> None:
    _, graded, _, _ = lab
    graded.clear()
    done = label(lab, tmp_path / "labelled.jsonl", "--dry-run")
    assert done.returncode == 0, done.stderr
    estimate = json.loads(done.stdout)
    assert estimate["turns"] == 12 and estimate["estimated_cost_usd"] > 0 and estimate["unpriced_pools"] == []
    assert graded.requests() == [] and not (tmp_path / "labelled.jsonl").exists()


def test_the_budget_stops_new_turns(lab: tuple[Proxy, EchoUpstream, Path, Path], tmp_path: Path) -> None:
    done = label(lab, tmp_path / "labelled.jsonl", "--max-cost", "0.0000001", "--concurrency", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    summary = json.loads(done.stdout.strip().splitlines()[-1])
    assert summary["budget"] > 0 and summary["labelled"] + summary["budget"] == 12
    assert summary["labelled"] >= 1
