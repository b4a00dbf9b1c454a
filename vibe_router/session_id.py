"""Which conversation a request belongs to, from what the clients already send."""

from __future__ import annotations

import functools
import hashlib
import hmac
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from vibe_router.headers import lowercase_headers

GENERIC_HEADER = "x-session-id"
CLAUDE_CODE_HEADER = "x-claude-code-session-id"
CODEX_HEADERS = ("session-id", "thread-id")
# Sources of agent clients: their turns always list tools, so a request without any is a side request's mark.
AGENT_SOURCES = frozenset({"claude-code", "codex"})
# An agent's requests repeat one id (or one first message) call after call: the id, its digest
# and a parsed Claude Code user_id are made once per conversation, not once per request.
SESSIONS_REMEMBERED = 256


LABEL_CONTEXT = b"vibe-router session label\x00"


@dataclass(frozen=True)
class SessionId:
    value: str
    source: str

    @cached_property
    def digest(self) -> str:
        """sha256 of the whole id: the session's key in Redis, never the raw id."""
        return hashlib.sha256(self.value.encode("utf-8", "replace")).hexdigest()

    @property
    def from_agent(self) -> bool:
        """The id is an agent client's own (Claude Code's or Codex's)."""
        return self.source in AGENT_SOURCES

    def label(self, key: bytes) -> str:
        """A short label for logs and headers: HMAC-SHA256 of the whole id under the deployment's key.

        Without the key, a guessed id cannot be checked against a header or a log line."""
        return _label(key, self.value)


def label_key(secret: str) -> bytes:
    """The key labels are made with, from a secret every replica of a deployment shares."""
    return hashlib.sha256(LABEL_CONTEXT + secret.encode("utf-8", "replace")).digest()


def find_session_id(
    body: Mapping[str, Any],
    headers: Mapping[str, str],
    api_key: str = "",
    first_text: str = "",
    extra_header: str | None = None,
) -> SessionId:
    """The first of: a session header, Claude Code's id, Codex's id, LiteLLM's, else a hash."""
    lowered = lowercase_headers(headers)
    for name in (extra_header, GENERIC_HEADER):
        if name and _usable(lowered.get(name.lower())):
            return _session(lowered[name.lower()], f"header:{name.lower()}")
    if _usable(lowered.get(CLAUDE_CODE_HEADER)):
        return _session(lowered[CLAUDE_CODE_HEADER], "claude-code")
    from_metadata = _claude_code_metadata_session(body.get("metadata"))
    if from_metadata:
        return _session(from_metadata, "claude-code")
    if _usable(body.get("prompt_cache_key")):
        return _session(body["prompt_cache_key"], "codex")
    for name in CODEX_HEADERS:
        if _usable(lowered.get(name)):
            return _session(lowered[name], "codex")
    if _usable(body.get("litellm_session_id")):
        return _session(body["litellm_session_id"], "litellm")
    return _hashed_session(api_key, first_text)


@functools.lru_cache(maxsize=SESSIONS_REMEMBERED)
def _session(value: str, source: str) -> SessionId:
    return SessionId(value.strip(), source)


@functools.lru_cache(maxsize=SESSIONS_REMEMBERED)
def _label(key: bytes, value: str) -> str:
    return hmac.new(key, value.encode("utf-8", "replace"), hashlib.sha256).hexdigest()[:12]


@functools.lru_cache(maxsize=SESSIONS_REMEMBERED)
def _hashed_session(api_key: str, first_text: str) -> SessionId:
    digest = hashlib.sha256(f"{api_key}\x00{first_text}".encode("utf-8", "replace")).hexdigest()
    return SessionId(f"hash:{digest[:32]}", "hash")


def _claude_code_metadata_session(metadata: Any) -> str | None:
    """Claude Code puts `{"session_id": ...}` (JSON) or `..._session_<id>` in metadata.user_id."""
    if not isinstance(metadata, (dict, Mapping)):  # dict first: an ABC check is slow
        return None
    user_id = metadata.get("user_id")
    if user_id is None:
        return None
    if isinstance(user_id, str):
        return _session_in_user_id(user_id)
    if isinstance(user_id, (dict, Mapping)):
        found = user_id.get("session_id")
        return found.strip() if _usable(found) else None
    return None


@functools.lru_cache(maxsize=SESSIONS_REMEMBERED)
def _session_in_user_id(user_id: str) -> str | None:
    if user_id.startswith("{"):
        try:
            parsed = json.loads(user_id)
        except ValueError:
            return None
        found = parsed.get("session_id") if isinstance(parsed, dict) else None
    elif "_session_" in user_id:
        found = user_id.rsplit("_session_", 1)[1]
    else:
        return None
    return found.strip() if _usable(found) else None


def _usable(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())

