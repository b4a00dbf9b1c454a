"""The `label` subcommand: options, the cost estimate of --dry-run, and the run with a progress bar."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path
from typing import Any

DEFAULT_OUT = Path("build") / "labels" / "labelled.jsonl"


def add_label(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("captures", type=Path, nargs="+", help="capture files, or directories of capture-*.jsonl")
    parser.add_argument("--judge", required=True, help="the model_name in the proxy that compares the two answers")
    parser.add_argument("--config", help="the proxy's config (default: $VIBE_ROUTER_CONFIG, else ./config_final.yaml)")
    parser.add_argument("--base-url", default="http://127.0.0.1:4000", help="the running proxy")
    parser.add_argument("--key", default=os.environ.get("LITELLM_MASTER_KEY"), help="default $LITELLM_MASTER_KEY")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help=f"rows are appended here (default {DEFAULT_OUT})")
    parser.add_argument("--concurrency", type=int, default=4)
    parser.add_argument("--retries", type=int, default=2, help="per call, on a timeout, 429 or 5xx")
    parser.add_argument("--max-cost", type=float, help="stop starting turns once LiteLLM reports this many USD spent")
    parser.add_argument("--dry-run", action="store_true", help="estimate the cost and make no call")
    parser.add_argument("--output-tokens", type=int, default=400,
                        help="answer length the --dry-run estimate assumes, in tokens (default 400)")
    parser.set_defaults(func=run_label)


def run_label(args: argparse.Namespace) -> int:
    from vibe_router.config import ConfigError, load_config, resolve_config_path
    from vibe_router_tools.training.label import Labeller, LabelOptions, captured_turns, labelled_ids, run

    try:
        config = load_config(resolve_config_path(args.config))
        done = labelled_ids(args.out)
        records = [record for record in captured_turns(args.captures) if record["id"] not in done]
    except (ConfigError, OSError, ValueError) as error:
        print(f"vibe-router label: {error}", file=sys.stderr)
        return 2
    pools = {name: (vm.tiers[0].pool, vm.tiers[-1].pool) for name, vm in config.virtual_models.items()}
    records = [record for record in records if record["decision"].get("virtual_model") in pools]
    print(f"vibe-router label: {len(records)} turns to label ({len(done)} already in {args.out})", file=sys.stderr)
    if args.dry_run:
        print(json.dumps(estimate(config, records, pools, args.judge, args.output_tokens), indent=2))
        return 0
    if not args.key:
        print("vibe-router label: no key (--key or LITELLM_MASTER_KEY)", file=sys.stderr)
        return 2
    from tqdm import tqdm

    labeller = Labeller(LabelOptions(args.base_url, args.key, args.judge, args.concurrency, args.retries,
                                     args.max_cost), pools)
    with tqdm(total=len(records), desc="labelling", unit="turn", file=sys.stderr) as progress:
        counts = run(labeller, records, args.out, progress)
    print(json.dumps({**counts, "cost_usd": round(labeller.spent, 6), "out": str(args.out)}))
    return 0 if not counts["failed"] else 1


def estimate(config: Any, records: list[dict[str, Any]], pools: dict[str, tuple[str, str]], judge: str,
             output_tokens: int) -> dict[str, Any]:
    """What labelling would cost at the pools' prices (model_info or LiteLLM's cost map), before any call."""
    from vibe_router.plugin import pool_prices

    prices = {**pool_prices(config), **config.prices}
    total, unpriced = 0.0, set()
    for record in records:
        prompt = len(json.dumps(record["request"], ensure_ascii=False)) // 4
        weak, strong = pools[record["decision"]["virtual_model"]]
        judged = len(record["text"]) // 4 + 2 * output_tokens + 120  # the request, both answers, the rubric
        for pool, tokens_in, tokens_out, calls in ((weak, prompt, output_tokens, 1), (strong, prompt, output_tokens, 1),
                                                   (judge, judged, 60, 2)):
            price = prices.get(pool)
            if price is None:
                unpriced.add(pool)
                continue
            total += calls * (tokens_in * price.input + tokens_out * price.output) / 1_000_000
    return {"turns": len(records), "estimated_cost_usd": round(total, 6), "assumed_answer_tokens": output_tokens,
            "unpriced_pools": sorted(unpriced)}
