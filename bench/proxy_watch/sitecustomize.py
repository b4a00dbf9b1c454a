"""Imported at start-up by every proxy the benchmarks start (their PYTHONPATH names this
directory). Each watcher stays off unless its variable is set:

- VIBE_BENCH_GC_DIR: every full garbage collection is logged (vibe_bench_full_collections.py);
- VIBE_BENCH_CLOCK_DIR: LiteLLM's hook dispatchers and vibe-router's hooks are timed
  (vibe_bench_hook_clock.py, for `bench.hook_cost`).
"""

import os

if os.environ.get("VIBE_BENCH_GC_DIR"):
    import vibe_bench_full_collections  # noqa: F401
if os.environ.get("VIBE_BENCH_CLOCK_DIR"):
    import vibe_bench_hook_clock

    vibe_bench_hook_clock.install(os.environ["VIBE_BENCH_CLOCK_DIR"])
