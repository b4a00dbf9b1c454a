"""verify.py: a quick health check of a vibe-router deployment. It makes no LLM calls.

`--offline` checks the LiteLLM config, the plugin and the settings; without it Redis, the running
proxy and CLIProxyAPI follow. Settings come from the environment, then --env-file, then the litellm
service of --compose (the compose stack's defaults). Exit 1 if any check failed ("–" skips do not).
"""

from __future__ import annotations

import argparse
import json
import os
from pathlib import Path

import yaml

from vibe_router_tools.verify.config_checks import (
    CLIPROXY_PORT,
    check_callbacks,
    check_cliproxy_key,
    check_config,
    check_environment,
    check_fallbacks,
    check_plugin,
)
from vibe_router_tools.verify.context import Context
from vibe_router_tools.verify.live_checks import check_cliproxyapi, check_proxy, check_redis
from vibe_router_tools.verify.settings import Settings, read_env_file

ROOT = Path(__file__).resolve().parents[2]  # the checkout verify.py is in: its config, .env, compose file
MARKS = {"ok": "✓", "fail": "✗", "skip": "–"}


def default_env_file() -> Path:
    """The settings of the proxy `deploy.sh --local` runs (it writes them and removes them on --down), else .env."""
    local = Path(os.environ.get("VIBE_RUN_DIR") or ROOT / ".run") / "local.env"
    return local if local.is_file() else ROOT / ".env"


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--config", default=str(ROOT / "config_final.yaml"), help="LiteLLM config file")
    parser.add_argument("--offline", action="store_true", help="check the config and settings only")
    parser.add_argument("--json", action="store_true", help="print one JSON document")
    parser.add_argument("--base-url", help="the proxy (default http://127.0.0.1:$LITELLM_PORT, else $PORT, else 4000)")
    parser.add_argument("--key", help="the proxy's master key (default $LITELLM_MASTER_KEY)")
    parser.add_argument("--cliproxy-url", help="default http://127.0.0.1:${CLIPROXY_PORT:-8317}; '' skips it")
    parser.add_argument("--env-file", default=str(default_env_file()),
                        help="KEY=VALUE settings ('' for none; default: the local run's, else .env)")
    parser.add_argument("--compose", default=str(ROOT / "docker-compose.yml"), help="compose file ('' for none)")
    parser.add_argument("--cliproxy-config", default=str(ROOT / "cliproxyapi.config.yaml"))
    parser.add_argument("--timeout", type=float, default=5.0, help="seconds per HTTP request")
    return parser.parse_args(argv)


def run(args: argparse.Namespace) -> Context:
    """Every check that applies; the results are in the returned context's `checks`."""
    env_file = Path(args.env_file) if args.env_file else None
    compose_file = Path(args.compose or "-")
    compose = yaml.safe_load(compose_file.read_text(encoding="utf-8")) if compose_file.is_file() else {}
    process = dict(os.environ)
    if args.key:  # the proxy's master key is LITELLM_MASTER_KEY
        process.setdefault("LITELLM_MASTER_KEY", args.key)
    settings = Settings(process, read_env_file(env_file), env_file.name if env_file else ".env",
                        compose if isinstance(compose, dict) else {})
    ctx = Context(Path(args.config), settings)
    check_config(ctx)
    if ctx.document is not None:
        check_callbacks(ctx)
        check_plugin(ctx)
        check_fallbacks(ctx)
        check_environment(ctx)
    check_cliproxy_key(ctx, Path(args.cliproxy_config))
    if args.offline:
        return ctx
    check_redis(ctx)
    port = settings.host("LITELLM_PORT") or settings.host("PORT") or 4000  # compose's, else deploy.sh --local's
    base_url = args.base_url or f"http://127.0.0.1:{port}"
    check_proxy(ctx, base_url.rstrip("/"), args.key or settings.host("LITELLM_MASTER_KEY"), args.timeout)
    port = settings.host("CLIPROXY_PORT") or CLIPROXY_PORT  # where compose publishes it
    url = f"http://127.0.0.1:{port}" if args.cliproxy_url is None else args.cliproxy_url.rstrip("/")
    check_cliproxyapi(ctx, url, args.timeout)
    return ctx


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    ctx = run(args)
    failed = sum(check["status"] == "fail" for check in ctx.checks)
    if args.json:
        print(json.dumps({"ok": not failed, "offline": args.offline, "config": args.config, "checks": ctx.checks},
                         ensure_ascii=False, indent=2))
        return 1 if failed else 0
    for check in ctx.checks:
        print(f"{MARKS[check['status']]} {check['name']}: {check['detail']}")
        if check["hint"]:
            print(f"    → {check['hint']}")
    print(f"{len(ctx.checks) - failed} passed or skipped, {failed} failed")
    return 1 if failed else 0

