"""Where LiteLLM keeps a request's metadata, and the routing record the plugin leaves there.

Plain dict work, no litellm: the plugin (`plugin.py`) and the benchmarks' floor plugin share it.
"""

from __future__ import annotations

from typing import Any

from vibe_router.overrides import Caller
from vibe_router.policy import Decision
from vibe_router.wire import BY_ENDPOINT, METADATA_FIELDS

METADATA_KEY = "vibe_router"


class RoutingRecord(dict):
    """The decision as it travels in request metadata (a plain dict to every reader).

    LiteLLM deep-copies the metadata for every fallback hop. Nothing changes a record after
    the hook wrote it, so its copy is the record itself.
    """

    def __deepcopy__(self, memo: dict[int, Any]) -> RoutingRecord:
        return self


def request_metadata(data: dict, endpoint: str) -> dict:
    """Where LiteLLM keeps this request's metadata (made when the body has none)."""
    field = BY_ENDPOINT[endpoint].metadata_field
    metadata = data.get(field)
    if not isinstance(metadata, dict):
        metadata = {}
        data[field] = metadata
    return metadata


def find_record(container: dict) -> dict | None:
    """The routing record in a request body's (or a logging event's) metadata, if any."""
    for field in METADATA_FIELDS:
        metadata = container.get(field)
        if isinstance(metadata, dict) and isinstance(metadata.get(METADATA_KEY), dict):
            return metadata[METADATA_KEY]
    return None


def mark_spend(metadata: dict, decision: Decision) -> None:
    """The decision where LiteLLM's spend logs keep it: `spend_logs_metadata` and the request's tags.

    Merged with what the client sent, never replacing it.
    """
    sent = metadata.get("spend_logs_metadata")
    sent = sent if isinstance(sent, dict) else {}
    metadata["spend_logs_metadata"] = {**sent, METADATA_KEY: decision.spend_record()}
    tags = metadata.get("tags")
    tag = f"vibe-router:{decision.virtual_model}:{decision.tier}"
    metadata["tags"] = [*tags, tag] if isinstance(tags, list) else [tag]


def request_headers(data: dict, metadata: dict) -> dict[str, str]:
    for source in (metadata.get("headers"), (data.get("proxy_server_request") or {}).get("headers")):
        if isinstance(source, dict):
            return source
    return {}


def caller(user_api_key_dict: Any, metadata: dict) -> Caller:
    """Who sent the request: LiteLLM's auth object, else what it copied into the metadata."""
    return Caller(
        key_hash=_pick(user_api_key_dict, "token", metadata, "user_api_key_hash"),
        key_alias=_pick(user_api_key_dict, "key_alias", metadata, "user_api_key_alias"),
        team_alias=_pick(user_api_key_dict, "team_alias", metadata, "user_api_key_team_alias"),
    )


def _pick(user_api_key_dict: Any, attribute: str, metadata: dict, key: str) -> str | None:
    value = getattr(user_api_key_dict, attribute, None) or metadata.get(key)
    return value if isinstance(value, str) else None
