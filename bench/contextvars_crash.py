"""Does a Python interpreter have CPython's contextvars crash (python/cpython#148891)?

    .venv-dev/bin/python -m bench.contextvars_crash [--python PATH ...]

On CPython 3.11 and older the garbage collector can run inside `ContextVar.set`, while the new
context map is being built. A finalizer that sets a ContextVar of the same context then frees
the map the first `set` is still walking, and the process dies (SIGSEGV in libpython's
`hamt_node_bitmap_assoc`). LiteLLM resets ContextVars in `finally` blocks of coroutines, which
run when the collector closes an abandoned coroutine, so a LiteLLM proxy on such a Python can
die under load, whatever plugins it runs. CPython 3.12 and later collect only between
bytecodes and cannot get there. This runs a small program that provokes the crash in a child
interpreter for each Python given (default: this one) and says which survived.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys

PROGRAM = """
import contextvars, gc, sys
gc.set_threshold(20, 10, 10)
VARS = [contextvars.ContextVar(f"v{i}") for i in range(2000)]

class Cycle:  # garbage only the cyclic collector frees: its finalizer runs inside whatever allocation starts it
    def __init__(self):
        self.me = self
    def __del__(self):
        for var in VARS[::97]:
            var.set([1, 2])  # replaces the context's map while the interrupted set may still walk the old one
        [[j] for j in range(50)]  # reuses the freed memory

def main():
    for var in VARS:
        var.set(0)
    for i in range(300_000):
        Cycle()
        VARS[(i * 7) % 2000].set((i,))

contextvars.copy_context().run(main)
print(sys.version.split()[0])
"""
TIMEOUT_SECONDS = 120


def check(python: str) -> tuple[str, str]:
    """(version or "?", "survived" | "crashed (signal N)" | what else happened) for one interpreter."""
    try:
        done = subprocess.run([python, "-c", PROGRAM], capture_output=True, text=True, timeout=TIMEOUT_SECONDS)
    except (OSError, subprocess.TimeoutExpired) as error:
        return "?", f"not run: {error}"
    version = subprocess.run([python, "-c", "import sys; print(sys.version.split()[0])"], capture_output=True,
                             text=True, timeout=60).stdout.strip() or "?"
    if done.returncode == 0:
        return version, "survived"
    if done.returncode < 0:
        return version, f"crashed ({signal.Signals(-done.returncode).name})"
    return version, f"exited {done.returncode}: {done.stderr.strip()[-200:]}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.contextvars_crash", description=__doc__.splitlines()[0])
    parser.add_argument("--python", action="append", help="an interpreter to check (repeatable; default: this one)")
    args = parser.parse_args(argv)
    crashed = False
    for python in args.python or [sys.executable]:
        version, outcome = check(python)
        crashed = crashed or outcome.startswith("crashed")
        print(f"{python} (Python {version}): {outcome}")
    if crashed:
        print("A LiteLLM proxy on a Python that crashed here can die under load: run it on CPython 3.12 or later "
              "(docs/troubleshooting.md).")
    return 1 if crashed else 0


if __name__ == "__main__":
    sys.exit(main())
