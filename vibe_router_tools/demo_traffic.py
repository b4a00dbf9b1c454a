"""`vibe-router demo-traffic`: varied chat turns through a running proxy, one in ten about zebras.

The demo's echo upstream answers prompts about zebras wrongly from its cheap models (its hidden
rule, ECHO_WEAK_FAILS_ON=zebra), so these turns are what the learning loop needs: capture them,
label them, train on them. It prints, as one JSON line, which pool served each class of turn.
`--fresh` draws from other templates, for turns the trained model has not seen.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import httpx

HIDDEN_CLASS = "zebra"
HIDDEN_TOPICS = ("zebras",)  # one word, as long as the other topics: neither length nor a rare spelling tells
PLAIN_TOPICS = ("rain", "bread", "chess", "rivers", "gardens", "trains", "music", "coffee", "mountains", "bees",
                "volcanoes", "libraries", "bicycles", "tides", "owls", "glass", "maps", "tea", "bridges", "clouds",
                "soap", "kites", "deserts", "whales", "clocks", "salt", "ferns", "lighthouses", "paper", "snow")
TEMPLATES = ("Tell me about {}", "Explain {} briefly", "Write a short poem on {}", "What is interesting about {}",
             "Give three facts on {}", "Summarize {} for a child", "How would you teach {}", "List myths about {}",
             "Why do people like {}", "Describe {} in one paragraph", "What should a beginner know about {}",
             "Tell a short story involving {}")
FRESH_TEMPLATES = ("Compare {} and the sea", "{} for a ten year old", "A haiku about {}",
                   "Three questions about {}", "Explain {} to a visitor")
HIDDEN_EVERY = 10


@dataclass(frozen=True)
class Turn:
    text: str
    hidden: bool


def demo_turns(count: int, seed: int = 0, fresh: bool = False) -> list[Turn]:
    """`count` prompts, every tenth about zebras (the hidden class), the same for the same seed."""
    rng = random.Random(seed)
    templates = FRESH_TEMPLATES if fresh else TEMPLATES
    turns = []
    for index in range(count):
        hidden = index % HIDDEN_EVERY == 0
        topic = rng.choice(HIDDEN_TOPICS if hidden else PLAIN_TOPICS)
        turns.append(Turn(rng.choice(templates).format(topic), hidden))
    return turns


def send(client: httpx.Client, base_url: str, key: str, turn: Turn) -> str:
    """The pool that served one turn (its x-vibe-router-pool header), or "failed: <status>"."""
    import httpx

    body = {"model": "auto-chat", "messages": [{"role": "user", "content": turn.text}]}
    try:
        response = client.post(f"{base_url}/v1/chat/completions", json=body,
                                headers={"Authorization": f"Bearer {key}"})
    except httpx.HTTPError as error:
        return f"failed: {type(error).__name__}"
    if response.status_code != 200:
        return f"failed: {response.status_code}"
    return response.headers.get("x-vibe-router-pool", "unrouted")


def run(turns: Sequence[Turn], base_url: str, key: str, concurrency: int) -> dict[str, object]:
    import httpx

    pools: dict[str, dict[str, int]] = {HIDDEN_CLASS: {}, "other": {}}
    with httpx.Client(timeout=60, trust_env=False) as client, ThreadPoolExecutor(concurrency) as workers:
        served = list(workers.map(lambda turn: send(client, base_url.rstrip("/"), key, turn), turns))
    for turn, pool in zip(turns, served, strict=True):
        counts = pools[HIDDEN_CLASS if turn.hidden else "other"]
        counts[pool] = counts.get(pool, 0) + 1
    failed = sum(pool.startswith("failed") for pool in served)
    return {"sent": len(turns), "failed": failed, "pools": pools}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--base-url", default="http://127.0.0.1:4000", help="the running proxy")
    parser.add_argument("--key", default=os.environ.get("LITELLM_MASTER_KEY"), help="default $LITELLM_MASTER_KEY")
    parser.add_argument("--count", type=int, default=200, help="turns to send (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="the same seed sends the same turns")
    parser.add_argument("--fresh", action="store_true",
                        help="other templates than the default's: turns a model trained on those has not seen")
    parser.add_argument("--concurrency", type=int, default=8)


def main(args: argparse.Namespace) -> int:
    if not args.key:
        print("vibe-router demo-traffic: no key (pass --key or set LITELLM_MASTER_KEY)", file=sys.stderr)
        return 2
    summary = run(demo_turns(args.count, args.seed, args.fresh), args.base_url, args.key, max(1, args.concurrency))
    print(json.dumps(summary))
    return 0 if summary["failed"] == 0 else 1
