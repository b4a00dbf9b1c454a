"""The echo upstream, plus tool calls: enough of a provider for the real Claude Code and Codex CLIs.

A request with tools whose newest human text holds "run `COMMAND`" (and whose last message is
not a tool result) is answered with a call of the client's shell tool running COMMAND; the
tool's result is then answered with plain text, as a model ending its turn would. Everything
else is `vibe_router_tools.echo_upstream`. Run it as `python -m tests.support.agent_upstream --port 0`.
"""

from __future__ import annotations

import json
import re
import sys
from collections.abc import Iterator
from typing import Any

from vibe_router_tools import echo_upstream
from vibe_router_tools.echo_formats import (
    ENDPOINTS,
    Event,
    Json,
    messages_response,
    messages_stream,
    responses_response,
    responses_stream,
)

COMMAND = re.compile(r"run `([^`]+)`")
CODEX_SHELL_TOOLS = ("exec_command", "shell_command", "shell", "local_shell")


def _human_text(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = content if isinstance(content, list) else []
    return " ".join(p["text"] for p in parts if isinstance(p, dict) and isinstance(p.get("text"), str))


def requested_command(body: Json) -> str | None:
    """The command a tool call should run, or None: no tools, no "run `…`", or a tool result came last."""
    if not body.get("tools"):
        return None
    items = body.get("messages", body.get("input"))
    if not isinstance(items, list) or not items:
        return None
    last = items[-1]
    if not isinstance(last, dict) or last.get("type") in ("function_call_output", "custom_tool_call_output"):
        return None
    content = last.get("content")
    if isinstance(content, list) and any(isinstance(p, dict) and p.get("type") == "tool_result" for p in content):
        return None
    for item in reversed(items):
        if isinstance(item, dict) and item.get("role") == "user":
            found = COMMAND.search(_human_text(item.get("content")))
            if found:
                return found.group(1)
    return None


def _tool_id(body: Json) -> str:
    return f"call_{abs(hash(json.dumps(body.get('messages', body.get('input')), sort_keys=True))) % 10**12:012d}"


def claude_tool_stream(model: str, body: Json, command: str) -> Iterator[Event]:
    """Anthropic SSE: one Bash tool_use block, stop_reason tool_use."""
    start = next(messages_stream(model, body))  # message_start, with the usage fields filled in
    yield start
    block = {"type": "tool_use", "id": "toolu_" + _tool_id(body), "name": "Bash", "input": {}}
    arguments = json.dumps({"command": command, "description": "Run the requested command"})
    yield "content_block_start", {"type": "content_block_start", "index": 0, "content_block": block}
    yield "content_block_delta", {"type": "content_block_delta", "index": 0,
                                  "delta": {"type": "input_json_delta", "partial_json": arguments}}
    yield "content_block_stop", {"type": "content_block_stop", "index": 0}
    yield "message_delta", {"type": "message_delta", "delta": {"stop_reason": "tool_use", "stop_sequence": None},
                            "usage": {"output_tokens": 20}}
    yield "message_stop", {"type": "message_stop"}


def codex_arguments(tool: Json, command: str) -> tuple[str, str]:
    """(tool name, JSON arguments) for a Codex shell-like tool, shaped by its parameter schema."""
    properties = (tool.get("parameters") or {}).get("properties") or {}
    if "cmd" in properties:
        return tool["name"], json.dumps({"cmd": command})
    kind = (properties.get("command") or {}).get("type")
    value: Any = ["bash", "-lc", command] if kind == "array" else command
    return tool["name"], json.dumps({"command": value})


def codex_tool_stream(model: str, body: Json, command: str) -> Iterator[Event]:
    """Responses SSE: one function_call item for the client's shell tool."""
    tools = {t.get("name"): t for t in body.get("tools") or [] if isinstance(t, dict)}
    name = next((n for n in CODEX_SHELL_TOOLS if n in tools), None)
    if name is None:
        yield from responses_stream(model, body)
        return
    name, arguments = codex_arguments(tools[name], command)
    events = list(responses_stream(model, body))
    created, completed = events[0][1], events[-1][1]
    call_id = _tool_id(body)
    item = {"type": "function_call", "id": "fc_" + call_id, "call_id": call_id, "name": name,
            "arguments": arguments, "status": "completed"}
    sequence = [
        {"type": "response.created", "response": created["response"]},
        {"type": "response.output_item.added", "output_index": 0, "item": {**item, "arguments": "",
                                                                          "status": "in_progress"}},
        {"type": "response.function_call_arguments.delta", "item_id": item["id"], "output_index": 0,
         "delta": arguments},
        {"type": "response.function_call_arguments.done", "item_id": item["id"], "output_index": 0,
         "arguments": arguments},
        {"type": "response.output_item.done", "output_index": 0, "item": item},
        {"type": "response.completed", "response": {**completed["response"], "output": [item]}},
    ]
    for number, event in enumerate(sequence):
        yield event["type"], {**event, "sequence_number": number}


def _with_tools(stream: Any, tool_stream: Any) -> Any:
    def choose(model: str, body: Json) -> Iterator[Event]:
        command = requested_command(body)
        return tool_stream(model, body, command) if command else stream(model, body)

    return choose


ENDPOINTS["/messages"] = (messages_response, _with_tools(messages_stream, claude_tool_stream))
ENDPOINTS["/responses"] = (responses_response, _with_tools(responses_stream, codex_tool_stream))

if __name__ == "__main__":
    sys.exit(echo_upstream.main())
