"""Decision latency on one corpus: vibe-router's decision, its scorers, LiteLLM's heuristic.

    .venv-dev/bin/python -m bench.decisions [--repeat N] [--json out.json] [--profile]

Every contender runs on the same request bodies (the test fixtures, synthetic chat turns
from 2 to 20,000 characters, and the ~80 KB agent bodies of the overhead benchmark), in
one process, interleaved call by call with a rotating order so all share the same noise.
Times are time.perf_counter_ns per call after a warm-up (`--clock cpu`: the thread's CPU time,
which other processes competing for the cores do not inflate); LiteLLM's heuristic (the pure,
offline `ComplexityRouter.classify` of litellm.router_strategy.complexity_router) is the
baseline of the ratios. Timings are never asserted.
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import io
import os
import pstats
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bench.bodies import DEFAULT_BODY_BYTES, corpus, encoded_size
from bench.report import RESULTS_DIR, add_output_arguments, command_line, fmt, machine, write_outputs
from bench.versions import baseline_tree
from vibe_router_tools.percentile import percentile

NAME = "decisions"
CONFIG = Path(__file__).resolve().parents[1] / "config_final.yaml"
BASELINE = "litellm_classify"
LONG_TURN = "chat_turn_4000"
DESCRIPTIONS = {
    "vibe_decision": "vibe-router `Policy.decide(endpoint, body)`: turn extraction + the configured score + tier",
    "vibe_heuristic": "vibe-router heuristic scorer alone (config_final.yaml's keywords), on the prepared turn view",
    "vibe_learned": "vibe-router learned scorer alone, on the prepared turn view",
    "vibe_gain": "vibe-router gain scorer alone, on the prepared turn view",
    "litellm_classify": "LiteLLM complexity heuristic `ComplexityRouter.classify(text)` on the same turn text",
    "litellm_extract_classify": "LiteLLM: newest ask from the messages (its extraction) + `classify`",
}

Call = Callable[[], object]


@dataclass(frozen=True)
class Item:
    name: str
    endpoint: str
    body: dict[str, Any]
    body_bytes: int
    turn_chars: int


def corpus_items(body_bytes: int, config: Path = CONFIG) -> tuple[list[Item], list[str]]:
    """The corpus as Items, and the text of each one's turn (as the policy of `config` reads it)."""
    from vibe_router.config import load_config
    from vibe_router.policy import Policy

    policy = Policy(load_config(config))
    items, texts = [], []
    for name, endpoint, body in corpus(body_bytes):
        text = policy.view(endpoint, body).text
        items.append(Item(name, endpoint, body, encoded_size(body), len(text)))
        texts.append(text)
    return items, texts


def vibe_contenders(items: list[Item], config: Path = CONFIG) -> tuple[dict[str, list[Call]], list[str]]:
    """contender -> one call per corpus item, and notes (e.g. a scorer that is missing)."""
    from vibe_router.config import load_config
    from vibe_router.policy import Policy
    from vibe_router.scoring import build_scorer

    policy = Policy(load_config(config))
    views = [policy.view(item.endpoint, item.body) for item in items]
    section = yaml.safe_load(config.read_text(encoding="utf-8"))["vibe_router"]["scorers"].get("heuristic", {})
    heuristic = build_scorer("heuristic", {**section, "kind": "heuristic"})
    calls: dict[str, list[Call]] = {
        "vibe_decision": [lambda i=item: policy.decide(i.endpoint, i.body) for item in items],
        "vibe_heuristic": [lambda v=view: heuristic.score(v) for view in views],
    }
    notes: list[str] = []
    for kind in ("learned", "gain"):
        try:
            scorer = build_scorer(kind, {"kind": kind})
        except Exception as error:  # not built yet, or its model file is missing
            notes.append(f"{kind} scorer skipped: {type(error).__name__}: {error}")
        else:
            calls[f"vibe_{kind}"] = [lambda s=scorer, v=view: s.score(v) for view in views]
    return calls, notes


def litellm_contenders(items: list[Item], texts: list[str]) -> tuple[dict[str, list[Call | None]], list[str]]:
    """LiteLLM's heuristic on the same texts, and with its own extraction from the messages."""
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY_DISABLED", "true")
    try:
        from litellm.litellm_core_utils.prompt_templates.factory import resolve_structured_messages
        from litellm.router_strategy.complexity_router import complexity_router as lcr
    except ImportError as error:
        return {}, [f"LiteLLM complexity router not importable: {error}"]
    router = lcr.ComplexityRouter("bench-decisions", None, derive_savings_baseline=False)  # type: ignore[arg-type]
    codex_markers = getattr(lcr, "_CODEX_REMINDER_MARKERS", None)

    def extract_and_classify(item: Item) -> Call:
        def call() -> object:
            if item.endpoint == "responses":  # what its hook does for Responses `input`
                messages = resolve_structured_messages(None, item.body) or []
                ask, system = lcr._extract_current_ask_and_system_prompt(messages, codex_markers)
            else:
                ask, system = lcr._extract_current_ask_and_system_prompt(item.body.get("messages") or [])
            return router.classify(ask or "", system) if ask else None

        return call

    calls: dict[str, list[Call | None]] = {
        "litellm_classify": [lambda t=text: router.classify(t) for text in texts],
        "litellm_extract_classify": [extract_and_classify(item) for item in items],
    }
    return calls, []


CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}


def measure(calls: dict[str, list[Any]], repeat: int, warmup: int, deadline: float,
            clock: Callable[[], int] = time.perf_counter_ns) -> dict[str, list[list[int]]]:
    """ns per call: contender -> item -> samples. Order rotates every repetition."""
    names = list(calls)
    samples: dict[str, list[list[int]]] = {name: [[] for _ in calls[name]] for name in names}
    count = len(next(iter(calls.values())))
    for rep in range(warmup + repeat):
        if time.monotonic() > deadline:
            break
        shift = rep % len(names)
        order = names[shift:] + names[:shift]
        for index in range(count):
            for name in order:
                call = calls[name][index]
                if call is None:
                    continue
                start = clock()
                call()
                elapsed = clock() - start
                if rep >= warmup:
                    samples[name][index].append(elapsed)
    return samples


def summarize(items: list[Item], samples: dict[str, list[list[int]]]) -> dict[str, Any]:
    def us(values: list[int], share: float) -> float:
        return round(percentile(values, share) / 1000, 2)

    overall: dict[str, Any] = {}
    for name, per_item in samples.items():
        pooled = [value for values in per_item for value in values]
        if pooled:
            overall[name] = {"calls": len(pooled), "p50_us": us(pooled, 0.5), "p99_us": us(pooled, 0.99),
                             "description": DESCRIPTIONS[name]}
    base = overall.get(BASELINE)
    for stats in overall.values():
        stats["p50_vs_litellm"] = round(stats["p50_us"] / base["p50_us"], 2) if base and base["p50_us"] else None
        stats["p99_vs_litellm"] = round(stats["p99_us"] / base["p99_us"], 2) if base and base["p99_us"] else None
    per_body = []
    for index, item in enumerate(items):
        row: dict[str, Any] = {"body": item.name, "endpoint": item.endpoint, "body_bytes": item.body_bytes,
                               "turn_chars": item.turn_chars}
        for name, per_item in samples.items():
            if per_item[index]:
                row[name] = {"p50_us": us(per_item[index], 0.5), "p99_us": us(per_item[index], 0.99)}
        per_body.append(row)
    return {"overall": overall, "per_body": per_body}


def profile_decisions(items: list[Item], calls: list[Call], top: int = 12) -> str:
    """cProfile of the full decision on the largest bodies: where the time goes."""
    largest = sorted(range(len(items)), key=lambda i: items[i].body_bytes)[-3:]
    profiler = cProfile.Profile()
    profiler.enable()
    for _ in range(300):
        for index in largest:
            calls[index]()
    profiler.disable()
    out = io.StringIO()
    pstats.Stats(profiler, stream=out).sort_stats("tottime").print_stats(top)
    return out.getvalue()


def markdown_table(results: dict[str, Any]) -> str:
    m, s = results["machine"], results["settings"]
    overall = results["overall"]
    lines = [
        f"Measured with `{results['command']}` ({m['cpus']} CPUs, Python {m['python']}, LiteLLM {m['litellm']}, "
        f"{m['when'][:10]}): {len(results['per_body'])} request bodies, {s['repeat']} interleaved repetitions "
        f"after {s['warmup']} warm-up rounds, every contender on every body in turn, "
        f"{'thread CPU time' if s.get('clock') == 'cpu' else 'wall-clock time'}. p50 / p99 pool all calls on "
        "all bodies; ratios are time / LiteLLM's heuristic on the same text (below 1 = faster than LiteLLM).",
        "",
        "| decision | what is timed | p50 µs | p99 µs | p50 vs LiteLLM | p99 vs LiteLLM |",
        "|---|---|---|---|---|---|",
    ]
    for name, stats in overall.items():
        lines.append(f"| `{name}` | {stats['description']} | {fmt(stats['p50_us'])} | {fmt(stats['p99_us'])} "
                     f"| {fmt(stats['p50_vs_litellm'])}× | {fmt(stats['p99_vs_litellm'])}× |")
    names = list(overall)
    lines += long_turn_lines(results["per_body"], names)
    lines += ["", "p50 µs per body:", "",
              "| body | endpoint | KB | turn chars | " + " | ".join(names) + " |",
              "|---|---|---|---|" + "---|" * len(names)]
    for row in results["per_body"]:
        cells = [fmt(row[name]["p50_us"]) if name in row else "–" for name in names]
        lines.append(f"| {row['body']} | {row['endpoint']} | {row['body_bytes'] / 1000:.1f} | {row['turn_chars']} | "
                     + " | ".join(cells) + " |")
    lines += [f"\n- {note}" for note in results["notes"]]
    return "\n".join(lines)


def long_turn_lines(per_body: list[dict[str, Any]], names: list[str]) -> list[str]:
    """p99 of each contender on the 4,000-character chat turn, and its ratio to LiteLLM's heuristic there."""
    row = next((row for row in per_body if row["body"] == LONG_TURN), None)
    if row is None or BASELINE not in row:
        return []
    base = row[BASELINE]["p99_us"]
    lines = ["", f"p99 on the 4,000-character chat turn (`{LONG_TURN}`):", "",
             "| decision | p99 µs | p99 vs LiteLLM |", "|---|---|---|"]
    for name in names:
        if name in row:
            ratio = round(row[name]["p99_us"] / base, 3) if base else None
            lines.append(f"| `{name}` | {fmt(row[name]['p99_us'])} | {fmt(ratio, 3)}× |")
    return lines


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.decisions", description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=400, help="timed calls per contender and body (default 400)")
    parser.add_argument("--warmup", type=int, default=20, help="untimed rounds first (default 20)")
    parser.add_argument("--body-bytes", type=int, default=DEFAULT_BODY_BYTES, help="size of the agent bodies")
    parser.add_argument("--max-seconds", type=float, default=600, help="stop measuring after this long")
    parser.add_argument("--clock", choices=sorted(CLOCKS), default="wall",
                        help="wall: what a request waits (default); cpu: the thread's own CPU time")
    parser.add_argument("--profile", action="store_true", help="print a cProfile of the decision on the largest bodies")
    parser.add_argument("--baseline-tree", type=baseline_tree, metavar="DIR",
                        help="time vibe-router's contenders in this checkout and in DIR (another checkout, e.g. git "
                             "worktree add --detach /tmp/base <commit>) in alternating child processes; its section "
                             "of docs/benchmarks.md is bench-decisions_baseline")
    parser.add_argument("--rounds", type=int, default=30,
                        help="--baseline-tree: rounds of one child per tree, A B B A (default 30); --repeat and "
                             "--warmup are each child's")
    add_output_arguments(parser, NAME)
    args = parser.parse_args(argv)
    if args.baseline_tree is not None and args.json == RESULTS_DIR / f"{NAME}.json":
        args.json = RESULTS_DIR / f"{NAME}_baseline.json"
    if args.repeat < 1 or args.warmup < 0 or args.rounds < 1:
        parser.error("--repeat and --rounds must be >= 1 and --warmup >= 0")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = parse_args(argv)
    started = time.monotonic()
    if args.baseline_tree is not None:
        from bench.decisions_compare import compare

        return compare(args, argv, started)
    items, texts = corpus_items(args.body_bytes)
    calls, notes = vibe_contenders(items)
    litellm_calls, litellm_notes = litellm_contenders(items, texts)
    all_calls: dict[str, list[Any]] = {**calls, **litellm_calls}
    gc.collect()
    samples = measure(all_calls, args.repeat, args.warmup, started + args.max_seconds, CLOCKS[args.clock])
    settings = {"repeat": args.repeat, "warmup": args.warmup, "body_bytes": args.body_bytes, "clock": args.clock}
    results = {"benchmark": NAME, "command": command_line("bench.decisions", argv), "machine": machine(),
               "settings": settings, **summarize(items, samples), "notes": notes + litellm_notes}
    if args.profile:
        results["profile"] = profile_decisions(items, calls["vibe_decision"])
        print(results["profile"], file=sys.stderr)
    results["elapsed_s"] = round(time.monotonic() - started, 1)
    write_outputs(args, NAME, results, markdown_table(results))
    return 0


if __name__ == "__main__":
    sys.exit(main())
