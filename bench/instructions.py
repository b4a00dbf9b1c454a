"""Instructions per routing decision, counted by valgrind's callgrind: a figure the host's noise cannot move.

    .venv-dev/bin/python -m bench.instructions [--rounds 20] [--baseline-tree DIR]

`Policy.decide` runs over the decision benchmark's corpus (bench.bodies) once to warm up,
then `--rounds` more times; callgrind counts the instructions of a run with rounds and of one
without, and the difference over the decisions made is printed as JSON. `--baseline-tree DIR`
(another checkout, e.g. `git worktree add --detach /tmp/base <commit>`) counts DIR's
vibe_router too, with DIR's config_final.yaml and this checkout's driver (bench.versions), and
prints the ratio: the wall clock on a shared 2-core host varies by tens of percent, the
instruction count by well under one.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from bench.versions import BASELINE, CURRENT, ROOT, baseline_tree, router_path, tree_commit


def decide(rounds: int, tree: Path) -> None:
    """A warm-up round over the corpus, then `rounds` more, with `tree`'s config (and the vibe_router on the path)."""
    from bench.bodies import corpus
    from vibe_router.config import load_config
    from vibe_router.policy import Policy

    policy = Policy(load_config(tree / "config_final.yaml"))
    items = [(endpoint, body) for _, endpoint, body in corpus()]
    for _ in range(rounds + 1):
        for endpoint, body in items:
            policy.decide(endpoint, body)


def counted(rounds: int, tree: Path) -> int:
    """Instructions of a whole `--inner` run with `tree`'s vibe_router, by callgrind."""
    with tempfile.TemporaryDirectory() as work, router_path(tree) as python_path:
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": python_path}
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={work}/out",
                               sys.executable, "-P", "-m", "bench.instructions", "--inner", str(rounds),
                               "--tree", str(tree)],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def per_decision(rounds: int, tree: Path) -> dict[str, object]:
    from bench.bodies import corpus

    base, full = counted(0, tree), counted(rounds, tree)
    decisions = rounds * len(corpus())
    return {"decisions": decisions, "instructions_per_decision": round((full - base) / decisions),
            "startup_instructions": base, "root": str(tree), "commit": tree_commit(tree)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds over the corpus (20)")
    parser.add_argument("--baseline-tree", type=baseline_tree, metavar="DIR",
                        help="also count DIR's vibe_router (another checkout) and print the ratio")
    parser.add_argument("--inner", type=int, help=argparse.SUPPRESS)  # the run callgrind counts
    parser.add_argument("--tree", type=Path, default=ROOT, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.inner is not None:
        decide(args.inner, args.tree)
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("bench.instructions: valgrind is missing (Debian: apt-get install -y valgrind)")
    current = per_decision(args.rounds, ROOT)
    if args.baseline_tree is None:
        print(json.dumps(current))
        return 0
    baseline = per_decision(args.rounds, args.baseline_tree)
    ratio = current["instructions_per_decision"] / baseline["instructions_per_decision"]  # type: ignore[operator]
    print(json.dumps({CURRENT: current, BASELINE: baseline, "current_over_baseline": round(ratio, 4)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
