"""The echo upstream, called directly and through a real LiteLLM proxy (real processes)."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import anthropic
import httpx
import openai
import pytest

from tests.support.processes import (
    EchoUpstream,
    Proxy,
    start_echo_upstream,
    start_litellm_proxy,
)
from vibe_router_tools.echo_upstream import MAX_RECORDS, EchoState

RESPONSES_EVENTS = [
    "response.created", "response.in_progress", "response.output_item.added",
    "response.content_part.added", "response.output_text.delta", "response.output_text.done",
    "response.content_part.done", "response.output_item.done", "response.completed",
]
MESSAGES_EVENTS = [
    "message_start", "content_block_start", "ping", "content_block_delta",
    "content_block_stop", "message_delta", "message_stop",
]
USER = [{"role": "user", "content": "hello echo"}]


@pytest.fixture(scope="module")
def echo() -> Iterator[EchoUpstream]:
    upstream = start_echo_upstream()
    yield upstream
    exit_code = upstream.process.poll()
    upstream.stop()
    assert exit_code is None, f"echo upstream died (exit {exit_code}):\n{upstream.log_tail()}"


@pytest.fixture(autouse=True)
def fresh(echo: EchoUpstream) -> None:
    echo.clear()
    echo.clear_faults()


def post(echo: EchoUpstream, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
    return httpx.post(f"{echo.url}{path}", json=body, headers=headers, timeout=10,
                      trust_env=False)


def sse(echo: EchoUpstream, path: str, body: dict[str, Any]) -> list[tuple[str | None, Any]]:
    """POST a streaming request; return (event name, parsed data) per SSE frame."""
    frames: list[tuple[str | None, Any]] = []
    with httpx.stream("POST", f"{echo.url}{path}", json={**body, "stream": True},
                      timeout=10, trust_env=False) as response:
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event: str | None = None
        for line in response.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                data = line[6:]
                frames.append((event, data if data == "[DONE]" else json.loads(data)))
                event = None
    return frames


def collapse(names: list[str | None]) -> list[str | None]:
    """Event names with consecutive repeats (the deltas) folded into one."""
    return [n for i, n in enumerate(names) if i == 0 or names[i - 1] != n]


# ---------------------------------------------------------------- directly, with httpx

PLAIN_CASES = {
    "/chat/completions": ({"messages": USER}, lambda r: r["choices"][0]["message"]["content"]),
    "/completions": ({"prompt": "hello echo"}, lambda r: r["choices"][0]["text"]),
    "/responses": ({"input": "hello echo"}, lambda r: r["output"][0]["content"][0]["text"]),
    "/messages": ({"messages": USER, "max_tokens": 20}, lambda r: r["content"][0]["text"]),
}


def test_health_and_models(echo: EchoUpstream) -> None:
    health = httpx.get(f"{echo.url}/healthz", trust_env=False)
    assert (health.status_code, health.text) == (200, "ok")
    for path in ("/v1/models", "/models"):
        models = httpx.get(f"{echo.url}{path}", trust_env=False).json()
        assert models["object"] == "list"
        assert "gpt-5-mini" in {m["id"] for m in models["data"]}


@pytest.mark.parametrize("prefix", ["/v1", ""])
@pytest.mark.parametrize("path", list(PLAIN_CASES))
def test_plain_endpoints_echo_the_model(echo: EchoUpstream, path: str, prefix: str) -> None:
    body, text_of = PLAIN_CASES[path]
    response = post(echo, prefix + path, {"model": "m-plain", **body})
    assert response.status_code == 200
    answer = response.json()
    assert answer["model"] == "m-plain"
    assert text_of(answer) == "echo from m-plain: hello echo"
    usage = answer["usage"]
    assert usage.get("prompt_tokens", usage.get("input_tokens")) > 0
    assert usage.get("completion_tokens", usage.get("output_tokens")) > 0
    assert echo.requests()[-1]["path"] == prefix + path


def test_last_user_text_is_truncated_and_taken_from_content_parts(echo: EchoUpstream) -> None:
    messages = [
        {"role": "user", "content": "an older question"},
        {"role": "assistant", "content": "an answer"},
        {"role": "user", "content": [{"type": "text", "text": "x" * 100}]},
    ]
    answer = post(echo, "/v1/messages", {"model": "m", "messages": messages}).json()
    assert answer["content"][0]["text"] == "echo from m: " + "x" * 60
    items = [{"type": "message", "role": "user",
              "content": [{"type": "input_text", "text": "from items"}]}]
    answer = post(echo, "/v1/responses", {"model": "m", "input": items}).json()
    assert answer["output"][0]["content"][0]["text"] == "echo from m: from items"


@pytest.mark.parametrize("include_usage", [True, False])
def test_chat_stream(echo: EchoUpstream, include_usage: bool) -> None:
    body = {"model": "m-chat", "messages": USER}
    if include_usage:
        body["stream_options"] = {"include_usage": True}
    frames = sse(echo, "/v1/chat/completions", body)
    assert frames[-1] == (None, "[DONE]")
    chunks = [data for _, data in frames[:-1]]
    assert all(c["object"] == "chat.completion.chunk" and c["model"] == "m-chat" for c in chunks)
    text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert text == "echo from m-chat: hello echo"
    finishes = [c["choices"][0]["finish_reason"] for c in chunks if c["choices"]]
    assert finishes[-1] == "stop"
    assert ("usage" in chunks[-1] and chunks[-1]["choices"] == []) is include_usage


def test_completions_stream(echo: EchoUpstream) -> None:
    frames = sse(echo, "/completions", {"model": "m-text", "prompt": "hello echo"})
    assert frames[-1] == (None, "[DONE]")
    chunks = [data for _, data in frames[:-1]]
    assert {c["object"] for c in chunks} == {"text_completion"}
    assert "".join(c["choices"][0]["text"] for c in chunks) == "echo from m-text: hello echo"
    assert chunks[-1]["choices"][0]["finish_reason"] == "stop"


def test_responses_stream_has_the_real_event_sequence(echo: EchoUpstream) -> None:
    frames = sse(echo, "/v1/responses", {"model": "m-resp", "input": "hello echo"})
    assert collapse([name for name, _ in frames]) == RESPONSES_EVENTS
    assert all(name == data["type"] for name, data in frames)
    assert [data["sequence_number"] for _, data in frames] == list(range(len(frames)))
    deltas = "".join(d["delta"] for n, d in frames if n == "response.output_text.delta")
    assert deltas == "echo from m-resp: hello echo"
    completed = frames[-1][1]["response"]
    assert completed["status"] == "completed" and completed["model"] == "m-resp"
    assert completed["output"][0]["content"][0]["text"] == deltas
    assert completed["usage"]["total_tokens"] > 0


def test_messages_stream_has_the_real_event_sequence(echo: EchoUpstream) -> None:
    frames = sse(echo, "/messages", {"model": "m-claude", "messages": USER, "max_tokens": 9})
    assert collapse([name for name, _ in frames]) == MESSAGES_EVENTS
    assert all(name == data["type"] for name, data in frames)
    assert frames[0][1]["message"]["model"] == "m-claude"
    text = "".join(d["delta"]["text"] for n, d in frames if n == "content_block_delta")
    assert text == "echo from m-claude: hello echo"
    assert frames[-2][1]["delta"]["stop_reason"] == "end_turn"


def test_requests_are_recorded_and_cleared(echo: EchoUpstream) -> None:
    post(echo, "/v1/messages?beta=true", {"model": "m-rec", "messages": USER},
         **{"x-api-key": "sk-a", "anthropic-version": "2023-06-01", "x-other": "no"})
    sse(echo, "/chat/completions", {"model": "m-rec2", "messages": USER})
    first, second = echo.requests()
    assert first == {
        "path": "/v1/messages", "model": "m-rec", "stream": False,
        "headers": {"x-api-key": "sk-a", "anthropic-version": "2023-06-01",
                    "content-type": "application/json"},
        "body": {"model": "m-rec", "messages": USER},
    }
    assert (second["path"], second["model"], second["stream"]) == (
        "/chat/completions", "m-rec2", True)
    echo.clear()
    assert echo.requests() == []


def test_records_are_bounded() -> None:
    state = EchoState()
    for i in range(MAX_RECORDS + 5):
        state.record({"model": str(i)})
    records, _ = state.read()
    assert len(records) == MAX_RECORDS == 2000
    assert records[0]["model"] == "5"


def test_status_fault_hits_only_its_model(echo: EchoUpstream) -> None:
    echo.set_faults({"m-bad": {"status": 503}})
    failed = post(echo, "/v1/chat/completions", {"model": "m-bad", "messages": USER})
    assert failed.status_code == 503 and "m-bad" in failed.json()["error"]["message"]
    failed = post(echo, "/v1/messages", {"model": "m-bad", "messages": USER, "stream": True})
    assert failed.status_code == 503 and failed.json()["type"] == "error"
    assert post(echo, "/v1/chat/completions", {"model": "m-ok", "messages": USER}).is_success
    assert [r["model"] for r in echo.requests()] == ["m-bad", "m-bad", "m-ok"]
    echo.clear_faults()
    assert post(echo, "/v1/chat/completions", {"model": "m-bad", "messages": USER}).is_success


def test_delay_fault_combines_with_status(echo: EchoUpstream) -> None:
    echo.set_faults({"m-slow": {"delay": 0.5}, "m-slow-bad": {"delay": 0.5, "status": 500}})
    start = time.monotonic()
    assert post(echo, "/v1/responses", {"model": "m-slow", "input": "x"}).status_code == 200
    assert post(echo, "/v1/responses", {"model": "m-slow-bad", "input": "x"}).status_code == 500
    assert time.monotonic() - start >= 1.0


def test_bad_requests(echo: EchoUpstream) -> None:
    assert post(echo, "/v1/embeddings", {"model": "m"}).status_code == 404
    bad = httpx.post(f"{echo.url}/v1/chat/completions", content=b"{nope", trust_env=False)
    assert bad.status_code == 400
    assert httpx.post(f"{echo.url}/_echo/faults", json=[1], trust_env=False).status_code == 400


# ---------------------------------------------------------------- through a real LiteLLM proxy

GPT = "gpt-5-mini"
CLAUDE = "claude-haiku-4-5"
INSTRUCT = "gpt-3.5-turbo-instruct"


@pytest.fixture(scope="module")
def proxy(echo: EchoUpstream, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Proxy]:
    def deployment(name: str, model: str, api_base: str) -> dict[str, Any]:
        params = {"model": model, "api_base": api_base, "api_key": "sk-fake"}
        return {"model_name": name, "litellm_params": params}

    config = {"model_list": [
        deployment(GPT, f"openai/{GPT}", f"{echo.url}/v1"),
        deployment(CLAUDE, f"anthropic/{CLAUDE}", echo.url),  # Anthropic: no /v1
        deployment(INSTRUCT, f"text-completion-openai/{INSTRUCT}", f"{echo.url}/v1"),
    ]}
    path = tmp_path_factory.mktemp("litellm") / "config.yaml"
    path.write_text(json.dumps(config, indent=2))  # JSON is YAML
    server = start_litellm_proxy(path)
    yield server
    exit_code = server.process.poll()
    server.stop()
    assert exit_code is None, f"the proxy died (exit {exit_code}):\n{server.log_tail()}"


@pytest.fixture
def oai(proxy: Proxy) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0,
                         timeout=30)


@pytest.fixture
def claude(proxy: Proxy) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0,
                               timeout=30)


def upstream_calls(echo: EchoUpstream) -> list[tuple[str, str, bool]]:
    return [(r["path"], r["model"], r["stream"]) for r in echo.requests()]


@pytest.mark.parametrize("stream", [False, True])
def test_proxy_chat_completions(echo: EchoUpstream, oai: openai.OpenAI, stream: bool) -> None:
    if stream:
        chunks = list(oai.chat.completions.create(
            model=GPT, messages=USER, stream=True, stream_options={"include_usage": True}))
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0
    else:
        answer = oai.chat.completions.create(model=GPT, messages=USER)
        text = answer.choices[0].message.content or ""
        assert answer.model == GPT and answer.usage and answer.usage.total_tokens > 0
    assert text == f"echo from {GPT}: hello echo"
    assert upstream_calls(echo) == [("/v1/chat/completions", GPT, stream)]
    assert echo.requests()[0]["headers"]["authorization"] == "Bearer sk-fake"


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(("model", "upstream_path"), [
    (INSTRUCT, "/v1/completions"),
    (GPT, "/v1/chat/completions"),  # LiteLLM turns the prompt into chat messages
])
def test_proxy_text_completions(echo: EchoUpstream, oai: openai.OpenAI, model: str,
                                upstream_path: str, stream: bool) -> None:
    if stream:
        chunks = list(oai.completions.create(model=model, prompt="hello echo", stream=True))
        # LiteLLM ends the stream with chunks whose text is None.
        text = "".join(c.choices[0].text or "" for c in chunks if c.choices)
    else:
        text = oai.completions.create(model=model, prompt="hello echo").choices[0].text
    assert text == f"echo from {model}: hello echo"
    assert upstream_calls(echo) == [(upstream_path, model, stream)]


@pytest.mark.parametrize("stream", [False, True])
def test_proxy_responses(echo: EchoUpstream, oai: openai.OpenAI, stream: bool) -> None:
    if stream:
        events = list(oai.responses.create(model=GPT, input="hello echo", stream=True))
        assert collapse([e.type for e in events]) == RESPONSES_EVENTS
        final = events[-1].response  # type: ignore[union-attr]
    else:
        final = oai.responses.create(model=GPT, input="hello echo")
    assert final.output_text == f"echo from {GPT}: hello echo"
    assert final.usage is not None and final.usage.total_tokens > 0
    assert upstream_calls(echo) == [("/v1/responses", GPT, stream)]


@pytest.mark.parametrize("stream", [False, True])
@pytest.mark.parametrize(("model", "upstream_path"), [
    (CLAUDE, "/v1/messages"),
    (GPT, "/v1/responses"),  # DESIGN.md: /v1/messages to openai/* goes to /v1/responses
])
def test_proxy_anthropic_messages(echo: EchoUpstream, claude: anthropic.Anthropic, model: str,
                                  upstream_path: str, stream: bool) -> None:
    if stream:
        with claude.messages.stream(model=model, max_tokens=64, messages=USER) as events:
            message = events.get_final_message()
    else:
        message = claude.messages.create(model=model, max_tokens=64, messages=USER)
    assert message.content[0].type == "text"
    assert message.content[0].text == f"echo from {model}: hello echo"
    assert message.stop_reason == "end_turn"
    assert upstream_calls(echo) == [(upstream_path, model, stream)]
    if model == CLAUDE:
        assert echo.requests()[0]["headers"]["x-api-key"] == "sk-fake"


def test_proxy_relays_an_upstream_fault(echo: EchoUpstream, oai: openai.OpenAI) -> None:
    echo.set_faults({GPT: {"status": 500}})
    with pytest.raises(openai.InternalServerError, match="injected fault"):
        oai.chat.completions.create(model=GPT, messages=USER)
    # LiteLLM 1.108.7 proxy: 2 retries by default on a 500, so 3 upstream calls.
    assert upstream_calls(echo) == [("/v1/chat/completions", GPT, False)] * 3


def test_proxy_root_paths_reach_the_same_upstream(echo: EchoUpstream, proxy: Proxy) -> None:
    response = httpx.post(f"{proxy.url}/chat/completions", json={"model": GPT, "messages": USER},
                          headers={"Authorization": f"Bearer {proxy.key}"}, timeout=30,
                          trust_env=False)
    assert response.status_code == 200
    assert response.headers["x-litellm-model-group"] == GPT
    assert upstream_calls(echo) == [("/v1/chat/completions", GPT, False)]
