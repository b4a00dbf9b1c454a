"""Claude Code's session-title request in a real proxy: served cheap, and the session it belongs to
is routed turn by turn as if it had never been sent (the real anthropic SDK, streaming)."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import anthropic

from tests.support.processes import EchoUpstream, Proxy
from tests.support.stack import UPSTREAM_MODEL

FIXTURES = Path(__file__).parent / "fixtures"
HARD = ("Implement a lock-free ring buffer for the audio pipeline and analyze the memory ordering "
        "each atomic needs.")


def in_session(name: str, session: str) -> dict[str, Any]:
    """A Claude Code fixture body, moved into `session` (Claude Code's own id, in metadata.user_id)."""
    body = json.loads((FIXTURES / f"{name}.json").read_text(encoding="utf-8"))
    user_id = json.loads(body["metadata"]["user_id"])
    body["metadata"]["user_id"] = json.dumps({**user_id, "session_id": session}, separators=(",", ":"))
    return body


def turn(session: str, text: str) -> dict[str, Any]:
    body = in_session("claude_code_hi", session)
    body["messages"][0]["content"][-1]["text"] = text
    return body


def send(proxy: Proxy, echo: EchoUpstream, session: str, body: dict[str, Any]) -> tuple[str, str, str]:
    """(pool the upstream saw, pool and decided_by the router reported) for one streamed request."""
    client = anthropic.Anthropic(base_url=proxy.url, api_key=proxy.key, max_retries=0)
    known = ("model", "messages", "system", "tools", "metadata", "max_tokens", "thinking", "output_config")
    fields = {key: body[key] for key in known if key in body}
    with client.messages.with_streaming_response.create(
        **fields, stream=True, extra_headers={"x-claude-code-session-id": session},
    ) as response:
        text = "".join(line for line in response.iter_lines())
        headers = response.headers
    assert "message_stop" in text
    upstream = {model: pool for pool, model in UPSTREAM_MODEL.items()}[echo.requests()[-1]["model"]]
    assert headers["x-litellm-model-group"] == headers["x-vibe-router-pool"]
    return upstream, headers["x-vibe-router-pool"], headers["x-vibe-router-decided-by"]


def test_title_then_hi_then_hard_in_one_claude_code_session(proxy: Proxy, echo: EchoUpstream) -> None:
    session = str(uuid.uuid4())
    assert send(proxy, echo, session, in_session("claude_code_title", session)) == (
        "pool-claude-haiku", "pool-claude-haiku", "scenario:housekeeping")
    assert send(proxy, echo, session, turn(session, "hi")) == ("pool-claude-haiku", "pool-claude-haiku", "score")
    assert send(proxy, echo, session, turn(session, HARD)) == ("pool-claude-sonnet", "pool-claude-sonnet", "score")
    # Once the session has escalated, a title request is still served cheap and moves nothing.
    assert send(proxy, echo, session, in_session("claude_code_title", session)) == (
        "pool-claude-haiku", "pool-claude-haiku", "scenario:housekeeping")
    assert send(proxy, echo, session, turn(session, "hi")) == (
        "pool-claude-sonnet", "pool-claude-sonnet", "sticky:escalate_only")
    log = proxy.log_when(lambda text: text.count(f"session={_label(session, proxy.key)}") >= 5)
    title_line = next(line for line in log.splitlines()
                      if f"session={_label(session, proxy.key)}" in line and "scenario:housekeeping" in line)
    assert 'reasons="scenario:housekeeping: side-request: no-tools+output-schema+marker:session;' in title_line


def _label(session: str, master_key: str) -> str:
    """The session's label as the proxy writes it: keyed by its master key."""
    from vibe_router.session_id import find_session_id, label_key

    return find_session_id({}, {"x-claude-code-session-id": session}).label(label_key(master_key))
