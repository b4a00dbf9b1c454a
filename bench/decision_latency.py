"""Decision latency of the learned scorer vs the seed heuristic vs LiteLLM's complexity heuristic.

    python bench/decision_latency.py [--data ../shared/data/routellm] [--model FILE]

Runs in a fresh process (nothing else in memory), on a sample of the RouteLLM prompts
and on one 4,000-character turn; prints p50/p99 by wall clock and by thread CPU time.
"""

from __future__ import annotations

import argparse
import sys

from vibe_router.scoring.learned import DEFAULT_MODEL, load_model
from vibe_router_tools.training import latency
from vibe_router_tools.training.baselines import litellm_classifier
from vibe_router_tools.training.evaluate import latency_table
from vibe_router_tools.training.routellm import DATASETS, load_routellm, resolve_data_dir


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", help="RouteLLM data dir (default: ../shared/data/routellm)")
    parser.add_argument("--model", default=str(DEFAULT_MODEL), help="learned model file")
    parser.add_argument("--repeat", type=int, default=3000, help="calls on the 4,000-character turn")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data)
    prompts = [example.prompt for name in DATASETS for example in load_routellm(data_dir, name)]
    results = latency.measure(prompts, load_model(args.model), litellm_classifier(), repeat=args.repeat)
    print("\n".join(latency_table(results)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
