"""vibe-router: per-request model routing for a LiteLLM proxy.

LiteLLM loads `vibe_router.router_instance` (under `litellm_settings.callbacks`). It is
built on first access, so the engine and the CLI never import litellm.
"""

from typing import Any

__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name == "router_instance":
        from vibe_router.plugin import build_router_instance

        instance = build_router_instance()
        globals()["router_instance"] = instance
        return instance
    raise AttributeError(f"module 'vibe_router' has no attribute {name!r}")
