"""Imported by the sitecustomize of every proxy the benchmarks start, when VIBE_BENCH_GC_DIR is
set: each full garbage collection (of the oldest generation) appends its CPU seconds and its
wall-clock seconds, one line, to `<VIBE_BENCH_GC_DIR>/<pid>.log`.

Full collections of LiteLLM's heap take about half a second and come every few hundred
requests, in every proxy; where they land moves a proxy's CPU per request by as much as the
plugin costs. The log lets the benchmark report CPU per request and requests per second outside
them, and how often each proxy paid for one.
"""

import gc
import os
import time

_DIRECTORY = os.environ.get("VIBE_BENCH_GC_DIR")
_started = [0.0, 0.0]


def _full_collections(phase: str, info: dict) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _started[:] = time.thread_time(), time.perf_counter()
        return
    cpu, wall = time.thread_time() - _started[0], time.perf_counter() - _started[1]
    with open(os.path.join(_DIRECTORY, f"{os.getpid()}.log"), "a") as log:
        log.write(f"{cpu:.6f} {wall:.6f}\n")


if _DIRECTORY:
    gc.callbacks.append(_full_collections)
