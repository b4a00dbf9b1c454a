"""Call the plugin's pre-call hook the way the proxy does, outside a proxy."""

from __future__ import annotations

import asyncio
from typing import Any

from vibe_router.plugin import VibeRouter


def hook(plugin: VibeRouter, data: Any, call_type: str = "acompletion") -> Any:
    """`data` after the hook (LiteLLM passes no user key or cache here in these tests)."""
    return asyncio.run(plugin.async_pre_call_hook(None, None, data, call_type))
