"""Hook clocks for `bench.hook_cost`: the CPU a proxy spends in each place a plugin's code runs.

Times, in the running thread's CPU clock, LiteLLM's dispatchers of the hooks a CustomLogger
can define, vibe-router's own hooks inside them, vibe-router's batched writes (its log
lines and counters, which run outside any hook) and its capture writer's work per record
(in the writer's own thread). A coroutine is timed only while it runs:
while it waits, the thread runs other requests, and that time is not its own. Garbage
collections are timed on their own (young: generations 0 and 1; full: generation 2) and left
out of the hooks they interrupt: what a plugin allocates is collected later, anywhere. The
totals, {label: [nanoseconds, calls]}, go to `<directory>/<pid>.json` every WRITE_SECONDS.
"""

from __future__ import annotations

import functools
import gc
import importlib.abc
import inspect
import json
import os
import sys
import threading
import time
from collections.abc import Callable
from typing import Any

WRITE_SECONDS = 0.25
# module -> (class, method) pairs; a label is "module-root:Class.method".
TIMED = {
    "litellm.proxy.utils": [
        ("ProxyLogging", "pre_call_hook"),
        ("ProxyLogging", "during_call_hook"),
        ("ProxyLogging", "post_call_success_hook"),
        ("ProxyLogging", "post_call_response_headers_hook"),
    ],
    "litellm.litellm_core_utils.litellm_logging": [
        ("Logging", "async_success_handler"),
        ("Logging", "success_handler"),
    ],
    "vibe_router.plugin": [
        ("VibeRouter", "async_pre_call_hook"),
        ("VibeRouter", "async_post_call_response_headers_hook"),
        ("VibeRouter", "async_log_success_event"),
    ],
    "vibe_router.logs": [("LineHandler", "write_pending")],
    "vibe_router.router": [("Router", "flush_counters")],
    # the capture writer thread's work per record: serialise it, write it to each sink (bench.hook_cost --capture)
    "vibe_router.capture": [("Capture", "_write")],
}

_lock = threading.RLock()  # a collection may start inside `record` and record itself
_collections_ns: dict[int, int] = {}  # per thread: CPU its garbage collections took so far
_collection_started: dict[int, int] = {}
COLLECTION_LABELS = {0: "gc:young collections", 1: "gc:young collections", 2: "gc:full collections"}
# The collections' labels exist from the start: a collection never adds a key to a dict being copied.
_totals: dict[str, list[int]] = {label: [0, 0] for label in COLLECTION_LABELS.values()}


def now() -> int:
    """This thread's CPU clock in nanoseconds, less the garbage collections it has run."""
    return time.thread_time_ns() - _collections_ns.get(threading.get_ident(), 0)


def _on_collection(phase: str, info: dict[str, Any]) -> None:
    thread = threading.get_ident()
    if phase == "start":
        _collection_started[thread] = time.thread_time_ns()
        return
    spent = time.thread_time_ns() - _collection_started.pop(thread, time.thread_time_ns())
    _collections_ns[thread] = _collections_ns.get(thread, 0) + spent
    record(COLLECTION_LABELS.get(info.get("generation"), "gc:young collections"), spent)


def record(label: str, nanoseconds: int) -> None:
    with _lock:
        total = _totals.setdefault(label, [0, 0])
        total[0] += nanoseconds
        total[1] += 1


def totals() -> dict[str, list[int]]:
    with _lock:
        return {label: list(total) for label, total in _totals.items()}


class _Running:
    """Awaits a coroutine, adding up only the stretches in which it runs."""

    __slots__ = ("coroutine", "label")

    def __init__(self, coroutine: Any, label: str) -> None:
        self.coroutine, self.label = coroutine, label

    def __await__(self) -> Any:
        steps = self.coroutine.__await__()
        spent, value, error = 0, None, None
        while True:
            started = now()
            try:
                waiting = steps.throw(error) if error is not None else steps.send(value)
            except StopIteration as done:
                record(self.label, spent + now() - started)
                return done.value
            except BaseException:
                record(self.label, spent + now() - started)
                raise
            spent += now() - started
            try:
                value, error = (yield waiting), None
            except BaseException as thrown:  # cancellation and the like go on to the coroutine
                value, error = None, thrown


def timed(function: Callable[..., Any], label: str) -> Callable[..., Any]:
    """`function` with its CPU added to `label`; the signature stays visible to inspect."""
    if inspect.iscoroutinefunction(function):
        @functools.wraps(function)
        async def run_coroutine(*args: Any, **kwargs: Any) -> Any:
            return await _Running(function(*args, **kwargs), label)

        return run_coroutine

    @functools.wraps(function)
    def run(*args: Any, **kwargs: Any) -> Any:
        started = now()
        try:
            return function(*args, **kwargs)
        finally:
            record(label, now() - started)

    return run


def wrap_module(name: str, module: Any) -> None:
    for owner_name, method in TIMED.get(name, ()):
        owner = getattr(module, owner_name, None)
        if owner is not None and method in vars(owner):
            label = f"{name.split('.')[0]}:{owner_name}.{method}"
            setattr(owner, method, timed(vars(owner)[method], label))


class _AfterImport(importlib.abc.MetaPathFinder):
    """Wraps the TIMED modules as soon as they have been executed."""

    def find_spec(self, name: str, path: Any, target: Any = None) -> Any:
        if name not in TIMED:
            return None
        for finder in sys.meta_path:
            if finder is self or not hasattr(finder, "find_spec"):
                continue
            spec = finder.find_spec(name, path, target)
            if spec is not None and spec.loader is not None and hasattr(spec.loader, "exec_module"):
                execute = spec.loader.exec_module

                def exec_module(module: Any, execute: Callable[[Any], None] = execute) -> None:
                    execute(module)
                    wrap_module(name, module)

                spec.loader.exec_module = exec_module
                return spec
        return None


def _write_forever(directory: str) -> None:
    path = os.path.join(directory, f"{os.getpid()}.json")
    while True:
        time.sleep(WRITE_SECONDS)
        text = json.dumps(totals())
        with open(path + ".tmp", "w", encoding="utf-8") as out:
            out.write(text)
        os.replace(path + ".tmp", path)


def install(directory: str) -> None:
    """Time the TIMED methods (of modules already imported, and of those imported later)."""
    for name in TIMED:
        if name in sys.modules:
            wrap_module(name, sys.modules[name])
    sys.meta_path.insert(0, _AfterImport())
    gc.callbacks.append(_on_collection)
    threading.Thread(target=_write_forever, args=(directory,), name="vibe-bench-hook-clock", daemon=True).start()
