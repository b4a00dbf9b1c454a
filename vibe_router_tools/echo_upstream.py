"""A fake LLM provider for demos and tests ("echo upstream"), standard library only.

It speaks the OpenAI chat, text-completion and Responses formats and the Anthropic
Messages format, plain and streaming (SSE), well enough for a LiteLLM proxy and the
official SDKs. Every answer is ``echo from <model>: <start of the last user text>``.

With ECHO_WEAK_FAILS_ON set, answers are graded by a hidden rule (vibe_router_tools.echo_quality).
Test hooks: ``GET|DELETE /_echo/requests`` (recorded POSTs) and
``POST|DELETE /_echo/faults`` (``{"<model>": {"status": 500, "delay": 1.5}}``).
This module must not import litellm: it runs in the stock LiteLLM image.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vibe_router_tools.echo_quality import graded_text, rule

MAX_RECORDS = 2000
RECORDED_HEADERS = ("authorization", "x-api-key", "anthropic-version", "content-type")
LISTED_MODELS = ("gpt-5", "gpt-5-mini", "gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5")
PROMPT_KEYS = ("messages", "prompt", "input", "instructions", "system")
HIDDEN_RULE = rule()  # quality mode (vibe_router_tools.echo_quality), read once at start

Json = dict[str, Any]
Event = tuple[str | None, Any]  # (SSE event name or None, payload dict or "[DONE]")


class EchoState:
    """Recorded requests and injected faults, shared by all handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: deque[Json] = deque(maxlen=MAX_RECORDS)
        self.faults: dict[str, Json] = {}

    def record(self, entry: Json) -> Json:
        """Keep `entry`; return the fault injected for its model ({} if none)."""
        with self.lock:
            self.records.append(entry)
            return dict(self.faults.get(entry["model"], {}))

    def read(self) -> tuple[list[Json], dict[str, Json]]:
        with self.lock:
            return list(self.records), dict(self.faults)

    def update(self, faults: dict[str, Json] | None = None, clear: str = "") -> None:
        """Add faults, and/or clear "requests" (the records) or "faults"."""
        with self.lock:
            self.faults.update(faults or {})
            if clear == "requests":
                self.records.clear()
            elif clear == "faults":
                self.faults.clear()


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


# ---------------------------------------------------------------- HTTP plumbing

Endpoint = tuple[Callable[[str, Json], Json], Callable[[str, Json], Iterator[Event]]]
ENDPOINTS: dict[str, Endpoint] = {
    "/chat/completions": (chat_response, chat_stream),
    "/completions": (completion_response, completion_stream),
    "/responses": (responses_response, responses_stream),
    "/messages": (messages_response, messages_stream),
}


def _api_path(raw_path: str) -> str:
    path = raw_path.split("?", 1)[0].rstrip("/") or "/"
    return path[3:] if path.startswith("/v1/") else path


def error_body(path: str, status: int, message: str) -> Json:
    if path == "/messages":
        return {"type": "error", "error": {"type": "api_error", "message": message}}
    return {"error": {"message": message, "type": "echo_error", "param": None,
                      "code": str(status)}}


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EchoServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: no access log lines."""

    def _send_json(self, status: int, payload: Any) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json")

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, events: Iterator[Event]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for name, payload in events:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            frame = (f"event: {name}\n" if name else "") + f"data: {data}\n\n"
            self._write_chunk(frame.encode())
        self._write_chunk(b"")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _read_json(self) -> Any:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return json.loads(raw) if raw.strip() else {}

    def do_GET(self) -> None:
        path = _api_path(self.path)
        if path == "/healthz":
            self._send_bytes(200, b"ok", "text/plain")
        elif path == "/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "echo"}
                    for m in LISTED_MODELS]
            self._send_json(200, {"object": "list", "data": data})
        elif path == "/_echo/requests":
            self._send_json(200, self.server.state.read()[0])
        elif path == "/_echo/faults":
            self._send_json(200, self.server.state.read()[1])
        else:
            self._send_json(404, error_body(path, 404, f"no route GET {path}"))

    def do_DELETE(self) -> None:
        path = _api_path(self.path)
        if path not in ("/_echo/requests", "/_echo/faults"):
            self._send_json(404, error_body(path, 404, f"no route DELETE {path}"))
            return
        self.server.state.update(clear=path.removeprefix("/_echo/"))
        self._send_json(200, {"ok": True})

    def do_POST(self) -> None:
        path = _api_path(self.path)
        try:
            body = self._read_json()
        except ValueError as exc:
            self._send_json(400, error_body(path, 400, f"invalid JSON body: {exc}"))
            return
        if path == "/_echo/faults":
            self._post_faults(body)
        elif path in ENDPOINTS and isinstance(body, dict):
            self._post_api(path, body)
        elif path in ENDPOINTS:
            self._send_json(400, error_body(path, 400, "the body must be a JSON object"))
        else:
            self._send_json(404, error_body(path, 404, f"no route POST {path}"))

    def _post_faults(self, body: Any) -> None:
        if not isinstance(body, dict) or not all(isinstance(v, dict) for v in body.values()):
            self._send_json(400, {"error": {"message": "expected {model: {status, delay}}"}})
            return
        self.server.state.update(faults=body)
        self._send_json(200, {"ok": True, "faults": self.server.state.read()[1]})

    def _post_api(self, path: str, body: Json) -> None:
        model, stream = str(body.get("model", "")), bool(body.get("stream"))
        headers = {h: self.headers[h] for h in RECORDED_HEADERS if h in self.headers}
        fault = self.server.state.record({"path": self.path.split("?", 1)[0], "model": model,
                                          "stream": stream, "headers": headers, "body": body})
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        if fault.get("status"):
            status = int(fault["status"])
            self._send_json(status, error_body(path, status, f"injected fault for {model}"))
            return
        plain, streamed = ENDPOINTS[path]
        try:
            if stream:
                self._send_stream(streamed(model, body))
            else:
                self._send_json(200, plain(model, body))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True
    state: EchoState


def make_server(host: str, port: int) -> ThreadingHTTPServer:
    """Bind an echo upstream on host:port (port 0 picks a free one); call serve_forever()."""
    server = EchoServer((host, port), EchoHandler)
    server.state = EchoState()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="echo-upstream", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8399, help="port, 0 = any (default 8399)")
    args = parser.parse_args(argv)
    try:
        server = make_server(args.host, args.port)
    except OSError as exc:
        print(f"echo upstream: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"echo upstream listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
