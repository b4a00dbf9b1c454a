"""Request bodies for the benchmarks, built deterministically (same bytes every run).

The 80 KB bodies grow the Claude Code and Codex fixtures (tests/fixtures/) with earlier
turns of a conversation, the way a long session grows; the newest user text stays a
simple turn ("hi"), so the plugin routes every one to the cheap pool.
"""

from __future__ import annotations

import argparse
import copy
import json
import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

FIXTURES = Path(__file__).resolve().parents[1] / "tests" / "fixtures"
DEFAULT_BODY_BYTES = 80_000
KINDS = ("chat", "messages", "responses")
PATHS = {"chat": "/v1/chat/completions", "messages": "/v1/messages", "responses": "/v1/responses"}
VIRTUAL_MODELS = {"chat": "auto-chat", "messages": "auto-claude", "responses": "auto-codex"}
FIXTURE_ENDPOINTS = {"chat": "chat", "claude_code": "messages", "codex": "responses"}
SYNTHETIC_TURN_CHARS = (2, 40, 200, 1000, 4000, 20000)

_TEXT = (
    "the request handler reads a session token from the cookie and checks it against the store "
    "before the billing worker retries a webhook so we log the invoice id with each attempt while "
    "tests cover the queue backlog plus the migration adds an index on plans where pricing rows "
    "change rarely and a cache keeps lookups cheap because postgres connections come from a pool "
    "then the scheduler wakes every minute to flush metrics into the dashboard for the on call "
    "runbook which explains how to drain jobs safely after deploys"
)
WORDS = tuple(_TEXT.split(" "))


def load_fixture(name: str) -> dict[str, Any]:
    return json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))


def prose(rng: random.Random, chars: int) -> str:
    """About `chars` characters of plain sentences (exactly `chars`, cut at the end)."""
    sentences: list[str] = []
    size = 0
    while size < chars:
        words = [rng.choice(WORDS) for _ in range(rng.randint(6, 16))]
        sentence = " ".join(words).capitalize() + rng.choice((".", ".", ".", "?")) + " "
        sentences.append(sentence)
        size += len(sentence)
    text = "".join(sentences)[:chars]
    return text[:-1] + "." if text.endswith(" ") else text


def encoded_size(body: dict[str, Any]) -> int:
    return len(json.dumps(body).encode())


def _grow(body: dict[str, Any], target: int,
          add_turn: Callable[[dict[str, Any], random.Random], None]) -> dict[str, Any]:
    """Add earlier turns with `add_turn(body, rng)` until the JSON reaches `target` bytes."""
    rng = random.Random(20260101)
    for _ in range(1000):  # bounded: each turn adds about 2 KB
        if encoded_size(body) >= target:
            break
        add_turn(body, rng)
    return body


def claude_code_body(target: int = DEFAULT_BODY_BYTES, stream: bool = False) -> dict[str, Any]:
    """Claude Code on /v1/messages: the fixture's system, tools and "hi", after earlier turns."""
    body = load_fixture("claude_code_hi")
    body["stream"] = stream
    newest = body["messages"][0]

    def add_turn(body: dict[str, Any], rng: random.Random) -> None:
        at = body["messages"].index(newest)
        body["messages"][at:at] = [
            {"role": "user", "content": [{"type": "text", "text": prose(rng, 300)}]},
            {"role": "assistant", "content": [{"type": "text", "text": prose(rng, 1700)}]},
        ]

    return _grow(body, target, add_turn)


def codex_body(target: int = DEFAULT_BODY_BYTES, stream: bool = False) -> dict[str, Any]:
    """Codex on /v1/responses: the fixture's developer items and "hi", after earlier turns."""
    body = load_fixture("codex_hi")
    body["stream"] = stream
    newest = body["input"][-1]

    def add_turn(body: dict[str, Any], rng: random.Random) -> None:
        at = body["input"].index(newest)
        call_id = f"call_{rng.getrandbits(48):012x}"
        body["input"][at:at] = [
            {"type": "message", "role": "user", "content": [{"type": "input_text", "text": prose(rng, 300)}]},
            {"type": "function_call", "name": "shell", "call_id": call_id,
             "arguments": json.dumps({"command": ["bash", "-lc", "rg -n session src"]})},
            {"type": "function_call_output", "call_id": call_id, "output": prose(rng, 1000)},
            {"type": "message", "role": "assistant",
             "content": [{"type": "output_text", "text": prose(rng, 600)}]},
        ]

    return _grow(body, target, add_turn)


def chat_body(target: int = DEFAULT_BODY_BYTES, stream: bool = False) -> dict[str, Any]:
    """An agent on /v1/chat/completions: Claude Code's system text and tools in OpenAI form."""
    claude = load_fixture("claude_code_hi")
    system = "\n\n".join(block["text"] for block in claude["system"])
    system += "\n\n" + "\n".join(m["content"][0]["text"] for m in claude["messages"] if m["role"] == "system")
    tools = [{"type": "function", "function": {"name": tool["name"], "description": tool["description"],
                                               "parameters": tool["input_schema"]}} for tool in claude["tools"]]
    newest_parts = [part["text"] for part in claude["messages"][0]["content"]]
    newest = {"role": "user", "content": "\n".join(newest_parts)}
    messages = [{"role": "system", "content": system}, newest]
    body: dict[str, Any] = {"model": VIRTUAL_MODELS["chat"], "messages": messages, "tools": tools, "stream": stream}

    def add_turn(body: dict[str, Any], rng: random.Random) -> None:
        at = body["messages"].index(newest)
        body["messages"][at:at] = [
            {"role": "user", "content": prose(rng, 300)},
            {"role": "assistant", "content": prose(rng, 1700)},
        ]

    return _grow(body, target, add_turn)


BUILDERS = {"chat": chat_body, "messages": claude_code_body, "responses": codex_body}


def agent_bodies(target: int = DEFAULT_BODY_BYTES, stream: bool = False) -> dict[str, dict[str, Any]]:
    """kind -> the ~`target`-byte body the overhead benchmark sends."""
    return {kind: BUILDERS[kind](target, stream) for kind in KINDS}


def synthetic_chat(chars: int, seed: int) -> dict[str, Any]:
    """A plain chat request whose user turn is `chars` characters long (a code block from 1,000)."""
    rng = random.Random(seed)
    text = "hi" if chars <= 2 else prose(rng, chars)
    if chars >= 1000:
        code = "```python\ndef retry(job):\n    for attempt in range(3):\n        job.run()\n```\n"
        text = (text[: chars - len(code) - 1] + "\n" + code)[:chars]
    return {"model": VIRTUAL_MODELS["chat"], "messages": [{"role": "user", "content": text}]}


def corpus(target: int = DEFAULT_BODY_BYTES) -> list[tuple[str, str, dict[str, Any]]]:
    """(name, endpoint, body) for the decision benchmark: fixtures, synthetic turns, 80 KB bodies."""
    out: list[tuple[str, str, dict[str, Any]]] = []
    for path in sorted(FIXTURES.glob("*.json")):
        prefix = next((p for p in FIXTURE_ENDPOINTS if path.stem.startswith(p + "_")), None)
        if prefix is not None:
            out.append((path.stem, FIXTURE_ENDPOINTS[prefix], load_fixture(path.stem)))
    for index, chars in enumerate(SYNTHETIC_TURN_CHARS):
        out.append((f"chat_turn_{chars}", "chat", synthetic_chat(chars, seed=index)))
    for kind, body in agent_bodies(target).items():
        out.append((f"{kind}_{target // 1000}kb", kind, copy.deepcopy(body)))
    return out


def chosen_kinds(parser: argparse.ArgumentParser, text: str) -> list[str]:
    """A `--kinds` value ("chat,messages") as a list; an unknown or empty one is a parser error."""
    kinds = [kind.strip() for kind in text.split(",") if kind.strip()]
    unknown = set(kinds) - set(KINDS)
    if unknown or not kinds:
        parser.error(f"--kinds: unknown {sorted(unknown)}; choose from {', '.join(KINDS)}")
    return kinds


def bodies_for(kinds: list[str], body_bytes: int = DEFAULT_BODY_BYTES, stream: bool = False) -> dict[str, Any]:
    """`agent_bodies` of the chosen traffic kinds only."""
    return {kind: body for kind, body in agent_bodies(body_bytes, stream).items() if kind in kinds}
