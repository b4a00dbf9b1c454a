"""The repo's own config_final.yaml running in a real proxy, its pools on the echo upstream."""

from __future__ import annotations

from pathlib import Path

from tests.support.processes import REPO_ROOT, EchoUpstream, Proxy, start_litellm_proxy

CONFIG = REPO_ROOT / "config_final.yaml"
UPSTREAM_MODEL = {
    "pool-chat-mini": "gpt-5-mini",
    "pool-chat-standard": "gpt-5",
    "pool-codex-mini": "gpt-5-codex-mini",
    "pool-codex-standard": "gpt-5-codex",
    "pool-claude-haiku": "claude-haiku-4-5",
    "pool-claude-sonnet": "claude-sonnet-4-5",
}


def pool_env(echo: EchoUpstream) -> dict[str, str]:
    """Environment for config_final.yaml with every upstream on the echo server."""
    return {
        "CHAT_API_BASE": f"{echo.url}/v1",
        "CODEX_API_BASE": f"{echo.url}/v1",
        "CLAUDE_API_BASE": echo.url,
        "CHAT_API_KEY": "sk-echo-chat",
        "CODEX_API_KEY": "sk-echo-codex",
        "CLAUDE_API_KEY": "sk-echo-claude",
        "CHAT_MINI_MODEL": "openai/gpt-5-mini",
        "CHAT_STANDARD_MODEL": "openai/gpt-5",
        "CODEX_MINI_MODEL": "openai/gpt-5-codex-mini",
        "CODEX_STANDARD_MODEL": "openai/gpt-5-codex",
        "CLAUDE_HAIKU_MODEL": "anthropic/claude-haiku-4-5",
        "CLAUDE_SONNET_MODEL": "anthropic/claude-sonnet-4-5",
    }


def start_routed_proxy(echo: EchoUpstream, config: Path = CONFIG, **env: str) -> Proxy:
    """A LiteLLM proxy with vibe-router loaded from `config`, pools on `echo`."""
    return start_litellm_proxy(config, env={**pool_env(echo), "VIBE_ROUTER_CONFIG": str(config), **env})


def expected_score(text: str, virtual_model: str = "auto-chat") -> float:
    """The score config_final.yaml gives a chat turn, as `vibe-router score` would print it."""
    from vibe_router.config import load_config
    from vibe_router.policy import Policy

    body = {"model": virtual_model, "messages": [{"role": "user", "content": text}]}
    return Policy(load_config(CONFIG)).decide("chat", body).score
