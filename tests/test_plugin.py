"""The LiteLLM adapter, in process: what the hook does to `data`, and what it never does."""

from __future__ import annotations

import asyncio
import copy
import json
from types import SimpleNamespace
from typing import Any

import litellm
import pytest
import yaml
from fastapi import HTTPException

from tests.support.configs import heuristic_document
from tests.support.hooks import hook
from tests.support.logs import Captured
from tests.support.stack import CONFIG, pool_env
from vibe_router.config import parse_config
from vibe_router.plugin import METADATA_KEY, VibeRouter, build_router_instance, unpriced_pools


@pytest.fixture(scope="module")
def router() -> VibeRouter:
    """config_final.yaml on the heuristic: records and headers whose scores a reader can add up."""
    return VibeRouter(parse_config(heuristic_document()))


def chat(text: Any, model: Any = "auto-chat") -> dict[str, Any]:
    return {"model": model, "messages": [{"role": "user", "content": text}]}


def test_the_hook_is_defined_on_the_class_itself() -> None:
    assert "async_pre_call_hook" in vars(VibeRouter)
    assert "async_post_call_response_headers_hook" in vars(VibeRouter)


@pytest.mark.parametrize(
    ("call_type", "body", "field", "pool"),
    [
        ("acompletion", chat("hi"), "metadata", "pool-chat-mini"),
        ("atext_completion", {"model": "auto-chat", "prompt": "hi"}, "metadata", "pool-chat-mini"),
        ("anthropic_messages", chat("hi", "auto-claude"), "litellm_metadata", "pool-claude-haiku"),
        ("aresponses", {"model": "auto-codex", "input": "hi"}, "litellm_metadata", "pool-codex-mini"),
    ],
)
def test_rewrites_model_and_records_the_decision(
    router: VibeRouter, call_type: str, body: dict[str, Any], field: str, pool: str
) -> None:
    data = hook(router, body, call_type)
    assert data["model"] == pool
    record = data[field][METADATA_KEY]
    assert record["pool"] == pool
    assert record["tier"] == "cheap"
    assert record["classifier"] == "heuristic"
    assert {reason["feature"] for reason in record["reasons"]} == {"length", "simple:hi"}


def test_the_record_is_plain_data_and_a_deep_copy_shares_it(router: VibeRouter) -> None:
    """LiteLLM deep-copies metadata per fallback hop: the record comes along, unchanged and uncopied."""
    data = hook(router, chat("hi"))
    copied = copy.deepcopy(data["metadata"])
    assert copied is not data["metadata"] and copied[METADATA_KEY] is data["metadata"][METADATA_KEY]
    record = json.loads(json.dumps(data["metadata"][METADATA_KEY]))
    assert record["headers"]["x-vibe-router-pool"] == "pool-chat-mini"
    headers = asyncio.run(router.async_post_call_response_headers_hook({"metadata": copied}, None, None))
    assert headers == record["headers"] and headers is not data["metadata"][METADATA_KEY]["headers"]


def test_existing_metadata_is_kept(router: VibeRouter) -> None:
    data = hook(router, {**chat("hi"), "metadata": {"user": "u1"}})
    assert data["metadata"]["user"] == "u1"
    assert METADATA_KEY in data["metadata"]


@pytest.mark.parametrize(
    ("call_type", "body"),
    [
        ("aembedding", {"model": "auto-chat", "input": "hi"}),
        ("acompletion", chat("hi", "pool-chat-standard")),
        ("acompletion", chat("hi", None)),
        ("acompletion", chat("hi", 42)),
        ("acompletion", chat("hi", ["auto-chat"])),
        ("aimage_generation", {"model": "auto-chat", "prompt": "a cat"}),
    ],
)
def test_leaves_other_requests_alone(router: VibeRouter, call_type: str, body: dict[str, Any]) -> None:
    before = repr(body)
    assert hook(router, body, call_type) is body
    assert repr(body) == before


TOLERATED = [
    chat(None),
    {"model": "auto-chat", "messages": [{"role": "assistant", "content": "no user"}]},
    {"model": "auto-chat", "messages": [{"role": None, "content": "x"}]},
    chat("x" * 5_000_000),
    chat("\ud800 broken surrogate \udfff"),
]
FORBIDDEN = [
    (chat(12345), "messages[0].content"),
    (chat([[["nested"]]]), "messages[0].content[0]"),
    (chat([{"type": "mystery", "payload": 1}]), "messages[0].content[0].type"),
    (chat({"not": "a list"}), "messages[0].content"),
    ({"model": "auto-chat", "messages": "not a list"}, "messages"),
    ({"model": "auto-chat", "messages": [None, 3, "x"]}, "messages[0]"),
    ({"model": "auto-chat"}, "messages"),
]


@pytest.mark.parametrize("body", [
    {"model": "auto-chat", "prompt": None},
    {"model": "auto-chat"},
    {"model": "auto-chat", "prompt": 5},
    {"model": "auto-chat", "prompt": [1, "mixed"]},
])
def test_a_completion_without_a_usable_prompt_gets_a_400(router: VibeRouter, body: dict[str, Any]) -> None:
    with pytest.raises(HTTPException) as raised:
        hook(router, body, "atext_completion")
    assert (raised.value.status_code, raised.value.param) == (400, "prompt")
    assert raised.value.detail.startswith("vibe-router: invalid request: prompt: ")


def test_only_the_anthropic_400_carries_the_field_in_provider_specific_fields(router: VibeRouter) -> None:
    with pytest.raises(HTTPException) as openai_style:
        hook(router, chat(12345))
    with pytest.raises(HTTPException) as anthropic_style:
        hook(router, chat(12345, "auto-claude"), "anthropic_messages")
    assert openai_style.value.provider_specific_fields is None
    assert anthropic_style.value.provider_specific_fields == {"param": "messages[0].content"}


@pytest.mark.parametrize("body", TOLERATED, ids=range(len(TOLERATED)))
def test_odd_but_legal_shapes_are_routed(router: VibeRouter, body: dict[str, Any]) -> None:
    data = hook(router, body)
    assert data["model"] in ("pool-chat-mini", "pool-chat-standard")
    assert data["metadata"][METADATA_KEY]["virtual_model"] == "auto-chat"


@pytest.mark.parametrize(("body", "field"), FORBIDDEN, ids=range(len(FORBIDDEN)))
def test_forbidden_shapes_get_a_400_naming_the_field(router: VibeRouter, body: dict[str, Any], field: str) -> None:
    with pytest.raises(HTTPException) as raised:
        hook(router, body)
    assert raised.value.status_code == 400
    assert raised.value.param == field
    assert raised.value.detail.startswith(f"vibe-router: invalid request: {field}: ")


@pytest.mark.parametrize(("body", "field"), FORBIDDEN, ids=range(len(FORBIDDEN)))
def test_without_rejection_forbidden_shapes_still_route(body: dict[str, Any], field: str) -> None:
    document = yaml.safe_load(CONFIG.read_text())
    document["vibe_router"]["reject_malformed"] = False
    data = hook(VibeRouter(parse_config(document)), body)
    assert data["model"] in ("pool-chat-mini", "pool-chat-standard")


def test_headers_come_from_the_recorded_decision(router: VibeRouter) -> None:
    data = hook(router, chat("Implement a distributed consensus algorithm"))
    headers = asyncio.run(router.async_post_call_response_headers_hook(data, None, None))
    assert len(headers.pop("x-vibe-router-session")) == 12
    assert headers == {
        "x-vibe-router-virtual-model": "auto-chat",
        "x-vibe-router-pool": "pool-chat-standard",
        "x-vibe-router-tier": "standard",
        "x-vibe-router-score": "193",
        "x-vibe-router-reason": "score: complex:implement+150 length+43",
        "x-vibe-router-decided-by": "score",
    }


def test_non_ascii_reasons_make_latin1_safe_headers(router: VibeRouter) -> None:
    data = hook(router, chat("请帮我实现这个功能"), "acompletion")
    headers = asyncio.run(router.async_post_call_response_headers_hook(data, None, None))
    assert "\\u5b9e\\u73b0" in headers["x-vibe-router-reason"]
    for value in headers.values():
        value.encode("latin-1")


def test_no_headers_for_requests_it_did_not_route(router: VibeRouter) -> None:
    assert asyncio.run(router.async_post_call_response_headers_hook(chat("hi", "pool-chat-mini"), None, None)) is None


def with_preview(enabled: bool) -> VibeRouter:
    document = yaml.safe_load(CONFIG.read_text())
    document["vibe_router"]["log_preview"] = enabled
    return VibeRouter(parse_config(document))


def test_prompt_preview_only_when_asked(captured: Captured, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(litellm, "turn_off_message_logging", False)
    hook(with_preview(False), chat("a secret plan"))
    hook(with_preview(True), chat("a visible plan"))
    assert not any("secret" in line for line in captured.lines)
    assert any('preview="a visible plan"' in line for line in captured.lines)


def test_turn_off_message_logging_wins_over_preview(captured: Captured, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(litellm, "turn_off_message_logging", True)
    hook(with_preview(True), chat("a private plan"))
    assert any("ROUTING DECISION" in line for line in captured.lines)
    assert not any("private" in line for line in captured.lines)


def test_a_missing_model_file_fails_open_loudly(captured: Captured) -> None:
    document = yaml.safe_load(CONFIG.read_text())
    section = document["vibe_router"]
    section["scorers"]["broken"] = {"kind": "tests.support.faulty_scorer:MissingModelScorer", "model": "/nope.json"}
    section["virtual_models"]["auto-chat"]["scorer"] = "broken"
    config = parse_config(document)
    assert "cannot read model file '/nope.json'" in config.virtual_models["auto-chat"].unavailable
    assert config.virtual_models["auto-codex"].unavailable is None
    router = VibeRouter(config)
    data = hook(router, chat("hi"))
    assert data["model"] == "auto-chat"
    assert data["metadata"][METADATA_KEY] == {"virtual_model": "auto-chat", "fail_open": True}
    assert any("ROUTING FAILURE virtual_model=auto-chat" in line and "ScorerUnavailable" in line
               for line in captured.lines)
    assert hook(router, {"model": "auto-codex", "input": "hi"}, "aresponses")["model"] == "pool-codex-mini"


def test_a_pool_litellm_cannot_price_is_named_at_load(captured: Captured, monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in pool_env(SimpleNamespace(url="http://127.0.0.1:9")).items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("VIBE_ROUTER_CONFIG", str(CONFIG))
    build_router_instance()
    assert not any("UNPRICED POOL" in line for line in captured.lines)
    monkeypatch.setenv("CHAT_MINI_MODEL", "openai/a-model-litellm-does-not-know")
    build_router_instance()
    unpriced = [line for line in captured.lines if "UNPRICED POOL" in line]
    assert len(unpriced) == 1 and "pool=pool-chat-mini model=openai/a-model-litellm-does-not-know" in unpriced[0]


def test_a_price_in_the_config_is_enough() -> None:
    document = yaml.safe_load(CONFIG.read_text())
    for entry in document["model_list"]:
        entry["litellm_params"]["model"] = "openai/a-model-litellm-does-not-know"
    assert {name for name, _ in unpriced_pools(parse_config(document))} == {
        "auto-chat", "auto-codex", "auto-claude", "pool-chat-mini", "pool-chat-standard",
        "pool-claude-haiku", "pool-claude-sonnet", "pool-codex-standard",
    }  # pool-codex-mini carries its own price


def test_a_scenario_pool_outside_the_ladder_is_checked_too() -> None:
    document = yaml.safe_load(CONFIG.read_text())
    document["model_list"].append({"model_name": "pool-vision", "litellm_params": {"model": "openai/unknown-vision"}})
    document["model_list"].append({"model_name": "pool-unused", "litellm_params": {"model": "openai/unknown-other"}})
    scenarios = document["vibe_router"]["virtual_models"]["auto-chat"]["scenarios"]
    scenarios["images"] = {"pool": "pool-vision"}
    assert unpriced_pools(parse_config(document)) == [("pool-vision", "openai/unknown-vision")]
