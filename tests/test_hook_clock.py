"""The hook clocks bench.hook_cost loads into its proxies (bench/proxy_watch/vibe_bench_hook_clock.py)."""

from __future__ import annotations

import asyncio
import importlib.util
import inspect
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from types import ModuleType

from bench.stack import PROXY_WATCH
from tests.support.processes import REPO_ROOT

BURN_SECONDS = 0.05


def load_clock() -> ModuleType:
    """A fresh copy of the module, so each test starts from empty totals."""
    spec = importlib.util.spec_from_file_location("hook_clock_under_test", PROXY_WATCH / "vibe_bench_hook_clock.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def burn(seconds: float) -> None:
    end = time.thread_time() + seconds
    while time.thread_time() < end:
        pass


def test_a_function_is_charged_its_cpu() -> None:
    clock = load_clock()
    timed = clock.timed(burn, "label")
    timed(BURN_SECONDS)
    nanoseconds, calls = clock.totals()["label"]
    assert calls == 1 and nanoseconds >= BURN_SECONDS * 1e9 * 0.9


def test_a_coroutine_is_charged_only_while_it_runs() -> None:
    """While it waits, the thread runs other work (another request): that is not its own."""
    clock = load_clock()

    async def waits() -> str:
        await asyncio.sleep(0.01)
        burn(BURN_SECONDS / 10)
        await asyncio.sleep(0.01)
        return "done"

    async def other_work() -> None:
        await asyncio.sleep(0.001)
        burn(BURN_SECONDS)

    async def both() -> str:
        result, _ = await asyncio.gather(clock.timed(waits, "waits")(), other_work())
        return result

    assert asyncio.run(both()) == "done"
    nanoseconds, calls = clock.totals()["waits"]
    assert calls == 1
    assert BURN_SECONDS / 10 * 1e9 * 0.9 <= nanoseconds < BURN_SECONDS * 1e9 / 2


def test_exceptions_and_cancellation_pass_through_and_are_charged() -> None:
    clock = load_clock()

    async def fails() -> None:
        await asyncio.sleep(0)
        raise KeyError("x")

    async def sleeps() -> None:
        await asyncio.sleep(10)

    async def run() -> tuple[bool, bool]:
        try:
            await clock.timed(fails, "fails")()
        except KeyError:
            failed = True
        task = asyncio.ensure_future(clock.timed(sleeps, "sleeps")())
        await asyncio.sleep(0.01)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            return failed, True
        return failed, False

    assert asyncio.run(run()) == (True, True)
    assert clock.totals()["fails"][1] == 1 and clock.totals()["sleeps"][1] == 1


def test_the_wrapped_signature_stays_visible() -> None:
    """LiteLLM inspects a callback's headers hook for `litellm_call_info` before it calls it."""
    clock = load_clock()

    async def hook(data: dict, user_api_key_dict: object, response: object, litellm_call_info: object = None) -> None:
        return None

    wrapped = clock.timed(hook, "hook")
    assert "litellm_call_info" in inspect.signature(wrapped).parameters
    assert inspect.iscoroutinefunction(wrapped)


def test_collections_are_timed_apart_from_the_hooks_they_interrupt() -> None:
    clock = load_clock()
    import gc

    gc.callbacks.append(clock._on_collection)
    try:
        def collects() -> None:
            garbage = [[] for _ in range(100_000)]
            for item in garbage:
                item.append(item)
            del garbage
            gc.collect()

        clock.timed(collects, "collects")()
    finally:
        gc.callbacks.remove(clock._on_collection)
    totals = clock.totals()
    assert totals["gc:full collections"][1] >= 1
    assert totals["gc:full collections"][0] > 0


def test_a_proxy_process_times_the_named_methods_once_imported(tmp_path: Path) -> None:
    """Through the sitecustomize, as in the proxies: the modules are wrapped when they are imported."""
    script = (
        "import time, vibe_router.logs as logs, vibe_router.router as router\n"
        "logs._handler.write_pending()\n"
        "print(hasattr(router.Router.flush_counters, '__wrapped__'))\n"
        "time.sleep(0.6)\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join((str(PROXY_WATCH), str(REPO_ROOT))),
           "VIBE_BENCH_CLOCK_DIR": str(tmp_path)}
    result = subprocess.run([sys.executable, "-c", script], env=env, capture_output=True, text=True, check=True,
                            timeout=60)
    assert result.stdout.split() == ["True"]
    (written,) = tmp_path.glob("*.json")
    totals = json.loads(written.read_text())
    assert totals["vibe_router:LineHandler.write_pending"][1] == 1
    unset = {**env, "VIBE_BENCH_CLOCK_DIR": ""}
    result = subprocess.run([sys.executable, "-c", script], env=unset, capture_output=True, text=True, check=True,
                            timeout=60, cwd=tmp_path)
    assert result.stdout.split() == ["False"]
