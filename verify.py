#!/usr/bin/env python3
"""verify.py: a quick health check of a vibe-router deployment. It makes no LLM calls.

`--offline` checks the LiteLLM config, the plugin and the settings; without it Redis, the running
proxy and CLIProxyAPI follow. Settings come from the environment, then --env-file, then the litellm
service of --compose (the compose stack's defaults). Exit 1 if any check failed ("–" skips do not).
"""

from __future__ import annotations

import argparse
import contextlib
import importlib.util
import json
import logging
import os
import re
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

if not all(importlib.util.find_spec(name) for name in ("yaml", "httpx", "litellm")):
    # Plain `python3 verify.py` outside the venv: run again with the project's venv.
    _venv = Path(__file__).resolve().parent / ".venv"
    if (_venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != _venv.resolve():
        os.execv(str(_venv / "bin" / "python"), [str(_venv / "bin" / "python"), *sys.argv])
    sys.exit("verify.py needs the project's packages: run ./deploy.sh --local once, or use .venv/bin/python")

import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parent
PLUGIN_CALLBACK = "vibe_router.router_instance"
PUBLIC_MASTER_KEYS = frozenset({"sk-1234"})  # LiteLLM refuses to start with these
EXAMPLE_CHAT_KEY = "sk-auto-chat-change-me"  # the placeholder in .env.example and cliproxyapi.config.yaml
CLIPROXY_PORT = 8317
FALLBACK_KEYS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")
MARKS = {"ok": "✓", "fail": "✗", "skip": "–"}
INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>(?:[^{}]|\{[^{}]*\})*))?\}"
    r"|(?P<bare>[A-Za-z_]\w*))"
)


class MissingVariable(ValueError):
    """A `${VAR:?message}` whose variable is unset."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose-style `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `$VAR` and `$$`."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        value, op, arg = env.get(name), match["op"] or "", match["arg"] or ""
        missing = value is None or (op.startswith(":") and value == "")
        if op.endswith("-") and missing:
            return interpolate(arg, env)
        if op.endswith("?") and missing:
            raise MissingVariable(f"{name}: {arg or 'required'}")
        return value or ""

    return INTERPOLATION.sub(replace, text)


def read_env_file(path: Path | None) -> dict[str, str]:
    """KEY=VALUE lines of a .env file; empty values count as unset (as deploy.sh reads them)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path and path.is_file() else []:
        match = re.match(r"\s*(?:export\s+)?([A-Za-z_]\w*)=(.*)$", line)
        value = match[2].strip() if match else ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if match and value:
            values[match[1]] = value
    return values


@dataclass
class Settings:
    """Settings from the environment, the env file, and the compose file's litellm service."""

    process: Mapping[str, str]
    file: Mapping[str, str]
    file_name: str = ".env"
    compose: dict[str, Any] = field(default_factory=dict)

    def host(self, name: str) -> str | None:
        """A value as the host sees it (what compose interpolates with)."""
        return self.process.get(name) or self.file.get(name) or None

    def host_env(self) -> dict[str, str]:
        return {k: v for k, v in {**self.file, **self.process}.items() if v}

    def lookup(self, name: str) -> tuple[str | None, str]:
        """The value a deployed proxy gets, and where it comes from."""
        if self.host(name):
            return self.host(name), "environment" if self.process.get(name) else self.file_name
        env = self.service("litellm").get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env if "=" in item)
        with contextlib.suppress(MissingVariable):
            value = interpolate(str(env.get(name) or ""), self.host_env())
            if value:
                return value, "docker-compose.yml"
        return None, ""

    def service(self, name: str) -> dict[str, Any]:
        services = self.compose.get("services")
        return (services.get(name) or {}) if isinstance(services, dict) else {}


@dataclass
class Context:
    config_path: Path
    settings: Settings
    checks: list[dict[str, str]] = field(default_factory=list)
    document: dict[str, Any] | None = None
    router_config: Any = None

    def add(self, status: str, name: str, detail: str, hint: str = "") -> None:
        self.checks.append({"name": name, "status": status, "detail": detail, "hint": hint})

    def virtual_models(self) -> list[str]:
        return list(self.router_config.virtual_models) if self.router_config is not None else []

    def section(self, name: str) -> dict[str, Any]:
        value = (self.document or {}).get(name)
        return value if isinstance(value, dict) else {}


def check_config(ctx: Context) -> None:
    try:
        document = yaml.safe_load(ctx.config_path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        return ctx.add("fail", "config", f"cannot read {ctx.config_path}: {exc}".replace("\n", " "))
    if not isinstance(document, dict):
        return ctx.add("fail", "config", f"{ctx.config_path} is not a YAML mapping")
    ctx.document = document
    try:
        from vibe_router.config import ConfigError, load_config
    except Exception as exc:  # a broken package must show up as a line, not a traceback
        return ctx.add("fail", "routing policy", f"cannot import vibe_router: {type(exc).__name__}: {exc}")
    try:
        ctx.router_config = load_config(ctx.config_path)
    except ConfigError as exc:
        return ctx.add("fail", "routing policy", f"at {exc.key}: {exc.message}")
    models = ctx.router_config.virtual_models
    pools = {tier.pool for model in models.values() for tier in model.tiers}
    broken = [f"{name} ({model.unavailable})" for name, model in models.items() if model.unavailable]
    if broken:
        return ctx.add("fail", "routing policy", "scorer unavailable, requests fail open: " + "; ".join(broken))
    ctx.add("ok", "routing policy", f"{ctx.config_path.name} parses; {', '.join(models)} "
            f"route to {len(pools)} pools, all in model_list")


def check_callbacks(ctx: Context) -> None:
    problems = []
    if "callbacks" in ctx.section("general_settings"):
        problems.append("general_settings.callbacks is silently ignored by LiteLLM (no import, no warning, "
                        "no routing: the seed's mistake); move it to litellm_settings.callbacks")
    callbacks = ctx.section("litellm_settings").get("callbacks")
    listed = [callbacks] if isinstance(callbacks, str) else callbacks if isinstance(callbacks, list) else []
    if PLUGIN_CALLBACK not in listed:
        problems.append(f"litellm_settings.callbacks does not include {PLUGIN_CALLBACK}: the plugin would never load")
    elif isinstance(callbacks, str):
        problems.append(f"litellm_settings.callbacks is a single string: LiteLLM then replaces its own callbacks "
                        f"with it and drops its per-model budget limiter for virtual keys; write [{callbacks}]")
    if problems:
        ctx.add("fail", "callbacks", "; ".join(problems))
    else:
        ctx.add("ok", "callbacks", f"litellm_settings.callbacks includes {PLUGIN_CALLBACK}")


def check_plugin(ctx: Context) -> None:
    if ctx.router_config is None:
        return ctx.add("skip", "plugin", "not built: the routing policy did not load")
    saved = os.environ.get("VIBE_ROUTER_CONFIG")
    os.environ["VIBE_ROUTER_CONFIG"] = str(ctx.config_path.resolve())
    master_key = ctx.settings.host("LITELLM_MASTER_KEY")  # as the proxy has it: session labels are keyed by it
    key_added = bool(master_key) and "LITELLM_MASTER_KEY" not in os.environ
    if key_added:
        os.environ["LITELLM_MASTER_KEY"] = master_key
    os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    os.environ.setdefault("LITELLM_TELEMETRY_DISABLED", "true")
    logger = logging.getLogger("vibe_router")
    level = logger.level
    try:
        logger.setLevel(logging.WARNING)
        with contextlib.redirect_stdout(sys.stderr):  # keep --json output clean
            from litellm.integrations.custom_logger import CustomLogger

            from vibe_router.plugin import build_router_instance

            instance = build_router_instance()  # load_config succeeded, so it will not os._exit
    except Exception as exc:
        return ctx.add("fail", "plugin", f"vibe_router.plugin does not build: {type(exc).__name__}: {exc}")
    finally:
        logger.setLevel(level)
        os.environ.pop("VIBE_ROUTER_CONFIG")
        if saved is not None:
            os.environ["VIBE_ROUTER_CONFIG"] = saved
        if key_added:
            os.environ.pop("LITELLM_MASTER_KEY")
    cls = type(instance)
    if "async_pre_call_hook" not in vars(cls):
        ctx.add("fail", "plugin", f"{cls.__name__} inherits async_pre_call_hook; LiteLLM only dispatches "
                "a hook defined on the registered object's own class")
    elif not isinstance(instance, CustomLogger):
        ctx.add("fail", "plugin", f"{cls.__name__} is not a litellm CustomLogger")
    else:
        ctx.add("ok", "plugin", f"imports; router_instance is a {cls.__name__} that defines async_pre_call_hook")


def check_fallbacks(ctx: Context) -> None:
    models = (ctx.document or {}).get("model_list") or []
    groups = {m.get("model_name") for m in models if isinstance(m, dict)}
    problems, count = [], 0
    for section in ("router_settings", "litellm_settings"):
        for key in FALLBACK_KEYS:
            for index, entry in enumerate(ctx.section(section).get(key) or []):
                where = f"{section}.{key}[{index}]"
                if not isinstance(entry, dict):
                    problems.append(f"{where}: expected {{model_group: [fallback groups]}}")
                    continue
                for source, targets in entry.items():
                    count += 1
                    targets = [targets] if isinstance(targets, str) else targets or []
                    problems += [f"{where}: {name!r} is not a model group" for name in [source, *targets]
                                 if name not in groups]
    if problems:
        ctx.add("fail", "fallbacks", "; ".join(problems))
    else:
        ctx.add("ok", "fallbacks", f"{count} fallback chains, every group exists")


def env_refs(node: Any) -> Iterator[str]:
    """The X of every `os.environ/X` value in a parsed LiteLLM config."""
    if isinstance(node, dict | list):
        for value in node.values() if isinstance(node, dict) else node:
            yield from env_refs(value)
    elif isinstance(node, str) and node.startswith("os.environ/"):
        yield node.removeprefix("os.environ/")


def check_environment(ctx: Context) -> None:
    names = sorted(set(env_refs(ctx.document or {})))
    found = {name: ctx.settings.lookup(name) for name in names}
    missing = [name for name, (value, _) in found.items() if value is None]
    if missing:
        ctx.add("fail", "environment", f"os.environ/ values unset: {', '.join(missing)}",
                "set them in the environment or in .env (see .env.example)")
    else:
        sources = ", ".join(sorted({source for _, source in found.values()}))
        ctx.add("ok", "environment", f"all {len(names)} os.environ/ values are set ({sources})")
    raw = ctx.section("general_settings").get("master_key")
    if isinstance(raw, str) and raw.startswith("os.environ/"):
        raw = ctx.settings.lookup(raw.removeprefix("os.environ/"))[0]
    key = raw or ctx.settings.lookup("LITELLM_MASTER_KEY")[0]
    if key in PUBLIC_MASTER_KEYS:
        ctx.add("fail", "master key", f"{key} is publicly known: LiteLLM refuses to start with it",
                "python3 -c 'import secrets; print(\"sk-\" + secrets.token_hex(24))'")
    elif key:
        ctx.add("ok", "master key", "set, not a publicly known default")
    else:
        ctx.add("fail", "master key", "LITELLM_MASTER_KEY is not set: LiteLLM refuses to start without one")


def uses_cliproxy(ctx: Context, cliproxy_url: str = "") -> tuple[bool, str]:
    """Whether the auto-chat pools' CHAT_API_BASE points at CLIProxyAPI, and that base."""
    base = ctx.settings.lookup("CHAT_API_BASE")[0] or ""
    parts, ours = urlsplit(base), urlsplit(cliproxy_url)
    hit = parts.hostname == "cliproxyapi" or parts.port == CLIPROXY_PORT or bool(ours.netloc == parts.netloc != "")
    return hit, base


def check_cliproxy_key(ctx: Context, cliproxy_config: Path) -> None:
    name, key = "auto-chat key", ctx.settings.host("CLIPROXY_AUTO_CHAT_KEY")
    if key is None:
        return ctx.add("skip", name, "CLIPROXY_AUTO_CHAT_KEY is not set (only the compose stack needs it)")
    try:
        keys = (yaml.safe_load(cliproxy_config.read_text(encoding="utf-8")) or {}).get("api-keys") or []
    except (OSError, yaml.YAMLError, AttributeError) as exc:
        return ctx.add("fail", name, f"cannot read api-keys from {cliproxy_config}: {exc}")
    chat_key, file = ctx.settings.host("CHAT_API_KEY"), cliproxy_config.name
    if key not in keys:
        ctx.add("fail", name, f"CLIPROXY_AUTO_CHAT_KEY is not in api-keys of {file}: CLIProxyAPI would reject "
                "the auto-chat pools (401)", f"put the same key in .env and {file}")
    elif key == EXAMPLE_CHAT_KEY:
        ctx.add("fail", name, "still the public example key from .env.example",
                "python3 -c 'import secrets; print(\"sk-auto-chat-\" + secrets.token_hex(24))', "
                f"then put it in .env and {file}")
    elif chat_key and chat_key != key and uses_cliproxy(ctx)[0]:
        ctx.add("fail", name, "CHAT_API_KEY differs from CLIPROXY_AUTO_CHAT_KEY, but the chat pools point at "
                "CLIProxyAPI", "set CHAT_API_KEY to the auto-chat key (or remove it)")
    else:
        ctx.add("ok", name, f"CLIPROXY_AUTO_CHAT_KEY is in api-keys of {file}")


def check_redis(ctx: Context) -> None:
    """PING Redis with the client the plugin builds: the same variables, passed the same way."""
    import redis

    from vibe_router.redis_clients import sync_client
    from vibe_router.redis_connection import RedisConnection

    settings = ctx.settings
    try:
        connection = RedisConnection.from_env(settings.host_env())
    except ValueError as exc:
        return ctx.add("fail", "redis", str(exc), "fix that variable (docs/sessions.md, Connecting to Redis)")
    if connection is None and settings.service("redis") and settings.host("REDIS_PASSWORD"):
        # the compose Redis, through its published port
        connection = RedisConnection(host="127.0.0.1", port=int(settings.host("REDIS_HOST_PORT") or 6379),
                                     password=settings.host("REDIS_PASSWORD"))
    if connection is None:
        return ctx.add("skip", "redis", "not configured (no REDIS_URL, REDIS_HOST or compose REDIS_PASSWORD): "
                       "each proxy process keeps its own session state")
    where = ("REDIS_URL" if connection.url is not None else f"{connection.host}:{connection.port}"
             if connection.topology == "single" else connection.describe())
    client = sync_client(connection, 3)
    try:
        client.ping()
    except redis.RedisError as exc:
        return ctx.add("fail", "redis", f"{where} does not answer PING: {type(exc).__name__}: {exc}",
                       "docker compose ps redis; check REDIS_PASSWORD")
    finally:
        client.close()
    ctx.add("ok", "redis", f"{where} answers PING")


def _get(client: Any, path: str, key: str | None = None) -> tuple[int, dict[str, Any], str]:
    """(status, JSON body or {}, text); status 0 with the error name when nothing answered."""
    import httpx

    try:
        response = client.get(path, headers={"Authorization": f"Bearer {key}"} if key else None)
    except httpx.HTTPError as exc:
        return 0, {}, type(exc).__name__
    try:
        body = response.json()
    except ValueError:
        body = {}
    return response.status_code, body if isinstance(body, dict) else {}, response.text[:160]


def check_proxy(ctx: Context, base_url: str, key: str | None, timeout: float) -> None:
    import httpx

    with httpx.Client(base_url=base_url, timeout=timeout, trust_env=False) as client:
        status, _, text = _get(client, "/health/liveliness")
        if status != 200:
            return ctx.add("fail", "proxy", f"{base_url}/health/liveliness: {status or 'no answer'} {text}",
                           "is it running? ./deploy.sh, or docker compose ps / logs litellm")
        ctx.add("ok", "proxy", f"{base_url}/health/liveliness answers")
        status, body, text = _get(client, "/health/readiness")
        if status == 200 and body.get("status") == "healthy":
            ctx.add("ok", "readiness", "/health/readiness: healthy")
        else:
            ctx.add("fail", "readiness", f"/health/readiness answered {status}: {text}")
        if not key:
            return ctx.add("fail", "models", "no key for /v1/models", "pass --key or set LITELLM_MASTER_KEY")
        status, body, text = _get(client, "/v1/models", key)
        if status != 200:
            return ctx.add("fail", "models", f"/v1/models answered {status}: {text}",
                           "--key must be the proxy's LITELLM_MASTER_KEY")
        listed = {item.get("id") for item in body.get("data", []) if isinstance(item, dict)}
        wanted = ctx.virtual_models()
        missing = [name for name in wanted if name not in listed]
        if missing or not wanted:
            ctx.add("fail", "models", f"/v1/models lacks {', '.join(missing) or 'the virtual models'}")
        else:
            ctx.add("ok", "models", f"/v1/models lists {', '.join(wanted)}")
        status, body, _ = _get(client, "/active/callbacks", key)
    if status != 200:
        return ctx.add("skip", "plugin in proxy", f"/active/callbacks answered {status}: cannot tell")
    if any(str(c).startswith("<vibe_router.") for c in body.get("litellm.callbacks", [])):
        ctx.add("ok", "plugin in proxy", "the running proxy has vibe-router in litellm.callbacks")
    else:
        ctx.add("fail", "plugin in proxy", "the running proxy did not load vibe-router",
                "its log should show '[VIBE-ROUTER] ... plugin loaded'; check the callbacks and PYTHONPATH")


def check_cliproxyapi(ctx: Context, url: str, timeout: float) -> None:
    import httpx

    uses, base = uses_cliproxy(ctx, url)
    if not url:
        return ctx.add("skip", "cliproxyapi", "not checked (--cliproxy-url '')")
    if not uses:
        return ctx.add("skip", "cliproxyapi", f"not checked: the auto-chat pools use {base or 'no CHAT_API_BASE'}")
    key = ctx.settings.host("CLIPROXY_AUTO_CHAT_KEY")
    with httpx.Client(base_url=url, timeout=timeout, trust_env=False) as client:
        status, _, text = _get(client, "/healthz")
        models = _get(client, "/v1/models", key) if status == 200 and key else None
    if status != 200:
        return ctx.add("fail", "cliproxyapi", f"{url}/healthz: {status or 'no answer'} {text}",
                       "docker compose ps cliproxyapi / logs cliproxyapi")
    if models is None:
        return ctx.add("ok", "cliproxyapi", f"{url}/healthz answers (no CLIPROXY_AUTO_CHAT_KEY to try)")
    if models[0] != 200:
        return ctx.add("fail", "cliproxyapi", f"/v1/models with the auto-chat key answered {models[0]}",
                       "CLIPROXY_AUTO_CHAT_KEY must be in api-keys of cliproxyapi.config.yaml")
    listed = {item.get("id") for item in models[1].get("data", []) if isinstance(item, dict)}
    wanted = {(ctx.settings.lookup(n)[0] or "").split("/", 1)[-1] for n in ("CHAT_MINI_MODEL", "CHAT_STANDARD_MODEL")}
    missing = sorted(m for m in wanted if m and m not in listed)
    if missing:
        ctx.add("fail", "cliproxyapi", f"answers, but does not serve {', '.join(missing)}",
                "log in first (steps in cliproxyapi.config.yaml) or change CHAT_*_MODEL")
    else:
        ctx.add("ok", "cliproxyapi", f"{url} answers, accepts the auto-chat key and serves the chat models")


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


if __name__ == "__main__":
    sys.exit(main())
