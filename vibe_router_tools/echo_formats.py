"""What the echo upstream answers, in each wire format: plain bodies and SSE events, from the request.

Every answer is ``echo from <model>: <start of the last user text>`` (graded by the hidden rule
of vibe_router_tools.echo_quality when ECHO_WEAK_FAILS_ON is set). Standard library only.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator
from typing import Any

from vibe_router_tools.echo_quality import graded_text, rule

PROMPT_KEYS = ("messages", "prompt", "input", "instructions", "system")
HIDDEN_RULE = rule()  # quality mode (vibe_router_tools.echo_quality), read once at start

Json = dict[str, Any]
Event = tuple[str | None, Any]  # (SSE event name or None, payload dict or "[DONE]")


# ---------------------------------------------------------------- text helpers
def _text_of(content: Any) -> str:
    """Text of a message content: a string, or a list of text-like parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = [p.get("text") for p in content if isinstance(p, dict)]
        return " ".join(p for p in parts if isinstance(p, str))
    return ""


def last_user_text(body: Json) -> str:
    """The newest user-written text of a chat, completion, Responses or Messages body."""
    prompt = body.get("prompt")
    if prompt is not None:
        items = prompt if isinstance(prompt, list) else [prompt]
        texts = [p for p in items if isinstance(p, str)]
        return texts[-1] if texts else ""
    items = body.get("messages", body.get("input"))
    if isinstance(items, str):
        return items
    for item in reversed(items if isinstance(items, list) else []):
        if isinstance(item, dict) and item.get("role") == "user":
            text = _text_of(item.get("content"))
            if text:
                return text
    return ""


def _strings(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    items = value.values() if isinstance(value, dict) else value if isinstance(value, list) else []
    return [s for item in items for s in _strings(item)]


def count_tokens(text: str) -> int:
    """Approximate token count: one token per four characters, at least one."""
    return max(1, len(text) // 4)


def prompt_tokens(body: Json) -> int:
    return count_tokens("".join(s for k in PROMPT_KEYS for s in _strings(body.get(k))))


def echo_text(model: str, body: Json) -> str:
    graded = graded_text(model, last_user_text(body), HIDDEN_RULE)
    if graded is not None:
        return graded
    snippet = " ".join(last_user_text(body).split())[:60]
    return f"echo from {model}: {snippet}"


def _pieces(text: str) -> list[str]:
    """Split text into a few stream deltas (words with their trailing space)."""
    words = text.split(" ")
    return [w + " " for w in words[:-1]] + [words[-1]]


def _new_id(prefix: str) -> str:
    return f"{prefix}{uuid.uuid4().hex[:24]}"


# ---------------------------------------------------------------- OpenAI chat / completions
def _chat_usage(body: Json, text: str) -> Json:
    pin, pout = prompt_tokens(body), count_tokens(text)
    return {"prompt_tokens": pin, "completion_tokens": pout, "total_tokens": pin + pout}


def _usage_and_done(body: Json, text: str, head: Json) -> Iterator[Event]:
    """The usage chunk (if stream_options.include_usage), then the [DONE] line."""
    if (body.get("stream_options") or {}).get("include_usage"):
        yield None, {**head, "choices": [], "usage": _chat_usage(body, text)}
    yield None, "[DONE]"


def chat_response(model: str, body: Json) -> Json:
    text = echo_text(model, body)
    message = {"role": "assistant", "content": text, "refusal": None}
    return {
        "id": _new_id("chatcmpl-"), "object": "chat.completion", "created": int(time.time()),
        "model": model, "system_fingerprint": "fp_echo",
        "choices": [{"index": 0, "message": message, "logprobs": None, "finish_reason": "stop"}],
        "usage": _chat_usage(body, text),
    }


def chat_stream(model: str, body: Json) -> Iterator[Event]:
    text, cid, created = echo_text(model, body), _new_id("chatcmpl-"), int(time.time())

    def chunk(delta: Json, finish: str | None) -> Event:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return None, {"id": cid, "object": "chat.completion.chunk", "created": created,
                      "model": model, "system_fingerprint": "fp_echo", "choices": [choice]}

    yield chunk({"role": "assistant", "content": ""}, None)
    for piece in _pieces(text):
        yield chunk({"content": piece}, None)
    yield chunk({}, "stop")
    yield from _usage_and_done(body, text, {"id": cid, "object": "chat.completion.chunk",
                                             "created": created, "model": model})


def completion_response(model: str, body: Json) -> Json:
    text = echo_text(model, body)
    choice = {"text": text, "index": 0, "logprobs": None, "finish_reason": "stop"}
    return {"id": _new_id("cmpl-"), "object": "text_completion", "created": int(time.time()),
            "model": model, "choices": [choice], "usage": _chat_usage(body, text)}


def completion_stream(model: str, body: Json) -> Iterator[Event]:
    text, cid, created = echo_text(model, body), _new_id("cmpl-"), int(time.time())
    pieces = _pieces(text)
    for i, piece in enumerate(pieces):
        finish = "stop" if i == len(pieces) - 1 else None
        choice = {"text": piece, "index": 0, "logprobs": None, "finish_reason": finish}
        yield None, {"id": cid, "object": "text_completion", "created": created,
                     "model": model, "choices": [choice]}
    yield from _usage_and_done(body, text, {"id": cid, "object": "text_completion",
                                             "created": created, "model": model})


# ---------------------------------------------------------------- OpenAI Responses
def _output_message(item_id: str, text: str, status: str) -> Json:
    content = [{"type": "output_text", "text": text, "annotations": [], "logprobs": []}]
    return {"id": item_id, "type": "message", "status": status, "role": "assistant",
            "content": content if status == "completed" else []}


def _response_object(model: str, body: Json, resp_id: str, output: list[Json],
                     text: str | None) -> Json:
    usage = None
    if text is not None:
        pin, pout = prompt_tokens(body), count_tokens(text)
        usage = {"input_tokens": pin, "input_tokens_details": {"cached_tokens": 0},
                 "output_tokens": pout, "output_tokens_details": {"reasoning_tokens": 0},
                 "total_tokens": pin + pout}
    return {
        "id": resp_id, "object": "response", "created_at": int(time.time()),
        "status": "completed" if text is not None else "in_progress",
        "error": None, "incomplete_details": None, "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"), "model": model, "output": output,
        "parallel_tool_calls": True, "previous_response_id": None,
        "reasoning": {"effort": None, "summary": None}, "store": False,
        "temperature": 1.0, "text": {"format": {"type": "text"}}, "tool_choice": "auto",
        "tools": [], "top_p": 1.0, "truncation": "disabled", "usage": usage,
        "user": None, "metadata": {},
    }


def responses_response(model: str, body: Json) -> Json:
    text = echo_text(model, body)
    output = [_output_message(_new_id("msg_"), text, "completed")]
    return _response_object(model, body, _new_id("resp_"), output, text)


def responses_stream(model: str, body: Json) -> Iterator[Event]:
    text, resp_id, item_id = echo_text(model, body), _new_id("resp_"), _new_id("msg_")
    where = {"item_id": item_id, "output_index": 0, "content_index": 0}
    empty_part = {"type": "output_text", "text": "", "annotations": []}
    done_item = _output_message(item_id, text, "completed")
    events: list[Json] = [
        {"type": "response.created",
         "response": _response_object(model, body, resp_id, [], None)},
        {"type": "response.in_progress",
         "response": _response_object(model, body, resp_id, [], None)},
        {"type": "response.output_item.added", "output_index": 0,
         "item": _output_message(item_id, text, "in_progress")},
        {"type": "response.content_part.added", **where, "part": empty_part},
        *({"type": "response.output_text.delta", **where, "delta": p, "logprobs": []}
          for p in _pieces(text)),
        {"type": "response.output_text.done", **where, "text": text, "logprobs": []},
        {"type": "response.content_part.done", **where, "part": done_item["content"][0]},
        {"type": "response.output_item.done", "output_index": 0, "item": done_item},
        {"type": "response.completed",
         "response": _response_object(model, body, resp_id, [done_item], text)},
    ]
    for number, event in enumerate(events):
        yield event["type"], {**event, "sequence_number": number}


# ---------------------------------------------------------------- Anthropic Messages
def _message_object(model: str, body: Json, text: str | None) -> Json:
    usage = {"input_tokens": prompt_tokens(body), "output_tokens": 1,
             "cache_creation_input_tokens": 0, "cache_read_input_tokens": 0}
    content: list[Json] = []
    if text is not None:
        usage["output_tokens"] = count_tokens(text)
        content = [{"type": "text", "text": text}]
    return {"id": _new_id("msg_"), "type": "message", "role": "assistant", "model": model,
            "content": content, "stop_reason": "end_turn" if text is not None else None,
            "stop_sequence": None, "usage": usage}


def messages_response(model: str, body: Json) -> Json:
    return _message_object(model, body, echo_text(model, body))


def messages_stream(model: str, body: Json) -> Iterator[Event]:
    text = echo_text(model, body)
    yield "message_start", {"type": "message_start",
                            "message": _message_object(model, body, None)}
    yield "content_block_start", {"type": "content_block_start", "index": 0,
                                  "content_block": {"type": "text", "text": ""}}
    yield "ping", {"type": "ping"}
    for piece in _pieces(text):
        yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                      "delta": {"type": "text_delta", "text": piece}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {"type": "message_delta",
                            "delta": {"stop_reason": "end_turn", "stop_sequence": None},
                            "usage": {"output_tokens": count_tokens(text)}}
    yield "message_stop", {"type": "message_stop"}



Endpoint = tuple[Callable[[str, Json], Json], Callable[[str, Json], Iterator[Event]]]
ENDPOINTS: dict[str, Endpoint] = {
    "/chat/completions": (chat_response, chat_stream),
    "/completions": (completion_response, completion_stream),
    "/responses": (responses_response, responses_stream),
    "/messages": (messages_response, messages_stream),
}
