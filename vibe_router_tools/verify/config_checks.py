"""The offline checks (`verify.py --offline`): the LiteLLM config, the plugin, fallbacks, environment,
master key and the CLIProxyAPI auto-chat key."""

from __future__ import annotations

import contextlib
import logging
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from vibe_router_tools.verify.context import Context

PLUGIN_CALLBACK = "vibe_router.router_instance"
PUBLIC_MASTER_KEYS = frozenset({"sk-1234"})  # LiteLLM refuses to start with these
EXAMPLE_CHAT_KEY = "sk-auto-chat-change-me"  # the placeholder in .env.example and cliproxyapi.config.yaml
CLIPROXY_PORT = 8317
FALLBACK_KEYS = ("fallbacks", "context_window_fallbacks", "content_policy_fallbacks")


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

