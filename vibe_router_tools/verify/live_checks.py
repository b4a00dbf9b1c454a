"""The online checks: Redis answers PING, the proxy is up, lists the virtual models and loaded the plugin,
and CLIProxyAPI serves the chat models."""

from __future__ import annotations

from typing import Any

from vibe_router_tools.verify.config_checks import uses_cliproxy
from vibe_router_tools.verify.context import Context


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

