"""`bench.decisions --baseline-tree DIR`: vibe-router's decision in this checkout against another's, same run.

Two versions of vibe_router cannot share a process, so each round starts one child process
per tree, in the order A B B A (bench.versions.abba). A child has that tree's vibe_router
first on its PYTHONPATH and this checkout's benchmark code after it (bench.versions.router_path);
it times vibe-router's contenders (bench.decisions.vibe_contenders and measure) over the
corpus with the tree's own config_final.yaml and prints each body's median. Ratio = the
baseline's time / the current tree's (above 1: the current tree is faster), per body kind
(endpoint) and over all bodies, each the geometric mean over its bodies of the pooled per-body
ratio, with a 95 % bootstrap interval over rounds.

    .venv-dev/bin/python -m bench.decisions --baseline-tree /tmp/base --rounds 30 --repeat 100 --clock cpu
"""

from __future__ import annotations

import argparse
import gc
import json
import math
import os
import statistics
import subprocess
import sys
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

from bench.decisions import CLOCKS, corpus_items, measure, vibe_contenders
from bench.intervals import bootstrap_ci, verdict
from bench.report import command_line, fmt, machine, write_outputs
from bench.versions import BASELINE, CURRENT, ROOT, abba, router_path, tree_commit

NAME = "decisions_baseline"
HEADLINE = "vibe_decision"
Round = dict[str, dict[str, list[float]]]  # tree -> contender -> median ns per body


def child(tree: Path, repeat: int, warmup: int, clock: str, body_bytes: int) -> dict[str, Any]:
    """In the child process: time the contenders with `tree`'s vibe_router (checked) and config."""
    import vibe_router

    found = Path(vibe_router.__file__).resolve().parent
    if found != tree / "vibe_router":
        raise SystemExit(f"bench.decisions_compare: vibe_router came from {found}, not from {tree}")
    config = tree / "config_final.yaml"
    items, _ = corpus_items(body_bytes, config)
    calls, notes = vibe_contenders(items, config)
    gc.collect()
    samples = measure(calls, repeat, warmup, math.inf, CLOCKS[clock])
    return {"medians_ns": {name: [statistics.median(values) for values in per_item]
                           for name, per_item in samples.items()},
            "bodies": [[item.name, item.endpoint, item.body_bytes] for item in items], "notes": notes}


def run_child(tree: Path, python_path: str, args: argparse.Namespace) -> dict[str, Any]:
    command = [sys.executable, "-P", "-m", "bench.decisions_compare", "--tree", str(tree), "--repeat", str(args.repeat),
               "--warmup", str(args.warmup), "--clock", args.clock, "--body-bytes", str(args.body_bytes)]
    env = {**os.environ, "PYTHONPATH": python_path, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, cwd=ROOT, env=env, capture_output=True, text=True, timeout=3600)
    if done.returncode != 0:
        raise RuntimeError(f"the child timing {tree} exited {done.returncode}:\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


def group_ratio(rounds: list[Round], name: str, bodies: list[int]) -> float | None:
    """Geometric mean over `bodies` of (sum of the baseline's medians / sum of the current tree's) over `rounds`."""
    logs = []
    for body in bodies:
        base = sum(r[BASELINE][name][body] for r in rounds)
        current = sum(r[CURRENT][name][body] for r in rounds)
        if not base or not current:
            return None
        logs.append(math.log(base / current))
    return math.exp(statistics.fmean(logs)) if logs else None


def ratios(rounds: list[Round], name: str, groups: dict[str, list[int]]) -> dict[str, Any]:
    """group -> the ratio, its 95 % interval over rounds and the verdict they allow."""
    out = {}
    for group, bodies in groups.items():
        ratio = group_ratio(rounds, name, bodies)
        ci = bootstrap_ci(rounds, lambda chosen, b=bodies: group_ratio(list(chosen), name, b))
        out[group] = {"ratio": None if ratio is None else round(ratio, 4), "ci95": ci, "verdict": verdict(ratio, ci)}
    return out


def summarize(rounds: list[Round], bodies: list[list[Any]]) -> dict[str, Any]:
    names = [name for name in rounds[0][CURRENT] if name in rounds[0][BASELINE]]
    kinds: dict[str, list[int]] = {}
    for index, (_, endpoint, _) in enumerate(bodies):
        kinds.setdefault(endpoint, []).append(index)
    per_kind = {name: ratios(rounds, name, {**kinds, "all bodies": list(range(len(bodies)))}) for name in names}
    per_body = []
    for index, (body, endpoint, size) in enumerate(bodies):
        found = ratios(rounds, HEADLINE, {body: [index]})[body]
        medians = {tree: round(statistics.median(r[tree][HEADLINE][index] for r in rounds) / 1000, 2)
                   for tree in (CURRENT, BASELINE)}
        per_body.append({"body": body, "endpoint": endpoint, "body_bytes": size, "median_us": medians, **found})
    spread = {tree: round(statistics.stdev(totals) / statistics.fmean(totals), 4) if len(totals) > 1 else None
              for tree in (CURRENT, BASELINE) for totals in [[sum(r[tree][HEADLINE]) for r in rounds]]}
    return {"contenders": names, "per_kind": per_kind, "per_body": per_body, "child_spread": spread}


def _interval(found: dict[str, Any]) -> str:
    ci = found["ci95"]
    return f"{fmt(found['ratio'], 3)} ({fmt(ci[0], 3)} … {fmt(ci[1], 3)})" if ci else f"{fmt(found['ratio'], 3)} (–)"


def markdown_table(results: dict[str, Any]) -> str:
    m, s, trees = results["machine"], results["settings"], results["trees"]
    names, per_kind = results["contenders"], results["per_kind"]
    groups = list(per_kind[names[0]])
    lines = [
        f"Measured with `{results['command']}` ({m['cpus']} CPUs, Python {m['python']}, {m['when'][:10]}): "
        f"the current tree ({trees[CURRENT]}) against the baseline tree ({trees[BASELINE]}), "
        f"{results['rounds']} rounds of one child process per tree in the order A B B A, each timing every contender "
        f"on {len(results['per_body'])} bodies {s['repeat']} times after {s['warmup']} warm-up rounds "
        f"({'thread CPU time' if s['clock'] == 'cpu' else 'wall-clock time'}), with its own tree's vibe_router and "
        "config_final.yaml. Ratio = the baseline's median time / the current tree's (above 1: the current tree is "
        "faster), per body kind the geometric mean over its bodies, with a 95 % bootstrap interval over rounds.",
        "",
        "| body kind | " + " | ".join(f"`{name}` ratio (95 % interval)" for name in names) + " |",
        "|---|" + "---|" * len(names),
    ]
    for group in groups:
        lines.append(f"| {group} | " + " | ".join(_interval(per_kind[name][group]) for name in names) + " |")
    lines += [""] + [f"- `{name}` over all bodies: {per_kind[name]['all bodies']['verdict']}." for name in names]
    spread = results["child_spread"]
    if spread[CURRENT] is not None:
        lines.append(f"- From one child process to the next, the total of `{HEADLINE}`'s medians over the bodies "
                     f"varies with a standard deviation of {100 * spread[CURRENT]:.1f} % (current) and "
                     f"{100 * spread[BASELINE]:.1f} % (baseline) of its mean: that spread sets the intervals' width.")
    slower = [row["body"] for row in results["per_body"] if row["ci95"] and row["ci95"][1] < 1]
    lines.append(f"- Bodies whose `{HEADLINE}` interval lies wholly below 1: "
                 f"{', '.join(slower) if slower else 'none'} (of {len(results['per_body'])}).")
    lines += ["", f"`{HEADLINE}` per body, median µs over rounds:", "",
              "| body | endpoint | KB | current µs | baseline µs | ratio (95 % interval) |",
              "|---|---|---|---|---|---|"]
    for row in results["per_body"]:
        lines.append(f"| {row['body']} | {row['endpoint']} | {row['body_bytes'] / 1000:.1f} "
                     f"| {fmt(row['median_us'][CURRENT])} | {fmt(row['median_us'][BASELINE])} | {_interval(row)} |")
    lines += [f"\n- {note}" for note in results["notes"]]
    return "\n".join(lines)


def compare(args: argparse.Namespace, argv: list[str], started: float) -> int:
    """The driver: alternating children, then the ratios, the table and the outputs."""
    trees = {CURRENT: ROOT, BASELINE: args.baseline_tree}
    rounds: dict[int, Round] = {}
    children: dict[int, dict[str, Any]] = {}
    with ExitStack() as stack:
        paths = {name: stack.enter_context(router_path(tree)) for name, tree in trees.items()}
        for index, name in abba(args.rounds):
            if time.monotonic() > started + args.max_seconds and index not in rounds:
                break
            found = run_child(trees[name], paths[name], args)
            children[index] = found
            rounds.setdefault(index, {})[name] = found["medians_ns"]
            print(f"round {index + 1}/{args.rounds}: {name} done", file=sys.stderr)
    complete = [r for r in rounds.values() if len(r) == 2]
    if not complete:
        raise SystemExit("bench.decisions --baseline-tree: no complete round within --max-seconds")
    first = next(iter(children.values()))
    settings = {"repeat": args.repeat, "warmup": args.warmup, "body_bytes": args.body_bytes, "clock": args.clock,
                "rounds": args.rounds, "baseline_tree": str(args.baseline_tree)}
    results = {"benchmark": NAME, "command": command_line("bench.decisions", argv), "machine": machine(),
               "settings": settings, "trees": {name: tree_commit(tree) for name, tree in trees.items()},
               "rounds": len(complete), **summarize(complete, first["bodies"]),
               "notes": sorted({note for found in children.values() for note in found["notes"]}),
               "per_round_median_ns": complete, "elapsed_s": round(time.monotonic() - started, 1)}
    write_outputs(args, NAME, results, markdown_table(results))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.decisions_compare", description=__doc__.splitlines()[0])
    parser.add_argument("--tree", type=Path, required=True, help="the checkout whose vibe_router this child times")
    parser.add_argument("--repeat", type=int, default=100)
    parser.add_argument("--warmup", type=int, default=20)
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall")
    parser.add_argument("--body-bytes", type=int, required=True)
    args = parser.parse_args(argv)
    print(json.dumps(child(args.tree.resolve(), args.repeat, args.warmup, args.clock, args.body_bytes)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
