"""The wire formats the router reads, one module each, and the registry the rest asks.

`FORMATS` is in the order bare bodies are recognised: the first format whose `recognises`
claims a body wins, and chat completions, which claims any, comes last. A new format is a
module implementing `base.WireFormat` and one line here.
"""

from __future__ import annotations

from typing import Any

from vibe_router.wire import chat, completions, messages, responses
from vibe_router.wire.base import WalkInput, WireFormat, prompt_body

FORMATS: tuple[WireFormat, ...] = (responses.FORMAT, completions.FORMAT, messages.FORMAT, chat.FORMAT)

BY_ENDPOINT: dict[str, WireFormat] = {wire.endpoint: wire for wire in FORMATS}
BY_CALL_TYPE: dict[str, WireFormat] = {call_type: wire for wire in FORMATS for call_type in wire.call_types}
ENDPOINTS = tuple(sorted(BY_ENDPOINT))
# Every field LiteLLM keeps request metadata in, its general `metadata` first.
METADATA_FIELDS = tuple(sorted({wire.metadata_field for wire in FORMATS}, key=len))
TURN_FIELDS = frozenset().union(*(wire.turn_fields for wire in FORMATS))
# What sending a request of any format again needs: capture keeps these fields of its body.
REPLAY_FIELDS = ("model", *sorted(frozenset().union(*(wire.replay_fields for wire in FORMATS))))

__all__ = ["BY_CALL_TYPE", "BY_ENDPOINT", "ENDPOINTS", "FORMATS", "METADATA_FIELDS", "REPLAY_FIELDS", "TURN_FIELDS",
           "WalkInput", "WireFormat", "detect_endpoint", "for_call_type", "prompt_body", "shape_error", "wire_format"]


def wire_format(endpoint: str) -> WireFormat:
    """The format of an endpoint kind; ValueError for one the router does not read."""
    found = BY_ENDPOINT.get(endpoint)
    if found is None:
        raise ValueError(f"unknown endpoint kind {endpoint!r}")
    return found


def for_call_type(call_type: str) -> WireFormat | None:
    """The format of a LiteLLM call type, or None for one the router leaves alone (embeddings, ...)."""
    return BY_CALL_TYPE.get(call_type)


def detect_endpoint(body: dict[str, Any]) -> str:
    """The endpoint kind of a bare request body (no URL), from its own fields."""
    return next(wire.endpoint for wire in FORMATS if wire.recognises(body))


def shape_error(endpoint: str, body: dict[str, Any], start: int = 0) -> str | None:
    """`field: problem` for the first shape the endpoint's format forbids, else None."""
    return wire_format(endpoint).shape_error(body, start)
