"""A real Prometheus server (Debian's `prometheus`) scraping a proxy's /metrics, and the Grafana dashboard.

The dashboard in docs/grafana/ is Grafana's JSON; Grafana itself is not installable here, so the
tests and the screenshot ask Prometheus for every query the dashboard makes.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from tests.support.processes import REPO_ROOT, Proxy, _answers_200, _LoggedProcess, free_port

DASHBOARD = REPO_ROOT / "docs" / "grafana" / "vibe-router.json"
SCRAPE_SECONDS = 1
# What Grafana puts in place of its variables (its $__rate_interval is at least 4 scrape intervals).
GRAFANA_VARIABLES = {"$__rate_interval": "15s"}


def with_prometheus(document: dict[str, Any]) -> None:
    """A config change: LiteLLM's `prometheus` callback beside the plugin (it mounts /metrics), and
    Redis retried after 1 s so an outage ends quickly."""
    document["litellm_settings"]["callbacks"].append("prometheus")
    document["vibe_router"]["redis"] = {**document["vibe_router"].get("redis", {}), "retry_seconds": 1}


def prometheus_binary() -> str | None:
    return shutil.which("prometheus")


class Prometheus(_LoggedProcess):
    """Scrapes one proxy's /metrics every second, with the proxy's key; its data in a temporary folder."""

    def __init__(self, proxy: Proxy) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.folder = Path(tempfile.mkdtemp(prefix="vibe-prometheus-"))
        config = {"global": {"scrape_interval": f"{SCRAPE_SECONDS}s", "evaluation_interval": f"{SCRAPE_SECONDS}s"},
                  "scrape_configs": [{"job_name": "litellm", "metrics_path": "/metrics/",
                                      "authorization": {"credentials": proxy.key},
                                      "static_configs": [{"targets": [proxy.url.split("://", 1)[1]]}]}]}
        (self.folder / "prometheus.yml").write_text(json.dumps(config))  # JSON is YAML
        binary = prometheus_binary()
        assert binary is not None, "Debian's prometheus is not installed (test.sh installs it)"
        super().__init__([binary, f"--config.file={self.folder / 'prometheus.yml'}",
                          f"--storage.tsdb.path={self.folder / 'data'}",
                          f"--web.listen-address=127.0.0.1:{self.port}"], {"PATH": "/usr/bin:/bin"}, "prometheus")
        self.wait_until(_answers_200(f"{self.url}/-/ready"), 30, "prometheus")

    def query(self, expr: str) -> list[dict[str, Any]]:
        """An instant query's result vector (raises on a query Prometheus refuses)."""
        answer = httpx.get(f"{self.url}/api/v1/query", params={"query": expr}, timeout=10, trust_env=False)
        body = answer.json()
        if body.get("status") != "success":
            raise ValueError(f"{expr}: {body.get('error', answer.text[:200])}")
        return list(body["data"]["result"])

    def wait_for(self, expr: str, timeout: float = 30.0) -> list[dict[str, Any]]:
        """The query's result once it has one, or its empty result at `timeout`."""
        deadline = time.monotonic() + timeout
        while not (result := self.query(expr)) and time.monotonic() < deadline:
            time.sleep(0.5)
        return result

    def stop(self, grace: float = 10.0) -> None:
        super().stop(grace)
        shutil.rmtree(self.folder, ignore_errors=True)


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def panel_queries(document: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(panel title, legend, PromQL with Grafana's variables filled in) for every query of the dashboard."""
    found = []
    for panel in document["panels"]:
        for target in panel["targets"]:
            expr = target["expr"]
            for variable, value in GRAFANA_VARIABLES.items():
                expr = expr.replace(variable, value)
            found.append((panel["title"], target.get("legendFormat", ""), expr))
    return found
