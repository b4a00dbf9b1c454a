"""The least a routing plugin can do, for `bench.overhead --plugin floor`.

It does the job vibe-router does with the decision left out: each virtual model of the config
goes to its cheapest tier's pool, the request's metadata carries a small record, and the
response gets the same `x-vibe-router-*` headers. What it costs is what LiteLLM charges any
plugin that rewrites the model and explains itself: the floor under vibe-router's own cost.
"""

from __future__ import annotations

import sys
from typing import Any

from litellm.integrations.custom_logger import CustomLogger

from vibe_router.config import load_config, resolve_config_path
from vibe_router.policy import HEADER_PREFIX
from vibe_router.proxy_metadata import METADATA_KEY, find_record, request_metadata
from vibe_router.wire import for_call_type

HEADER_NAMES = ("virtual-model", "pool", "tier", "score", "reason", "decided-by", "session")


class FloorPlugin(CustomLogger):
    def __init__(self, pools: dict[str, str]) -> None:
        super().__init__()
        self.pools = pools
        self.headers = {
            virtual: {HEADER_PREFIX + name: pool if name == "pool" else virtual for name in HEADER_NAMES}
            for virtual, pool in pools.items()
        }

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> dict:
        wire = for_call_type(str(call_type))
        virtual = data.get("model") if wire is not None else None
        pool = self.pools.get(virtual) if isinstance(virtual, str) else None
        if pool is None:
            return data
        data["model"] = pool
        request_metadata(data, wire.endpoint)[METADATA_KEY] = {"virtual_model": virtual, "pool": pool}
        return data

    async def async_post_call_response_headers_hook(
        self, data: dict, user_api_key_dict: Any, response: Any, request_headers: Any = None,
        litellm_call_info: Any = None,
    ) -> dict[str, str] | None:
        record = find_record(data)
        return dict(self.headers[record["virtual_model"]]) if record else None


def _build() -> FloorPlugin:
    config = load_config(resolve_config_path())
    pools = {name: virtual.tiers[0].pool for name, virtual in config.virtual_models.items()}
    print(f"[VIBE-ROUTER] [INFO] plugin loaded: floor (bench/floor_plugin.py) pools={pools}", file=sys.stderr,
          flush=True)
    return FloorPlugin(pools)


instance = _build()
