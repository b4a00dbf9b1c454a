"""The campaign's stack: echo upstream, redis-server behind a TCP proxy that can slow it, replicas A, B and C."""

from __future__ import annotations

import shutil
import tempfile
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import yaml

from bench.campaign_load import Target
from bench.campaign_report import Topology
from tests.support.configs import config_variant
from tests.support.processes import EchoUpstream, Proxy, start_echo_upstream
from tests.support.redis_server import RedisServer
from tests.support.slow_tcp import SlowTcpProxy
from tests.support.stack import pool_env, start_routed_proxy

CHEAP_POOLS = ("pool-chat-mini", "pool-codex-mini", "pool-claude-haiku")
REDIS_RETRY_SECONDS = 1
CORRUPT_MODEL = b"\x1f\x8b\x08\x00\x00\x00\x00\x00\x00\x03this is not a learned model\x00\xff\xfe"
SLOW_REDIS_SHARE = 0.3  # replies held back in the slow-Redis phase, each 30-100 ms


def replica_change(cheap_timeout: float, redis_timeout_ms: float | None = None) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["vibe_router"]["redis"]["retry_seconds"] = REDIS_RETRY_SECONDS
        if redis_timeout_ms is not None:
            document["vibe_router"]["redis"]["timeout_ms"] = redis_timeout_ms
        for entry in document["model_list"]:
            if entry["model_name"] in CHEAP_POOLS:
                entry["litellm_params"].update(timeout=cheap_timeout, stream_timeout=cheap_timeout)
    return change


def broken_scorer_change(cheap_timeout: float, redis_timeout_ms: float | None,
                         model_file: Path) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        replica_change(cheap_timeout, redis_timeout_ms)(document)
        section = document["vibe_router"]
        section["scorers"]["learned-broken"] = {"kind": "learned", "model": str(model_file)}
        chat = section["virtual_models"]["auto-chat"]
        chat["scorer"] = "learned-broken"
        chat["tiers"][-1]["min_score"] = 0.5  # the learned scorer's scale is a probability
    return change


class CampaignStack:
    """Echo upstream, redis-server, replicas A and B, and proxy C (None if it did not start)."""

    def __init__(self, cheap_timeout: float, redis_timeout_ms: float | None = None) -> None:
        self.tmp = Path(tempfile.mkdtemp(prefix="vibe-campaign-"))
        self.cheap_timeout = cheap_timeout
        self.redis_timeout_ms = redis_timeout_ms
        self.echo: EchoUpstream | None = None
        self.redis: RedisServer | None = None
        self.slow_redis: SlowTcpProxy | None = None
        self.proxies: dict[str, Proxy] = {}
        self.c_error = ""
        self.c_startup_log = ""
        self.topology: Topology | None = None

    def start(self) -> CampaignStack:
        self.echo = start_echo_upstream()
        self.redis = RedisServer().start()
        replica = config_variant(self.tmp, replica_change(self.cheap_timeout, self.redis_timeout_ms), "replica.yaml")
        model_file = self.tmp / "learned-corrupt.json.gz"
        model_file.write_bytes(CORRUPT_MODEL)
        change = broken_scorer_change(self.cheap_timeout, self.redis_timeout_ms, model_file)
        broken = config_variant(self.tmp, change, "broken-scorer.yaml")
        document = yaml.safe_load(replica.read_text())
        self.redis_timeout_ms = document["vibe_router"]["redis"].get("timeout_ms")
        self.topology = Topology.from_config(document, pool_env(self.echo))
        # The replicas reach Redis through a TCP proxy: fast, except in the slow-Redis phase.
        self.slow_redis = SlowTcpProxy(self.redis.port, share=SLOW_REDIS_SHARE, fast=True).start()
        env = {**self.redis.env(), "REDIS_PORT": str(self.slow_redis.port)}
        errors: dict[str, str] = {}
        with ThreadPoolExecutor(max_workers=3) as pool:
            futures = {name: pool.submit(start_routed_proxy, self.echo, config, **env)
                       for name, config in (("A", replica), ("B", replica), ("C", broken))}
            for name, future in futures.items():  # collect all, so that none is left running unseen
                try:
                    self.proxies[name] = future.result()
                except (RuntimeError, TimeoutError) as exc:
                    errors[name] = str(exc)
        if "A" in errors or "B" in errors:
            raise RuntimeError(errors.get("A") or errors["B"])
        self.c_error = _proxy_error(errors.get("C", "")) if "C" in errors else ""
        if "C" in self.proxies:
            self.c_startup_log = self.proxies["C"].log_text()
        return self

    def target(self, name: str) -> Target:
        proxy = self.proxies[name]
        return Target(name, proxy.url, proxy.key)

    def log_marks(self) -> dict[str, int]:
        return {name: len(proxy.log_text()) for name, proxy in self.proxies.items()}

    def logs_since(self, marks: dict[str, int]) -> dict[str, str]:
        return {name: proxy.log_text()[marks.get(name, 0):] for name, proxy in self.proxies.items()}

    def close(self, keep_logs: bool = False) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
            if not keep_logs:
                proxy.log_path.unlink(missing_ok=True)
        if self.echo is not None:
            self.echo.stop()
            if not keep_logs:
                self.echo.log_path.unlink(missing_ok=True)
        if self.slow_redis is not None:
            self.slow_redis.stop()
        if self.redis is not None:
            self.redis.kill()
        if not keep_logs:
            shutil.rmtree(self.tmp, ignore_errors=True)


def _proxy_error(message: str) -> str:
    first = message.splitlines()[0] if message else "did not start"
    lines = [line.strip() for line in message.splitlines() if "[VIBE-ROUTER]" in line]
    return "; ".join([first.rstrip(":"), *lines[:2]])[:400]
