"""Imported by the sitecustomize of every proxy the benchmarks start, when VIBE_BENCH_GC_DIR is
set: each full garbage collection (of the oldest generation) appends its CPU seconds, one line,
to `<VIBE_BENCH_GC_DIR>/<pid>.log`.

Full collections of LiteLLM's heap take about half a second and come every few hundred
requests, in every proxy; where they land moves a proxy's CPU per request by more than the
plugin costs. The log lets the benchmark report CPU per request outside them, and how often
each proxy paid for one.
"""

import gc
import os
import time

_DIRECTORY = os.environ.get("VIBE_BENCH_GC_DIR")
_started = [0.0]


def _full_collections(phase: str, info: dict) -> None:
    if info.get("generation") != 2:
        return
    if phase == "start":
        _started[0] = time.thread_time()
        return
    with open(os.path.join(_DIRECTORY, f"{os.getpid()}.log"), "a") as log:
        log.write(f"{time.thread_time() - _started[0]:.6f}\n")


if _DIRECTORY:
    gc.callbacks.append(_full_collections)
