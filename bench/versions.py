"""This checkout against another one (`--baseline-tree DIR`), measured in the same run.

Two versions of `vibe_router` cannot share one process, and an older checkout's benchmark
code may differ (before the package split its tools lived under vibe_router/). So the code
that measures is always this checkout's, and only `vibe_router` comes from the tree being
measured: a child process gets a directory holding nothing but a link to that tree's
vibe_router/ first on its PYTHONPATH (`router_path`), and a proxy runs with the tree as its
root (`bench.stack`). Rounds alternate A B B A so a drift of the host's speed falls on both.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CURRENT, BASELINE = "current", "baseline"


def baseline_tree(text: str) -> Path:
    """argparse type of --baseline-tree: a checkout with vibe_router/ and config_final.yaml."""
    tree = Path(text).resolve()
    missing = [name for name in ("vibe_router/__init__.py", "config_final.yaml") if not (tree / name).is_file()]
    if missing:
        raise argparse.ArgumentTypeError(f"{tree} is not a vibe-router checkout (no {', '.join(missing)}); "
                                         "make one with: git worktree add --detach /tmp/base <commit>")
    return tree


def abba(rounds: int) -> Iterator[tuple[int, str]]:
    """(round, tree) in the order they run: baseline, current; current, baseline; ..."""
    for index in range(rounds):
        pair = (BASELINE, CURRENT) if index % 2 == 0 else (CURRENT, BASELINE)
        for tree in pair:
            yield index, tree


@contextmanager
def router_path(tree: Path) -> Iterator[str]:
    """A PYTHONPATH whose first entry holds only `tree`'s vibe_router/, then this checkout (its bench code)."""
    with tempfile.TemporaryDirectory(prefix="vibe-router-tree-") as directory:
        (Path(directory) / "vibe_router").symlink_to(tree / "vibe_router", target_is_directory=True)
        yield os.pathsep.join((directory, str(ROOT)))


def imported_from(env: dict[str, str], cwd: Path) -> Path:
    """Where a Python started with `env` in `cwd` imports vibe_router from (its package directory, resolved).

    `-P`: the working directory is not put on the path, as for a console script such as `litellm`.
    """
    found = subprocess.run([sys.executable, "-P", "-c", "import vibe_router; print(vibe_router.__file__)"], cwd=cwd,
                           env=env, capture_output=True, text=True, check=True, timeout=60)
    return Path(found.stdout.strip()).resolve().parent


def tree_commit(tree: Path) -> str:
    """The commit a checkout has out (short), marked when its tracked files differ from it."""
    def git(*args: str) -> str:
        return subprocess.run(["git", "-C", str(tree), *args], capture_output=True, text=True, timeout=30).stdout

    commit = git("rev-parse", "--short", "HEAD").strip() or "unknown"
    return commit + (" with uncommitted changes" if git("status", "--porcelain", "--untracked-files=no").strip()
                     else "")
