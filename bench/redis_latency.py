"""How long the session store's Redis call takes on this host, idle and with its cores busy.

The number `vibe_router.redis.timeout_ms` has to beat: a timeout shorter than what Redis
actually does turns slow answers into decisions made without the shared state.

    python -m bench.redis_latency --calls 20000 --burners 4

starts its own redis-server (or uses --port), runs `--concurrency` callers of the
session script through redis.asyncio (as the plugin does), with `--burners` busy
processes competing for the CPU, and prints percentiles in milliseconds as JSON.

Measured on the 2-core development host (20,000 calls, 8 callers, 2026-12-07), in ms:
    burners   p50    p99   p99.9    max
    0         1.1    9.4    13.6   16.8
    4         2.1   32.3    52.2  118.8
    8         7.9   58.1    94.5  171.1
The shipped timeout (250 ms) is above the highest maximum with room to spare.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing
import shutil
import subprocess
import sys
import time
from typing import Any

import redis
import redis.asyncio as redis_asyncio

from tests.support.processes import free_port
from vibe_router.sessions import APPLY_TIER_SCRIPT
from vibe_router_tools.percentile import percentile


def burn(stop: Any) -> None:
    while not stop.is_set():
        sum(range(10_000))


async def measure(port: int, calls: int, concurrency: int) -> list[float]:
    client = redis_asyncio.Redis(host="127.0.0.1", port=port, socket_timeout=10)
    script = client.register_script(APPLY_TIER_SCRIPT)
    latencies: list[float] = []

    async def caller(worker: int) -> None:
        for index in range(worker, calls, concurrency):
            started = time.perf_counter()
            await script(keys=[f"bench:{index % 500}", "bench:epoch"], args=["max", index % 2, 60, -1, "bench"])
            latencies.append((time.perf_counter() - started) * 1000)

    await asyncio.gather(*(caller(worker) for worker in range(concurrency)))
    await client.aclose()
    return latencies


def percentiles(values: list[float]) -> dict[str, float]:
    def at(share: float) -> float:
        return round(percentile(values, share), 2)

    return {"calls": len(values), "p50": at(0.5), "p99": at(0.99), "p99.9": at(0.999), "max": round(max(values), 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=20_000)
    parser.add_argument("--concurrency", type=int, default=8)
    parser.add_argument("--burners", type=int, default=0, help="busy processes competing for the CPU")
    parser.add_argument("--port", type=int, help="an existing redis-server without a password (default: start one)")
    args = parser.parse_args(argv)
    server = None
    port = args.port
    if port is None:
        port = free_port()
        server = subprocess.Popen([shutil.which("redis-server") or "redis-server", "--port", str(port), "--bind",
                                   "127.0.0.1", "--save", "", "--appendonly", "no"], stdout=subprocess.DEVNULL)
        for _ in range(100):
            try:
                redis.Redis(port=port).ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
    stop = multiprocessing.Event()
    burners = [multiprocessing.Process(target=burn, args=(stop,), daemon=True) for _ in range(args.burners)]
    for process in burners:
        process.start()
    try:
        result = percentiles(asyncio.run(measure(port, args.calls, args.concurrency)))
    finally:
        stop.set()
        for process in burners:
            process.join(timeout=5)
        if server is not None:
            server.kill()
    print(json.dumps({"burners": args.burners, "concurrency": args.concurrency,
                      "cpus": multiprocessing.cpu_count(), **result}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
