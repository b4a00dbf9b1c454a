"""The load and fault campaign: mixed traffic through two replicas sharing Redis, faults in phases.

    .venv-dev/bin/python -m bench.campaign [--duration S] [--max-requests N] [--concurrency C]
                                       [--json out.json] [--markdown out.md] [--update-doc docs/benchmarks.md]

Everything runs on 127.0.0.1: the echo upstream, one redis-server, replicas A and B of
config_final.yaml (with `redis.retry_seconds: 1` and a timeout on the cheap pools) and a
third proxy C whose auto-chat scorer is a corrupt learned model file. Phases:

1. baseline; 2s. Redis slow: the replicas reach it through a TCP proxy that holds back 30 % of
its replies by 30-100 ms; 2. Redis killed, then restarted mid-phase; 3a. the cheap pools' upstream models
answer 500; 3b. they answer after `--delay` seconds, beyond the cheap pools' timeout;
3c. control: auto-chat's cheap AND standard upstreams answer 500 (failures there are not
the router's); 4. proxy C with the broken scorer.

Exit code: 0 when no failure is router-caused and every required check of every phase that
ran passed (warnings, e.g. a session that lost its stickiness, do not count); 1 otherwise;
2 when the stack could not start.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable
from typing import Any

from bench.campaign_load import COMPLEX_TEXTS, LoadRunner, RequestRecord, scripted_session, warm_up
from bench.campaign_report import (
    PhaseResult,
    Topology,
    markdown,
    served_below_reached,
    summarize_phase,
    totals,
    verdict,
)
from bench.campaign_stack import CHEAP_POOLS, REDIS_RETRY_SECONDS, CampaignStack
from bench.report import add_output_arguments, command_line, machine, write_outputs
from vibe_router_tools.doc_sections import MarkerError

NAME = "campaign"
CHEAP_MODELS = ("gpt-5-mini", "gpt-5-codex-mini", "claude-haiku-4-5")
PHASES = {  # name -> (title, share of --duration, minimum seconds)
    "1-baseline": ("1 baseline", 0.12, 4.0),
    "2s-slow-redis": ("2s Redis slow (30 % of replies 30-100 ms late)", 0.13, 4.0),
    "2-redis": ("2 Redis killed + restarted", 0.25, 9.0),
    "3a-cheap-500": ("3a cheap upstreams 500", 0.13, 4.0),
    "3b-cheap-timeout": ("3b cheap upstreams slow (timeout)", 0.15, 5.0),
    "3c-both-broken": ("3c control: chat cheap+standard 500", 0.08, 3.0),
    "4-broken-scorer": ("4 broken learned scorer (proxy C)", 0.14, 4.0),
}
REDIS_DOWN = re.compile(r"REDIS UNAVAILABLE \((\w+)\)")
EXCEPTION_LINE = re.compile(r"^([A-Za-z_][\w.]*(?:Error|Exception|Exit)): ?(.*)$", re.MULTILINE)


def log(message: str) -> None:
    print(f"[campaign] {message}", file=sys.stderr, flush=True)


def sticky_across_replicas(runner: LoadRunner, attempts: int = 12) -> tuple[bool, str]:
    """A session escalated on replica A is held as standard on replica B (only shared state can do that)."""
    seen, started = "", time.monotonic()
    with runner.client() as client:
        for attempt in range(1, attempts + 1):
            session = scripted_session(f"sticky-{uuid.uuid4()}", "chat", ["hi", COMPLEX_TEXTS[0], "thanks"])
            for turn, target in ((0, 0), (1, 0)):
                runner.one(client, session, turn, stage="sticky-check", target_index=target)
            record = runner.one(client, session, 2, stage="sticky-check", target_index=1)
            seen = f"{record.status} {record.pool} {record.decided_by}"
            if record.ok and record.pool == "pool-chat-standard" and record.decided_by == "sticky:escalate_only":
                return True, f"attempt {attempt}, {time.monotonic() - started:.1f}s: replica B answered {seen}"
            time.sleep(0.5)
    return False, f"after {attempts} attempts replica B still answered {seen}"


def sleep_until(runner: LoadRunner, at_s: float) -> None:
    time.sleep(max(0.0, at_s - runner.elapsed()))


def cheap_served_by_fallback(phase: PhaseResult, records: list[RequestRecord], topology: Topology) -> None:
    cheap = [r for r in records if r.pool in CHEAP_POOLS and not r.fail_open]
    moved = [r for r in cheap if topology.is_fallback(r)]
    phase.extra["cheap_decided"] = len(cheap)
    phase.check("fallbacks observed", bool(moved), f"{len(moved)} requests")
    phase.check("every request decided cheap was served by its standard pool", len(moved) == len(cheap),
                f"{len(moved)}/{len(cheap)}")


def baseline_script(stack: CampaignStack, phase: PhaseResult, runner: LoadRunner) -> None:
    phase.check("session escalated on A is sticky on B", *sticky_across_replicas(runner))


def redis_script(stack: CampaignStack, phase: PhaseResult, runner: LoadRunner) -> None:
    """Kill Redis at 15 % of the phase, restart it at 50 %, then check shared stickiness again."""
    assert stack.redis is not None
    sleep_until(runner, phase.duration_s * 0.15)
    runner.stage = "redis-down"
    stack.redis.kill()
    phase.extra["redis_killed_at_s"] = round(runner.elapsed(), 1)
    sleep_until(runner, phase.duration_s * 0.5)
    stack.redis.start()
    runner.stage = "redis-restarted"
    phase.extra["redis_restarted_at_s"] = round(runner.elapsed(), 1)
    time.sleep(REDIS_RETRY_SECONDS + 0.5)
    ok, detail = sticky_across_replicas(runner)
    phase.check("after the restart a session escalated on A is sticky on B", ok, detail)
    keys = sum(1 for _ in stack.redis.client().scan_iter("vibe-router:session:*", count=1000))
    phase.check("session keys written to the restarted Redis", keys > 0, f"{keys} keys")


def slow_redis_script(stack: CampaignStack, phase: PhaseResult, runner: LoadRunner) -> None:
    """Slow Redis down for the whole phase (finish_phase makes it fast again)."""
    assert stack.slow_redis is not None
    phase.extra["redis_replies_delayed"] = -stack.slow_redis.delayed
    stack.slow_redis.make_slow()


SCRIPTS: dict[str, Callable[[CampaignStack, PhaseResult, LoadRunner], None]] = {
    "1-baseline": baseline_script, "2s-slow-redis": slow_redis_script, "2-redis": redis_script,
}


def setup_phase(stack: CampaignStack, phase: PhaseResult, runner: LoadRunner, args: argparse.Namespace) -> None:
    """Faults and targets of a phase (proxy C for phase 4, or mark it not available)."""
    if phase.name in ("3a-cheap-500", "3b-cheap-timeout"):
        fault: dict[str, Any] = {"status": 500} if phase.name == "3a-cheap-500" else {"delay": args.delay}
        phase.faults = {model: fault for model in CHEAP_MODELS}
        phase.broken_models = list(CHEAP_MODELS)
        if phase.name == "3b-cheap-timeout":
            phase.notes.append(f"cheap pools have litellm_params.timeout = stream_timeout = {args.cheap_timeout}s;"
                               f" the echo upstream answers them after {args.delay}s")
    elif phase.name == "3c-both-broken":
        phase.faults = {model: {"status": 500} for model in ("gpt-5-mini", "gpt-5")}
        phase.broken_models = ["gpt-5-mini", "gpt-5"]
        phase.notes.append("control: every upstream auto-chat can use is broken, so its failures are upstream")
    elif phase.name == "4-broken-scorer":
        if "C" not in stack.proxies:
            phase.available, phase.unavailable_reason = False, f"proxy C did not start: {stack.c_error}"
            return
        runner.targets = [stack.target("C")]
    phase.targets = [t.name for t in runner.targets]


def run_phases(stack: CampaignStack, args: argparse.Namespace) -> list[dict[str, Any]]:
    assert stack.echo is not None and stack.topology is not None
    echo, topology = stack.echo, stack.topology
    replicas = [stack.target("A"), stack.target("B")]
    warm_up([stack.target(name) for name in stack.proxies], args.client_timeout)
    summaries = []
    for name, (title, share, minimum) in PHASES.items():
        duration = max(minimum, args.duration * share)
        phase = PhaseResult(name, title, duration_s=duration)
        runner = LoadRunner(name, replicas, args.concurrency, max(1, int(args.max_requests * share)), duration,
                            args.seed, args.client_timeout)
        setup_phase(stack, phase, runner, args)
        if not phase.available:
            summaries.append(summarize_phase(phase, [], topology))
            log(f"{name}: not available: {phase.unavailable_reason}")
            continue
        echo.clear_faults()
        if phase.faults:
            echo.set_faults(phase.faults)
        log(f"{name}: {duration:.0f}s, up to {runner.budget} requests, {args.concurrency} clients"
            f" on {','.join(phase.targets)}")
        marks = stack.log_marks()
        runner.start()
        try:
            if name in SCRIPTS:
                SCRIPTS[name](stack, phase, runner)
        finally:
            records = runner.join()
            echo.clear_faults()
        logs = stack.logs_since(marks)
        phase.extra["redis_log"] = {n: redis_events(t) for n, t in logs.items() if n in phase.targets}
        phase.extra["routing_failures_logged"] = sum(t.count("ROUTING FAILURE") for t in logs.values())
        phase.extra["proxy_exceptions_logged"] = logged_exceptions(logs)
        finish_phase(stack, phase, records, logs)
        summary = summarize_phase(phase, records, topology)
        summaries.append(summary)
        log(f"{name}: {summary['requests']} requests, {summary['failed']} failed "
            f"({summary['router_caused_failures']} router-caused), {summary['fallbacks']} fallbacks, "
            f"{summary['fail_opens']} fail-opens, checks {sum(c['ok'] for c in phase.checks)}/{len(phase.checks)}")
    return summaries


def redis_events(text: str) -> dict[str, Any]:
    """How often a proxy gave up on Redis in this text, why, and how often it came back."""
    causes = Counter(REDIS_DOWN.findall(text))
    return {"unavailable": sum(causes.values()), "causes": dict(causes), "back": text.count("REDIS BACK")}


def logged_exceptions(logs: dict[str, str], limit: int = 6) -> dict[str, int]:
    """The most frequent exception lines (end of a traceback) the proxies logged, trimmed."""
    found: Counter[str] = Counter()
    for name, text in logs.items():
        for kind, message in EXCEPTION_LINE.findall(text):
            found[f"{name}: {kind}: {' '.join(message.split())[:120]}"] += 1
    return dict(found.most_common(limit))


def finish_phase(stack: CampaignStack, phase: PhaseResult, records: list[RequestRecord], logs: dict[str, str]) -> None:
    """Phase-specific checks on the records and the proxies' logs."""
    assert stack.topology is not None
    if phase.name == "2-redis":
        down = [r for r in records if r.stage == "redis-down"]
        phase.check("the router kept deciding while Redis was down",
                    bool(down) and all(r.decided_by for r in down if r.ok),
                    f"{len(down)} requests, {sum(bool(r.decided_by) for r in down)} with a decision")
        for name in ("A", "B"):
            text = logs.get(name, "")
            phase.check(f"replica {name} logged REDIS UNAVAILABLE then REDIS BACK",
                        "REDIS UNAVAILABLE" in text and "REDIS BACK" in text.split("REDIS UNAVAILABLE", 1)[-1])
    elif phase.name in ("3a-cheap-500", "3b-cheap-timeout"):
        cheap_served_by_fallback(phase, records, stack.topology)
    elif phase.name == "3c-both-broken":
        others = [r for r in records if r.virtual_model != "auto-chat"]
        phase.check("other virtual models unaffected", all(r.ok for r in others),
                    f"{sum(not r.ok for r in others)} of {len(others)} failed")
    elif phase.name == "4-broken-scorer":
        chat = [r for r in records if r.virtual_model == "auto-chat"]
        opened = [r for r in chat if r.ok and r.fail_open and r.model_group == "auto-chat"]
        phase.check("auto-chat fails open (HTTP 200, x-vibe-router-fail-open, served by auto-chat)",
                    bool(chat) and len(opened) == len(chat), f"{len(opened)}/{len(chat)}")
        others = [r for r in records if r.virtual_model != "auto-chat"]
        routed = [r for r in others if r.ok and r.pool and r.model_group == r.pool]
        phase.check("auto-codex and auto-claude still route", bool(others) and len(routed) == len(others),
                    f"{len(routed)}/{len(others)}")
        loud = [line.strip() for line in stack.c_startup_log.splitlines()
                if "[VIBE-ROUTER]" in line and "scorer" in line.lower() and ("ERROR" in line or "WARN" in line)]
        phase.check("proxy C logged at load that the scorer is unavailable", bool(loud), loud[0][:200] if loud else "")
    if phase.name == "2s-slow-redis":
        assert stack.slow_redis is not None
        stack.slow_redis.make_fast()
        phase.extra["redis_replies_delayed"] += stack.slow_redis.delayed
        phase.check("Redis replies were held back", phase.extra["redis_replies_delayed"] > 0,
                    f"{phase.extra['redis_replies_delayed']} replies")
    # The promise: no session below a tier it reached, with Redis healthy, slow, or dead (a session
    # with earlier turns is then served at the highest tier: docs/sessions.md).
    if phase.name != "4-broken-scorer":
        down = [r for r in records if served_below_reached(r)]
        stages = "".join(f"; {stage}: {n}" for stage, n in Counter(r.stage for r in down).items())
        phase.check("no escalated session came back down (escalate_only)", not down,
                    f"{len(down)} requests in {len({r.session for r in down})} sessions{stages}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.campaign", description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=float, default=150.0, help="seconds of load over all phases (150)")
    parser.add_argument("--max-requests", type=int, default=20000, help="request budget over all phases (20000)")
    parser.add_argument("--concurrency", type=int, default=8, help="concurrent client sessions (8)")
    parser.add_argument("--seed", type=int, default=7, help="seed of the traffic mix (7)")
    parser.add_argument("--client-timeout", type=float, default=30.0, help="seconds per request (30)")
    parser.add_argument("--cheap-timeout", type=float, default=2.0, help="timeout of the cheap pools (2)")
    parser.add_argument("--delay", type=float, default=3.0, help="echo delay on cheap models in 3b (3)")
    parser.add_argument("--redis-timeout-ms", type=float, help="override vibe_router.redis.timeout_ms (config: 250)")
    parser.add_argument("--keep-logs", action="store_true", help="keep the proxies' log files")
    add_output_arguments(parser, NAME)
    args = parser.parse_args(argv)
    if args.duration <= 0 or args.max_requests <= 0 or not 1 <= args.concurrency <= 64:
        parser.error("--duration and --max-requests must be positive, --concurrency 1..64")
    return args


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    args = parse_args(argv)
    started = time.monotonic()
    stack = CampaignStack(args.cheap_timeout, args.redis_timeout_ms)
    phases: list[dict[str, Any]] = []
    try:
        log("starting echo upstream, redis-server and three proxies ...")
        try:
            stack.start()
        except (RuntimeError, TimeoutError, FileNotFoundError) as exc:
            log(f"the stack could not start: {exc}")
            return 2
        log(f"ready in {time.monotonic() - started:.0f}s" + (f"; proxy C: {stack.c_error}" if stack.c_error else ""))
        phases = run_phases(stack, args)
    finally:  # logs are kept when asked, or when the router failed a request (to find out why)
        keep = args.keep_logs or any(p.get("router_caused_failures") for p in phases)
        logs = {name: str(proxy.log_path) for name, proxy in stack.proxies.items()} if keep else {}
        stack.close(keep)
    if logs:
        log(f"proxy logs kept: {logs}")
    total = totals(phases)
    report: dict[str, Any] = {
        "benchmark": NAME,
        "command": command_line("bench.campaign", argv),
        "machine": machine(),
        "settings": {"duration_s": args.duration, "max_requests": args.max_requests,
                     "concurrency": args.concurrency, "seed": args.seed, "client_timeout_s": args.client_timeout,
                     "cheap_pool_timeout_s": args.cheap_timeout, "cheap_delay_s": args.delay,
                     "redis_retry_seconds": REDIS_RETRY_SECONDS, "redis_timeout_ms": stack.redis_timeout_ms,
                     "replicas": 2, "config": "config_final.yaml + redis.retry_seconds and the cheap pools' "
                                              "timeout/stream_timeout (+ the broken scorer for proxy C)"},
        "elapsed_s": round(time.monotonic() - started, 1),
        "proxy_logs": logs,
        "phases": phases,
        "totals": total,
    }
    report["verdict"] = verdict(total)
    exit_code = 0 if report["verdict"]["zero_router_caused_failures"] and not total["checks_failed"] else 1
    report["exit_code"] = exit_code
    try:
        write_outputs(args, NAME, report, markdown(report))
    except MarkerError as exc:
        log(f"doc not updated: {exc}")
        return 2
    return exit_code


if __name__ == "__main__":
    sys.exit(main())
