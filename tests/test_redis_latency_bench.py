"""bench.redis_latency runs the session script against its own redis-server and reports percentiles."""

from __future__ import annotations

import json

import pytest

from bench import redis_latency


def test_it_reports_ordered_percentiles(capsys: pytest.CaptureFixture[str]) -> None:
    assert redis_latency.main(["--calls", "300", "--concurrency", "4"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["calls"] == 300 and report["burners"] == 0
    assert 0 < report["p50"] <= report["p99"] <= report["p99.9"] <= report["max"]
