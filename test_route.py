#!/usr/bin/env python3
"""Check a running vibe-router deployment: which pool served each request, and why.

    python3 test_route.py --base-url http://127.0.0.1:4000 --key "$LITELLM_MASTER_KEY"

Sends a simple and a complex prompt to each virtual model over chat completions, Anthropic
messages and the Responses API (streaming once per wire format), reads the pool from
`x-litellm-model-group` and the `x-vibe-router-*` headers, and prints `N passed, N failed`.
Standard library only, so any python3 runs it.
"""

from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request
from dataclasses import dataclass

SIMPLE = "hi"
COMPLEX = "Implement a distributed consensus algorithm"
CHEAP_MARKERS = ("mini", "haiku")
STANDARD_MARKERS = ("standard", "sonnet")


@dataclass
class Outcome:
    status: int
    headers: dict[str, str]
    body: str


def post(base_url: str, key: str, path: str, payload: dict, timeout: float) -> Outcome:
    request = urllib.request.Request(
        base_url.rstrip("/") + path,
        data=json.dumps(payload).encode(),
        headers={"Authorization": f"Bearer {key}", "x-api-key": key, "content-type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            headers = {name.lower(): value for name, value in response.headers.items()}
            return Outcome(response.status, headers, response.read().decode("utf-8", "replace"))
    except urllib.error.HTTPError as error:
        headers = {name.lower(): value for name, value in error.headers.items()}
        return Outcome(error.code, headers, error.read().decode("utf-8", "replace"))


def payload(endpoint: str, model: str, text: str, stream: bool) -> tuple[str, dict]:
    if endpoint == "chat":
        return "/v1/chat/completions", {"model": model, "stream": stream,
                                        "messages": [{"role": "user", "content": text}]}
    if endpoint == "messages":
        return "/v1/messages", {"model": model, "stream": stream, "max_tokens": 64,
                                "messages": [{"role": "user", "content": text}]}
    return "/v1/responses", {"model": model, "stream": stream, "input": text}


def check(outcome: Outcome, want_cheap: bool, use_names: bool) -> list[str]:
    """Problems with one response (empty when it was served as expected)."""
    if outcome.status != 200:
        return [f"HTTP {outcome.status}: {outcome.body[:200]}"]
    problems = []
    pool = outcome.headers.get("x-vibe-router-pool")
    group = outcome.headers.get("x-litellm-model-group")
    if not pool:
        problems.append("no x-vibe-router-pool header (is the plugin loaded?)")
    elif group != pool:
        problems.append(f"x-litellm-model-group={group} differs from x-vibe-router-pool={pool}")
    for name in ("virtual-model", "tier", "score", "reason"):
        if f"x-vibe-router-{name}" not in outcome.headers:
            problems.append(f"no x-vibe-router-{name} header")
    if pool and use_names:
        markers = CHEAP_MARKERS if want_cheap else STANDARD_MARKERS
        if not any(marker in pool for marker in markers):
            problems.append(f"served by {pool}, expected a {'cheap' if want_cheap else 'standard'} pool")
    return problems


def run(args: argparse.Namespace) -> int:
    passed = failed = 0
    for model in args.models:
        pools: dict[bool, str | None] = {}
        for endpoint in ("chat", "messages", "responses"):
            for text, want_cheap, stream in ((SIMPLE, True, False), (COMPLEX, False, False), (COMPLEX, False, True)):
                path, body = payload(endpoint, model, text, stream)
                try:
                    outcome = post(args.base_url, args.key, path, body, args.timeout)
                    problems = check(outcome, want_cheap, not args.any_pool_names)
                except OSError as error:
                    outcome, problems = None, [f"request failed: {error}"]
                pool = outcome.headers.get("x-vibe-router-pool") if outcome else None
                pools.setdefault(want_cheap, pool)
                label = f"{model:<12} {endpoint:<9} {'stream' if stream else 'plain':<6} {text[:28]!r:<31}"
                if problems:
                    failed += 1
                    print(f"✗ {label} {'; '.join(problems)}")
                else:
                    passed += 1
                    print(f"✓ {label} -> {pool} (score {outcome.headers.get('x-vibe-router-score')})")
        if pools.get(True) and pools.get(True) == pools.get(False):
            failed += 1
            print(f"✗ {model}: simple and complex prompts were served by the same pool {pools[True]}")
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--base-url", default="http://127.0.0.1:4000")
    parser.add_argument("--key", required=True, help="the proxy's master key or a virtual key")
    parser.add_argument("--models", nargs="+", default=["auto-chat", "auto-codex", "auto-claude"])
    parser.add_argument("--timeout", type=float, default=60.0)
    parser.add_argument("--any-pool-names", action="store_true",
                        help="do not expect mini/haiku and standard/sonnet in the pool names")
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
