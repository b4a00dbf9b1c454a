"""Instructions per routing decision, counted by valgrind's callgrind: a figure the host's noise cannot move.

    .venv-dev/bin/python -m bench.instructions [--rounds 20]

`Policy.decide` runs over the decision benchmark's corpus (bench.bodies) once to warm up,
then `--rounds` more times; callgrind counts the instructions of a run with rounds and of one
without, and the difference over the decisions made is printed as JSON. Run it in two
checkouts (e.g. `git worktree add /tmp/base <commit>`) to compare code: the wall clock on a
shared 2-core host varies by tens of percent, the instruction count by well under one.
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

ROOT = Path(__file__).resolve().parents[1]


def decide(rounds: int) -> None:
    """A warm-up round over the corpus, then `rounds` more."""
    from bench.bodies import corpus
    from vibe_router.config import load_config
    from vibe_router.policy import Policy

    policy = Policy(load_config(ROOT / "config_final.yaml"))
    items = [(endpoint, body) for _, endpoint, body in corpus()]
    for _ in range(rounds + 1):
        for endpoint, body in items:
            policy.decide(endpoint, body)


def counted(rounds: int) -> int:
    """Instructions of a whole `--inner` run, by callgrind."""
    with tempfile.TemporaryDirectory() as work:
        env = {**os.environ, "PYTHONHASHSEED": "0", "PYTHONPATH": str(ROOT)}
        done = subprocess.run(["valgrind", "--tool=callgrind", f"--callgrind-out-file={work}/out",
                               sys.executable, "-m", "bench.instructions", "--inner", str(rounds)],
                              cwd=ROOT, env=env, capture_output=True, text=True, check=True)
    found = re.search(r"Collected : (\d+)", done.stderr)
    if found is None:
        raise RuntimeError(f"callgrind printed no count:\n{done.stderr[-2000:]}")
    return int(found.group(1))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.instructions", description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20, help="timed rounds over the corpus (20)")
    parser.add_argument("--inner", type=int, help=argparse.SUPPRESS)  # the run callgrind counts
    args = parser.parse_args(argv)
    if args.inner is not None:
        decide(args.inner)
        return 0
    if shutil.which("valgrind") is None:
        raise SystemExit("bench.instructions: valgrind is missing (Debian: apt-get install -y valgrind)")
    from bench.bodies import corpus

    base, full = counted(0), counted(args.rounds)
    decisions = args.rounds * len(corpus())
    print(json.dumps({"decisions": decisions, "instructions_per_decision": round((full - base) / decisions),
                      "startup_instructions": base, "root": str(ROOT)}))
    return 0


if __name__ == "__main__":
    sys.exit(main())
