"""The repo's own config_final.yaml running in a real proxy, its pools on the echo upstream."""

from __future__ import annotations

import subprocess
from pathlib import Path

from tests.support.processes import (
    DEFAULT_MASTER_KEY,
    REPO_ROOT,
    EchoUpstream,
    Proxy,
    free_port,
    litellm_executable,
    start_litellm_proxy,
)

CONFIG = REPO_ROOT / "config_final.yaml"
EXIT_CONFIG_ERROR = 78  # what the plugin exits with on a bad config
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


def run_proxy_expecting_exit(config: Path, echo: EchoUpstream, **extra_env: str) -> subprocess.CompletedProcess[str]:
    """Start a proxy that should stop at start-up; its exit code and output."""
    env = {
        **pool_env(echo),
        "PATH": "/usr/bin:/bin",
        "LITELLM_MASTER_KEY": DEFAULT_MASTER_KEY,
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY_DISABLED": "true",
        "VIBE_ROUTER_CONFIG": str(config),
        **extra_env,
        "PYTHONPATH": str(REPO_ROOT),
    }
    command = [litellm_executable(), "--config", str(config), "--host", "127.0.0.1", "--port", str(free_port())]
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)


def expected_score(text: str, virtual_model: str = "auto-chat") -> float:
    """The score config_final.yaml gives a chat turn, as `vibe-router score` would print it."""
    from vibe_router.config import load_config
    from vibe_router.policy import Policy

    body = {"model": virtual_model, "messages": [{"role": "user", "content": text}]}
    return Policy(load_config(CONFIG)).decide("chat", body).score
