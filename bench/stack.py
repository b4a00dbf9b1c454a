"""The processes the overhead benchmarks measure: one upstream, two LiteLLM proxies.

Both proxies run the same config_final.yaml (rewritten the same way to one temp dir), the
same environment, worker count and upstream; the only difference is that "without" has no
`litellm_settings.callbacks` entry, so vibe-router never loads there. The benchmarks ask it
for the pool the plugin picks (`bench.overhead.build_targets`).
"""

from __future__ import annotations

import json
import os
import re
import sys
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from bench.versions import BASELINE, imported_from
from tests.support.configs import config_variant
from tests.support.processes import (
    REPO_ROOT,
    EchoUpstream,
    Proxy,
    _LoggedProcess,
    start_echo_upstream,
    start_litellm_proxy,
)
from tests.support.stack import pool_env

VARIANTS = ("with", "without")
CONTROL = "control"  # a second proxy without the plugin: the A/A comparison shows the noise floor
PLUGIN_LOADED = "plugin loaded"
PLUGIN_LOG_SECONDS = 15.0
DECISION_MS = re.compile(r"ROUTING DECISION .*? decision_ms=([0-9.]+)")
# Variables that would make the two proxies differ (shared Redis for the plugin only).
UNSHARED_ENV = ("REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD")
PROXY_WATCH = Path(__file__).resolve().parent / "proxy_watch"  # its sitecustomize: full collections, hook clocks


class FastUpstream(EchoUpstream):
    """`python -m bench.upstream`: the echo upstream's formats, fixed tiny answers."""

    def __init__(self, port: int, env: dict[str, str]) -> None:
        args = [sys.executable, "-m", "bench.upstream", "--host", "127.0.0.1", "--port", str(port)]
        _LoggedProcess.__init__(self, args, env, "bench-upstream")
        self.url = ""


def start_upstream(kind: str, timeout: float = 20.0) -> EchoUpstream:
    """"fast" (bench.upstream) or "echo" (the repo's echo upstream), ready to answer."""
    if kind == "echo":
        return start_echo_upstream(timeout=timeout)
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[1])
    env["PYTHONPATH"] = os.pathsep.join(p for p in (root, env.get("PYTHONPATH", "")) if p)
    env["PYTHONUNBUFFERED"] = "1"
    upstream = FastUpstream(0, env)
    upstream.wait_until(upstream._ready, timeout, "bench upstream")
    return upstream


def _floor_plugin(document: dict[str, Any]) -> None:
    # A list, as in config_final.yaml: a single string would replace LiteLLM's own callbacks (its
    # budget limiter among them), and the floor proxy would do less work than the one without a plugin.
    document.setdefault("litellm_settings", {})["callbacks"] = ["bench.floor_plugin.instance"]


def _without_plugin(document: dict[str, Any]) -> None:
    settings = document.get("litellm_settings") or {}
    settings.pop("callbacks", None)
    document["litellm_settings"] = settings


PLUGINS = ("vibe-router", "floor")  # what the proxy "with" a plugin loads (floor: bench/floor_plugin.py)
# --capture: two more proxies with vibe-router, capture turned off by `enabled: false` and on at sample 1.0
CAPTURE_OFF, CAPTURE_ON = "capture_off", "capture"
# bench.hook_cost --capture --stream: both with a Redis (sessions there too), capture off and on into a stream
CAPTURE_OFF_REDIS, CAPTURE_STREAM = "capture_off_redis", "capture_stream"
REDIS_VARIANTS = (CAPTURE_OFF_REDIS, CAPTURE_STREAM)
# --baseline-tree: one more proxy with vibe-router, from another checkout (BASELINE, its own config_final.yaml)
# the variants that load vibe-router (or the floor plugin)
PLUGGED = ("with", CAPTURE_OFF, CAPTURE_ON, *REDIS_VARIANTS, BASELINE)
CAPTURE_MAX_BYTES = 4_000_000_000  # room for every record of a run, so the files count them all
STREAM_KEY, STREAM_MAX_RECORDS = "vibe-bench:capture", 1000  # ~80 MB of records kept in the Redis


def _capture(section: dict[str, Any]) -> Callable[[dict[str, Any]], None]:
    def change(document: dict[str, Any]) -> None:
        document["vibe_router"]["capture"] = {"sample": 1.0, **section}
    return change


def capture_directory(directory: Path, variant: str) -> Path:
    return directory / "records" / variant


def captured_records(directory: Path, variant: str) -> int:
    """The records a capture proxy has written so far (lines of its JSONL files)."""
    return sum(len(path.read_bytes().splitlines()) for path in capture_directory(directory, variant).glob("*.jsonl"))


def write_configs(directory: Path, control: bool = False, plugin: str = PLUGINS[0],
                  capture: bool = False, stream: bool = False, baseline: Path | None = None) -> dict[str, Path]:
    """variant -> config file: config_final.yaml as is (or with the floor plugin), and without the callbacks entry.

    `capture`: also vibe-router with a capture section turned off, and with capture on (sample 1.0, a directory).
    `stream`: also the two REDIS_VARIANTS (capture off, and on into a Redis stream).
    `baseline`: also another checkout's config_final.yaml, as it is there.
    """
    configs = {
        "with": config_variant(directory, _floor_plugin if plugin == "floor" else lambda document: None,
                               "with_plugin.yaml"),
        "without": config_variant(directory, _without_plugin, "without_plugin.yaml"),
    }
    if control:
        configs[CONTROL] = config_variant(directory, _without_plugin, "control_without_plugin.yaml")
    sections: dict[str, dict[str, Any]] = {}
    if capture:
        sections = {variant: {"enabled": enabled, "directory": str(capture_directory(directory, variant)),
                              "max_bytes": CAPTURE_MAX_BYTES}
                    for variant, enabled in ((CAPTURE_OFF, False), (CAPTURE_ON, True))}
    if stream:
        sections[CAPTURE_OFF_REDIS] = {"enabled": False}
        sections[CAPTURE_STREAM] = {"enabled": True, "redis_stream": STREAM_KEY, "max_records": STREAM_MAX_RECORDS}
    for variant, section in sections.items():
        configs[variant] = config_variant(directory, _capture(section), f"{variant}.yaml")
    if baseline is not None:
        configs[BASELINE] = config_variant(directory, lambda document: None, "baseline.yaml",
                                           source=baseline / "config_final.yaml")
    return configs


@dataclass
class Stack:
    upstream: EchoUpstream
    proxies: dict[str, Proxy]
    gc_logs: Path | None = None  # where the proxies log their full garbage collections
    clocks: Path | None = None  # where the proxies' hook clocks write their totals (bench.hook_cost)

    def full_collections(self, variant: str, processes: list[int] | None = None) -> tuple[int, float, float]:
        """How many full garbage collections a proxy has done so far, their CPU seconds and their wall seconds.

        `processes`: the proxy's pid and its descendants, when the caller has listed them already.
        """
        if self.gc_logs is None:
            return 0, 0.0, 0.0
        count, cpu, wall = 0, 0.0, 0.0
        for pid in processes if processes is not None else descendants(self.proxies[variant].process.pid):
            try:
                lines = [[float(value) for value in line.split()] for line in
                         (self.gc_logs / f"{pid}.log").read_text().splitlines() if line.strip()]
            except (OSError, ValueError):
                continue
            count += len(lines)
            cpu += sum(line[0] for line in lines)
            wall += sum(line[-1] for line in lines)
        return count, cpu, wall

    def hook_clocks(self, variant: str) -> dict[str, list[int]]:
        """A proxy's hook clocks so far, {label: [CPU nanoseconds, calls]}, summed over its processes."""
        summed: dict[str, list[int]] = {}
        for pid in descendants(self.proxies[variant].process.pid) if self.clocks is not None else ():
            try:
                found = json.loads((self.clocks / f"{pid}.json").read_text())
            except (OSError, ValueError):
                continue
            for label, (nanoseconds, calls) in found.items():
                total = summed.setdefault(label, [0, 0])
                total[0] += nanoseconds
                total[1] += calls
        return summed

    def stop(self) -> None:
        for proxy in self.proxies.values():
            proxy.stop()
        self.upstream.stop()


def start_stack(directory: Path, upstream_kind: str, workers: int = 1, control: bool = False,
                timeout: float = 180, hook_clocks: bool = False, plugin: str = PLUGINS[0],
                capture: bool = False, only: tuple[str, ...] = (), redis_env: dict[str, str] | None = None,
                baseline: Path | None = None) -> Stack:
    """The upstream and the proxies (started side by side), with identical environments.

    `hook_clocks`: every proxy times its hook dispatchers (bench/proxy_watch/vibe_bench_hook_clock.py).
    `plugin`: what the proxy "with" the plugin loads (PLUGINS). `capture`: the two capture proxies too.
    `redis_env`: the REDIS_VARIANTS too, with these variables (theirs alone). `only`: just these variants.
    `baseline`: one more proxy with vibe-router, whose code and config come from that checkout.
    """
    for name in UNSHARED_ENV:
        os.environ.pop(name, None)
    upstream = start_upstream(upstream_kind)
    configs = write_configs(directory, control, plugin, capture, redis_env is not None, baseline)
    started = {variant: path for variant, path in configs.items() if not only or variant in only}
    roots = {variant: baseline if variant == BASELINE and baseline is not None else REPO_ROOT for variant in configs}
    gc_logs = directory / "gc"
    gc_logs.mkdir(exist_ok=True)
    env = {**pool_env(SimpleNamespace(url=upstream.url)), "VIBE_ROUTER_CONFIG": str(configs["with"]),
           "PYTHONPATH": os.pathsep.join(p for p in (str(PROXY_WATCH), os.environ.get("PYTHONPATH", "")) if p),
           "VIBE_BENCH_GC_DIR": str(gc_logs)}
    clocks = directory / "clocks" if hook_clocks else None
    if clocks is not None:
        clocks.mkdir(exist_ok=True)
        env["VIBE_BENCH_CLOCK_DIR"] = str(clocks)
    env["DEFAULT_NUM_WORKERS_LITELLM_PROXY"] = str(workers)  # litellm's --num_workers default
    redis = redis_env or {}
    proxies: dict[str, Proxy] = {}
    try:
        with ThreadPoolExecutor(len(started)) as pool:
            # The plugin reads its section from VIBE_ROUTER_CONFIG: each plugin proxy its own file.
            futures = {variant: pool.submit(start_litellm_proxy, path, timeout=timeout, root=roots[variant],
                                            env={**env, **(redis if variant in REDIS_VARIANTS else {}),
                                                 "VIBE_ROUTER_CONFIG": str(path)
                                                 if variant in PLUGGED else str(configs["with"])})
                       for variant, path in started.items()}
            errors = []
            for variant, future in futures.items():
                try:
                    proxies[variant] = future.result()
                except Exception as error:  # report both failures, stop what did start
                    errors.append(f"{variant}: {error}")
            if errors:
                raise RuntimeError("proxy start failed: " + "\n".join(errors))
    except BaseException:
        Stack(upstream, proxies).stop()
        raise
    stack = Stack(upstream, proxies, gc_logs, clocks)
    deadline = time.monotonic() + PLUGIN_LOG_SECONDS  # a loaded host may answer health before the line is read
    while True:
        loaded = {variant: PLUGIN_LOADED in proxy.log_text() for variant, proxy in proxies.items()}
        if all(loaded[v] for v in proxies if v in PLUGGED) or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    if loaded != {variant: variant in PLUGGED for variant in proxies}:
        stack.stop()
        raise RuntimeError(f"expected the plugin loaded only in 'with', got {loaded}")
    for variant in proxies.keys() & PLUGGED:  # each plugin proxy's environment imports its checkout's vibe_router
        found = imported_from(proxy_environment(proxies[variant].process.pid), roots[variant])
        if found != roots[variant] / "vibe_router":
            stack.stop()
            raise RuntimeError(f"the {variant} proxy imports vibe_router from {found}, not from {roots[variant]}")
    return stack


def proxy_environment(pid: int) -> dict[str, str]:
    """The environment a process was started with (/proc/PID/environ)."""
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode(errors="replace").split("=", 1) for entry in entries if b"=" in entry)


def descendants(pid: int) -> list[int]:
    """`pid` and every process below it (uvicorn workers, if any)."""
    parents: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            parents[int(entry.name)] = int(stat.rsplit(")", 1)[1].split()[1])
    found, frontier = [pid], [pid]
    while frontier:
        children = [child for child, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def rss_mb(pid: int) -> float:
    """VmRSS of a process and its descendants, in MB (MiB)."""
    total_kb = 0
    for each in descendants(pid):
        try:
            status = Path(f"/proc/{each}/status").read_text()
        except OSError:
            continue
        match = re.search(r"^VmRSS:\s+(\d+) kB", status, re.MULTILINE)
        total_kb += int(match.group(1)) if match else 0
    return round(total_kb / 1024, 1)


def decision_ms(proxy: Proxy, since: int = 0) -> list[float]:
    """`decision_ms` of the ROUTING DECISION lines the proxy logged after character `since`."""
    return [float(value) for value in DECISION_MS.findall(proxy.log_text()[since:])]
