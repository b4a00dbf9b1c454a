"""`vibe-router report` on turns written by the capture writer, with labelled rows."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from tests.support.processes import REPO_ROOT
from tests.support.stack import CONFIG
from vibe_router.capture import Capture, CaptureSettings
from vibe_router.config import load_config
from vibe_router.request import build_view
from vibe_router_tools.training.metrics import apgr, quality_curve

HARD = "Implement a distributed consensus algorithm and analyze its architecture"


def capture_turns(directory: Path) -> None:
    """Three cheap turns and one standard, with LiteLLM-like outcomes, through the real writer."""
    capture = Capture(CaptureSettings(enabled=True, directory=str(directory)))
    for text, tier, pool, cost in (("hi", "cheap", "pool-chat-mini", 0.0001), ("thanks", "cheap", "pool-chat-mini",
                                   0.0001), ("ok", "cheap", "pool-chat-mini", 0.0001),
                                   (HARD, "standard", "pool-chat-standard", 0.0007)):
        decision = {"virtual_model": "auto-chat", "tier": tier, "pool": pool, "score": 0, "decided_by": "score",
                    "session": "abc"}
        turn = build_view("chat", {"messages": [{"role": "user", "content": text}]})
        started = capture.begin({"messages": [{"role": "user", "content": text}]}, turn, decision)
        capture.finish(started, {"status": "success", "served_by": pool, "prompt_tokens": 1000,
                                 "completion_tokens": 100, "response_cost": cost})
    capture.flush()


def test_the_report_shows_shares_cost_and_the_quality_curve(tmp_path: Path) -> None:
    captures, labels, out = tmp_path / "captures", tmp_path / "labelled.jsonl", tmp_path / "report"
    capture_turns(captures)
    rows: list[dict[str, Any]] = [
        {"virtual_model": "auto-chat", "prompt": "hi", "weak_score": 1.0, "strong_score": 1.0},
        {"virtual_model": "auto-chat", "prompt": HARD, "weak_score": 0.0, "strong_score": 1.0},
        {"virtual_model": "auto-chat", "prompt": "thanks", "weak_score": 1.0, "strong_score": 1.0},
    ]
    labels.write_text("".join(json.dumps(row) + "\n" for row in rows))
    done = subprocess.run([sys.executable, "-m", "vibe_router_tools.cli", "report", str(captures),
                           "--labels", str(labels), "--config", str(CONFIG), "--out", str(out)],
                          cwd=REPO_ROOT, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    page = (out / "index.html").read_text()
    assert done.stdout.strip() == str(out / "index.html")
    assert "4 captured turns; routed cheap 75.0%, standard 25.0%" in page
    top = load_config(CONFIG).virtual_models["auto-chat"].tiers[-1]
    assert "cost $0.0010 (LiteLLM&#x27;s response_cost)" in page
    # The hard prompt is the only one the heuristic sends up and the only one the strong pool wins:
    # the scorer ranks these three as the oracle does, so its APGR is the oracle's.
    oracle = apgr(quality_curve([row["strong_score"] - row["weak_score"] for row in rows],
                                [row["weak_score"] for row in rows], [row["strong_score"] for row in rows]))
    expected = f"on 3 labelled turns: APGR {oracle:.3f}; the threshold {top.min_score:g} sends 33.3% to the top tier"
    assert expected in page
    for kind in ("share", "decided_by", "quality"):
        assert (out / f"auto-chat-{kind}.png").read_bytes().startswith(b"\x89PNG")
    assert page.count('src="data:image/png;base64,') == 3, "the page carries its images"
