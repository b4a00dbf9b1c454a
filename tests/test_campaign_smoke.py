"""The load and fault campaign with tiny bounds: every phase runs, no failure is the router's."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO_ROOT

PHASES = ["1-baseline", "2s-slow-redis", "2-redis", "3a-cheap-500", "3b-cheap-timeout", "3c-both-broken",
          "4-broken-scorer"]
PHASE_KEYS = {
    "name", "title", "available", "unavailable_reason", "targets", "faults", "broken_models", "requests",
    "succeeded", "failed", "router_caused_failures", "upstream_failures", "failures_by_reason", "fail_opens",
    "fallbacks", "decided_by", "latency_ms", "fallback_latency_ms", "checks", "notes",
}
TOTAL_KEYS = {"requests", "succeeded", "failed", "router_caused_failures", "upstream_failures", "fail_opens",
              "fallbacks", "decided_by", "failures_by_reason", "checks_failed", "warnings"}


def test_campaign_with_tiny_bounds(tmp_path: Path) -> None:
    out = tmp_path / "campaign.json"
    command = [sys.executable, "-m", "bench.campaign", "--duration", "20", "--max-requests", "1500",
               "--concurrency", "3", "--json", str(out), "--markdown", str(tmp_path / "campaign.md")]
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    # The run takes about a minute; the timeout only guards against a hang.
    result = subprocess.run(command, cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=240)
    assert result.returncode in (0, 1), result.stderr[-3000:]
    report = json.loads(out.read_text())
    assert {"benchmark", "command", "machine", "settings", "phases", "totals", "verdict", "exit_code"} <= set(report)
    assert report["exit_code"] == result.returncode
    assert [phase["name"] for phase in report["phases"]] == PHASES
    for phase in report["phases"]:
        if phase["available"]:
            assert set(phase) >= PHASE_KEYS, phase["name"]
            assert phase["requests"] > 0, phase["name"]
        else:
            assert phase["name"] == "4-broken-scorer" and phase["unavailable_reason"]
    assert set(report["totals"]) >= TOTAL_KEYS
    assert report["totals"]["router_caused_failures"] == 0, result.stdout
    assert report["verdict"]["zero_router_caused_failures"] is True
    by_name = {phase["name"]: phase for phase in report["phases"]}
    assert by_name["3a-cheap-500"]["fallbacks"] > 0
    assert by_name["3c-both-broken"]["upstream_failures"] > 0  # the control phase breaks every auto-chat upstream
    assert "| phase |" in result.stdout and (tmp_path / "campaign.md").read_text().startswith("| phase |")
