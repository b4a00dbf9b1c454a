"""The wire format registry: every format is reachable from its call types, its endpoint and its bodies."""

from __future__ import annotations

from typing import Any

import pytest

from vibe_router.request import build_view
from vibe_router.wire import (
    BY_CALL_TYPE,
    ENDPOINTS,
    FORMATS,
    METADATA_FIELDS,
    detect_endpoint,
    for_call_type,
    prompt_body,
    wire_format,
)

# One minimal body of each format, its user text holding an inline route tag.
TAGGED = {
    "chat": {"messages": [{"role": "user", "content": "fix [[route:standard]] it"}]},
    "completions": {"prompt": ["older", "fix [[route:standard]] it"]},
    "messages": {"system": "s", "max_tokens": 9,
                 "messages": [{"role": "user", "content": [{"type": "text", "text": "fix [[route:standard]] it"}]}]},
    "responses": {"instructions": "s", "input": [{"role": "user", "content": "fix [[route:standard]] it"}]},
}


def test_the_registry_holds_each_endpoint_and_call_type_once() -> None:
    endpoints = [wire.endpoint for wire in FORMATS]
    assert sorted(endpoints) == list(ENDPOINTS) == sorted(TAGGED)
    call_types = [call_type for wire in FORMATS for call_type in wire.call_types]
    assert len(call_types) == len(set(call_types)) == len(BY_CALL_TYPE)
    assert for_call_type("aembedding") is None and for_call_type("acompletion") is wire_format("chat")
    assert METADATA_FIELDS == ("metadata", "litellm_metadata")
    with pytest.raises(ValueError, match="unknown endpoint kind"):
        wire_format("embeddings")


@pytest.mark.parametrize("endpoint", sorted(TAGGED))
def test_each_format_recognises_reads_and_strips_its_own_body(endpoint: str) -> None:
    body: dict[str, Any] = {**TAGGED[endpoint]}
    wire = wire_format(endpoint)
    assert detect_endpoint(body) == endpoint
    assert wire.shape_error(body) is None
    assert build_view(endpoint, body).double_brackets
    assert wire.strip_tags(body) is True
    assert build_view(endpoint, body).text == "fix it"
    assert wire.strip_tags(body) is False


def test_a_format_strips_only_the_fields_it_reads() -> None:
    body = {"messages": [{"role": "user", "content": "a [[route:cheap]]"}], "prompt": "b [[route:cheap]]"}
    assert wire_format("chat").strip_tags(body)
    assert body == {"messages": [{"role": "user", "content": "a"}], "prompt": "b [[route:cheap]]"}


def test_a_bare_prompt_is_one_chat_user_message() -> None:
    assert detect_endpoint(prompt_body("hi")) == "chat"
    assert build_view("chat", prompt_body("hi")).text == "hi"
