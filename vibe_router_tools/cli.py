"""`vibe-router explain | score | echo-upstream | ...`"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, TextIO

from vibe_router.config import ConfigError, load_config, resolve_config_path
from vibe_router.policy import Decision, Policy, from_agent
from vibe_router.request import TurnView
from vibe_router.wire import ENDPOINTS, detect_endpoint, prompt_body

DEFAULT_MODEL = "auto-chat"
def parse_input(raw: str) -> dict[str, Any]:
    """A JSON request body, a JSON string, or plain text, as a request body."""
    stripped = raw.strip()
    if stripped.startswith(("{", '"')):
        value = json.loads(stripped)
        if isinstance(value, str):
            return prompt_body(value)
        if not isinstance(value, dict):
            raise ValueError("a request body must be a JSON object")
        return value
    return prompt_body(raw)


def decide(policy: Policy, body: dict[str, Any], model: str | None, endpoint: str | None) -> tuple[TurnView, Decision]:
    name = model or (body.get("model") if policy.is_virtual(body.get("model")) else None) or DEFAULT_MODEL
    if not policy.is_virtual(name):
        known = ", ".join(policy.config.virtual_models)
        raise ValueError(f"{name!r} is not a virtual model in the config (known: {known})")
    turn = policy.view(endpoint or detect_endpoint(body), body)
    return turn, policy.decide_view(name, turn, agent=from_agent(body))


def decision_json(decision: Decision) -> dict[str, Any]:
    record = decision.to_metadata()
    record["reason"] = decision.reason_summary()
    return record


def explain_text(turn: TurnView, decision: Decision, policy: Policy) -> str:
    virtual = policy.config.virtual_models[decision.virtual_model]
    ladder = " | ".join(
        f"{tier.name}" + (f" (>= {tier.min_score:g})" if tier.min_score is not None else "") for tier in virtual.tiers
    )
    flags = (
        f"turns={turn.turns} messages={turn.messages} code_blocks={turn.code_blocks} images={turn.images} "
        f"tools={turn.tools} thinking={'yes' if turn.thinking else 'no'} "
        f"continuation={'yes' if turn.continuation else 'no'} total_chars={turn.total_chars} "
        f"structured_output={'yes' if turn.structured_output else 'no'}"
    )
    excerpt = turn.text if len(turn.text) <= 200 else turn.text[:200] + "…"
    lines = [
        f"virtual model  {decision.virtual_model}  (classifier: {decision.scorer})",
        f"endpoint       {turn.endpoint}",
        f"text           {json.dumps(excerpt, ensure_ascii=False)}  ({len(turn.text)} chars)",
        f"turn           {flags}",
    ]
    features = decision.reasons or ()
    for index, reason in enumerate(features):
        lines.append(f"{'features' if index == 0 else '':15}{reason.feature:<28}{reason.weight:+g}")
    if not features:
        lines.append("features       (none fired)")
    lines += [
        f"score          {decision.score:g}",
        f"tiers          {ladder}",
        f"pool           {decision.pool}  (tier {decision.tier}, {decision.label})",
        f"decided by     {decision.decided_by}" + (f"  ({decision.note})" if decision.note else ""),
    ]
    return "\n".join(lines)


def load_policy(args: argparse.Namespace) -> Policy:
    return Policy(load_config(resolve_config_path(args.config)))


def cmd_explain(args: argparse.Namespace) -> int:
    policy = load_policy(args)
    if args.file:
        raw = Path(args.file).read_text(encoding="utf-8")
    elif args.text:
        raw = " ".join(args.text)
    else:
        raw = sys.stdin.read()
    turn, decision = decide(policy, parse_input(raw), args.model, args.endpoint)
    if args.json:
        print(json.dumps(decision_json(decision), ensure_ascii=False))
    else:
        print(explain_text(turn, decision, policy))
    return 0


def cmd_score(args: argparse.Namespace, stdin: TextIO | None = None, stdout: TextIO | None = None) -> int:
    """One JSON request body per line in, one JSON decision per line out (a stable contract)."""
    policy = load_policy(args)
    source, sink = stdin or sys.stdin, stdout or sys.stdout
    failures = 0
    for line in source:
        if not line.strip():
            continue
        try:
            _, decision = decide(policy, parse_input(line), args.model, args.endpoint)
            sink.write(json.dumps(decision_json(decision), ensure_ascii=False) + "\n")
        except (ValueError, TypeError, RecursionError) as exc:
            failures += 1
            sink.write(json.dumps({"error": str(exc)}) + "\n")
        sink.flush()
    return 1 if failures else 0


def cmd_stats(args: argparse.Namespace) -> int:
    import redis

    from vibe_router.redis_clients import sync_client
    from vibe_router.redis_connection import RedisConnection
    from vibe_router_tools.stats import read_counters, render, summarize

    config = load_config(resolve_config_path(args.config))
    try:
        connection = RedisConnection(url=args.redis_url) if args.redis_url else RedisConnection.from_env()
    except ValueError as exc:
        print(f"vibe-router: {exc}", file=sys.stderr)
        return 2
    if connection is None:
        print("vibe-router: no Redis configured (set REDIS_URL, REDIS_HOST/REDIS_PORT/REDIS_PASSWORD, "
              "REDIS_SENTINEL_NODES or REDIS_CLUSTER_NODES, or pass --redis-url); counters live in Redis",
              file=sys.stderr)
        return 2
    client = sync_client(connection, 5)
    try:
        counters = read_counters(client, config)
    except redis.RedisError as exc:
        print(f"vibe-router: cannot read counters from Redis: {exc}", file=sys.stderr)
        return 2
    from vibe_router.plugin import pool_prices  # LiteLLM's prices: the CLI may import it, the engine does not

    prices = {**pool_prices(config), **config.prices}  # the config's prices: table overrides
    all_stats = [summarize(config.virtual_models[name], values, prices) for name, values in counters.items()]
    if args.json:
        print(json.dumps([stats.to_json() for stats in all_stats], indent=2))
    else:
        print(render(all_stats))
    return 0


def cmd_echo_upstream(args: argparse.Namespace) -> int:
    from vibe_router_tools.echo_upstream import main as echo_main

    return echo_main(["--host", args.host, "--port", str(args.port)])


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="vibe-router", description="Per-request model routing for LiteLLM.")
    commands = parser.add_subparsers(dest="command", required=True)

    def policy_command(name: str, help_text: str, func: Callable[[argparse.Namespace], int]) -> argparse.ArgumentParser:
        sub = commands.add_parser(name, help=help_text)
        sub.add_argument("--config", help="LiteLLM config with a vibe_router section "
                         "(default: $VIBE_ROUTER_CONFIG, else ./config_final.yaml)")
        sub.add_argument("--model", help=f"virtual model (default: the body's model, else {DEFAULT_MODEL})")
        sub.add_argument("--endpoint", choices=ENDPOINTS,
                         help="wire format of the body (default: guessed from its shape)")
        sub.set_defaults(func=func)
        return sub

    explain = policy_command("explain", "show how one request would be routed, and why", cmd_explain)
    explain.add_argument("text", nargs="*", help="the user's text (or give a JSON body on stdin or --file)")
    explain.add_argument("--file", help="read a JSON request body (or text) from this file")
    explain.add_argument("--json", action="store_true", help="print the decision as JSON")
    policy_command("score", "score JSON request bodies, one per line on stdin; JSON decisions out", cmd_score)

    stats = commands.add_parser("stats", help="decision counters, share routed cheap, estimated saving (Redis)")
    stats.add_argument("--config", help="LiteLLM config with a vibe_router section")
    stats.add_argument("--redis-url", help="default: REDIS_URL, else REDIS_HOST, REDIS_PORT, REDIS_PASSWORD, "
                       "REDIS_USERNAME, REDIS_DB, REDIS_SSL...; REDIS_CLUSTER_NODES or REDIS_SENTINEL_NODES "
                       "for a cluster or Sentinel (docs/sessions.md)")
    stats.add_argument("--json", action="store_true")
    stats.set_defaults(func=cmd_stats)

    from vibe_router_tools.training.commands import add_commands

    add_commands(commands)

    from vibe_router_tools import demo_traffic

    traffic = commands.add_parser("demo-traffic", help="varied chat turns through the demo, one in ten about zebras")
    demo_traffic.add_arguments(traffic)
    traffic.set_defaults(func=demo_traffic.main)

    echo = commands.add_parser("echo-upstream", help="run the local fake LLM upstream used by --demo and tests")
    echo.add_argument("--host", default="127.0.0.1")
    echo.add_argument("--port", type=int, default=8399)
    echo.set_defaults(func=cmd_echo_upstream)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"vibe-router: config error at {exc.key}: {exc.message}", file=sys.stderr)
        return 2
    except (ValueError, OSError) as exc:
        print(f"vibe-router: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
