"""Which conversation a request belongs to (every source, in order, the hash fallback), and its stored tier."""

from __future__ import annotations

import asyncio
import json
import logging
import re
from types import SimpleNamespace
from typing import Any

import pytest

from vibe_router import local_store
from vibe_router.headers import lowercase_headers
from vibe_router.redis_connection import RedisConnection
from vibe_router.session_id import SessionId, find_session_id, label_key
from vibe_router.sessions import LocalStore, RedisSettings, SessionStore

CLAUDE_CODE_USER_ID = json.dumps(
    {"device_id": "d" * 64, "account_uuid": "", "session_id": "cc-json-session"}, separators=(",", ":")
)
KEY = label_key("test deployment secret")
LEGACY_USER_ID = "user_" + "a" * 64 + "_account__session_cc-legacy-session"

# Every source at once; each test removes the winners before the source it checks.
ALL_HEADERS = {
    "x-team-session": "configured-header",
    "x-session-id": "generic-header",
    "x-claude-code-session-id": "cc-header",
    "session-id": "codex-session-header",
    "thread-id": "codex-thread-header",
}
ALL_BODY = {
    "metadata": {"user_id": CLAUDE_CODE_USER_ID},
    "prompt_cache_key": "codex-cache-key",
    "litellm_session_id": "litellm-session",
}

ORDER = [
    ("x-team-session", "configured-header", "header:x-team-session"),
    ("x-session-id", "generic-header", "header:x-session-id"),
    ("x-claude-code-session-id", "cc-header", "claude-code"),
    ("metadata", "cc-json-session", "claude-code"),
    ("prompt_cache_key", "codex-cache-key", "codex"),
    ("session-id", "codex-session-header", "codex"),
    ("thread-id", "codex-thread-header", "codex"),
    ("litellm_session_id", "litellm-session", "litellm"),
]


def find(body: dict[str, Any] | None = None, headers: dict[str, str] | None = None, **kwargs: Any) -> SessionId:
    return find_session_id(body or {}, headers or {}, **kwargs)


@pytest.mark.parametrize("position", range(len(ORDER)), ids=[source for source, _, _ in ORDER])
def test_each_source_wins_over_everything_after_it(position: int) -> None:
    removed = {source for source, _, _ in ORDER[:position]}
    headers = {name: value for name, value in ALL_HEADERS.items() if name not in removed}
    body = {name: value for name, value in ALL_BODY.items() if name not in removed}
    _, value, label = ORDER[position]
    found = find(body, headers, api_key="sk-1", first_text="hi", extra_header="x-team-session")
    assert (found.value, found.source) == (value, label)


def test_hash_is_last_when_no_source_is_present() -> None:
    found = find({"model": "auto-chat"}, {"authorization": "Bearer x"}, api_key="sk-1", first_text="hi")
    assert found.source == "hash"
    assert re.fullmatch(r"hash:[0-9a-f]{32}", found.value)


def test_without_a_configured_header_the_generic_one_is_first() -> None:
    found = find(ALL_BODY, ALL_HEADERS)
    assert (found.value, found.source) == ("generic-header", "header:x-session-id")


def test_configured_header_name_and_header_names_are_case_insensitive() -> None:
    headers = {"X-Team-Session": "mine", "X-Session-Id": "generic"}
    found = find({}, headers, extra_header="X-TEAM-SESSION")
    assert (found.value, found.source) == ("mine", "header:x-team-session")
    assert find({}, {"X-Session-ID": "generic"}).value == "generic"
    assert find({}, {"X-Claude-Code-Session-Id": "cc"}) == SessionId("cc", "claude-code")
    assert find({}, {"Thread-ID": "t1"}) == SessionId("t1", "codex")


def test_headers_are_lowercased_once_per_request() -> None:
    lowered = lowercase_headers({"X-Session-ID": "s1", 7: "x"})
    assert lowered == {"x-session-id": "s1", "7": "x"}
    assert lowercase_headers(lowered) is lowered  # the router lowers them once, every reader reuses that
    assert find({}, lowered) == SessionId("s1", "header:x-session-id")


def test_configured_header_absent_falls_back_to_the_generic_header() -> None:
    found = find({}, {"x-session-id": "generic"}, extra_header="x-team-session")
    assert found == SessionId("generic", "header:x-session-id")


def test_claude_code_json_user_id() -> None:
    assert find({"metadata": {"user_id": CLAUDE_CODE_USER_ID}}) == SessionId("cc-json-session", "claude-code")


def test_claude_code_header_and_metadata_agree_on_the_source_label() -> None:
    body = {"metadata": {"user_id": CLAUDE_CODE_USER_ID}}
    from_header = find(body, {"x-claude-code-session-id": "cc-json-session"})
    assert from_header == find(body)


def test_legacy_user_id_with_session_suffix() -> None:
    assert find({"metadata": {"user_id": LEGACY_USER_ID}}) == SessionId("cc-legacy-session", "claude-code")


def test_legacy_form_takes_the_part_after_the_last_marker() -> None:
    user_id = "user_x_session_old_session_newest"
    assert find({"metadata": {"user_id": user_id}}).value == "newest"


@pytest.mark.parametrize(
    "metadata",
    [
        {"user_id": '{"session_id": "unterminated'},
        {"user_id": "{not json at all}"},
        {"user_id": json.dumps({"session_id": ""})},
        {"user_id": json.dumps({"session_id": "   "})},
        {"user_id": json.dumps({"session_id": 12345})},
        {"user_id": json.dumps({"device_id": "only"})},
        {"user_id": "user_abc_session_"},
        {"user_id": "plain-user-without-marker"},
        {"user_id": 42},
        {"user_id": None},
        {},
        "not a mapping",
        ["user_id", "x_session_y"],
        None,
    ],
    ids=lambda value: repr(value)[:40],
)
def test_unusable_metadata_falls_through_to_the_next_source(metadata: Any) -> None:
    body = {"metadata": metadata, "prompt_cache_key": "codex-cache-key"}
    assert find(body) == SessionId("codex-cache-key", "codex")


@pytest.mark.parametrize("blank", ["", "   ", "\t\n"])
def test_blank_values_are_skipped(blank: str) -> None:
    headers = {
        "x-team-session": blank,
        "x-session-id": blank,
        "x-claude-code-session-id": blank,
        "session-id": blank,
        "thread-id": "thread-wins",
    }
    body = {"prompt_cache_key": blank, "litellm_session_id": "litellm-loses"}
    assert find(body, headers, extra_header="x-team-session") == SessionId("thread-wins", "codex")
    assert find({"litellm_session_id": blank}, {}).source == "hash"


@pytest.mark.parametrize("value", [123, None, ["a"], {"id": "a"}, b"bytes"])
def test_non_string_values_are_skipped(value: Any) -> None:
    assert find({"prompt_cache_key": value, "litellm_session_id": "ll"}) == SessionId("ll", "litellm")
    assert find({}, {"x-session-id": value, "session-id": "s"}) == SessionId("s", "codex")


def test_values_are_trimmed() -> None:
    assert find({}, {"x-session-id": "  spaced  "}).value == "spaced"
    assert find({"metadata": {"user_id": json.dumps({"session_id": " in-json "})}}).value == "in-json"


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        ({}, {"x-session-id": "h" * 5000}),
        ({}, {"x-claude-code-session-id": "h" * 5000}),
        ({"metadata": {"user_id": json.dumps({"session_id": "h" * 5000})}}, {}),
        ({"metadata": {"user_id": "user_x_session_" + "h" * 5000}}, {}),
        ({"prompt_cache_key": "h" * 5000}, {}),
        ({}, {"thread-id": "h" * 5000}),
        ({"litellm_session_id": "h" * 5000}, {}),
    ],
    ids=["generic", "cc-header", "cc-json", "cc-legacy", "prompt_cache_key", "thread-id", "litellm"],
)
def test_whole_ids_are_hashed(body: dict[str, Any], headers: dict[str, str]) -> None:
    """Two long ids that share their first thousands of characters are two sessions."""
    def swap_tail(value: Any) -> Any:
        if isinstance(value, str):
            return value.replace("h" * 5000, "h" * 4999 + "x")
        return {k: swap_tail(v) for k, v in value.items()} if isinstance(value, dict) else value

    found, other = find(body, headers), find(swap_tail(body), swap_tail(headers))
    assert found.value == "h" * 5000 and other.value == "h" * 4999 + "x"
    assert found.digest != other.digest
    assert found.label(KEY) != other.label(KEY)


def test_hash_is_stable_for_the_same_key_and_first_text() -> None:
    one = find({}, {}, api_key="sk-a", first_text="Write a parser")
    two = find({"model": "other"}, {"user-agent": "x"}, api_key="sk-a", first_text="Write a parser")
    assert one == two
    assert one.label(KEY) == two.label(KEY)


def test_hash_differs_by_key_and_by_first_text() -> None:
    base = find({}, {}, api_key="sk-a", first_text="Write a parser")
    assert find({}, {}, api_key="sk-b", first_text="Write a parser").value != base.value
    assert find({}, {}, api_key="sk-a", first_text="Write a lexer").value != base.value
    assert find({}, {}, api_key="", first_text="Write a parser").value != base.value


def test_hash_does_not_confuse_key_and_text_boundaries() -> None:
    assert find({}, {}, api_key="ab", first_text="c").value != find({}, {}, api_key="a", first_text="bc").value


def test_hash_survives_unencodable_text() -> None:
    found = find({}, {}, api_key="sk", first_text="broken \ud800 surrogate")
    assert found.source == "hash"


@pytest.mark.parametrize(
    "found",
    [
        SessionId("0199a4c2-7d1e-7b80-9f3e-6a1c2b3d4e5f", "codex"),
        SessionId("cc-json-session", "claude-code"),
        SessionId("sess-1", "header:x-session-id"),
        SessionId("bad \ud800 surrogate", "litellm"),
    ],
)
def test_label_is_twelve_hex_keyed_and_never_the_raw_id(found: SessionId) -> None:
    label = found.label(KEY)
    assert re.fullmatch(r"[0-9a-f]{12}", label)
    assert found.value not in label and label not in found.value
    assert label == SessionId(found.value, "other-source").label(KEY)  # depends on the id only
    assert label != found.label(label_key("another deployment"))
    assert label not in found.digest  # the unkeyed digest does not give the label away


def test_label_differs_between_sessions() -> None:
    assert SessionId("session-a", "codex").label(KEY) != SessionId("session-b", "codex").label(KEY)


# ------------------------------------------------------------------------------ the stored tier

@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    now = [100.0]
    monkeypatch.setattr(local_store, "time", SimpleNamespace(monotonic=lambda: now[0]))
    return now


def test_local_store_modes_and_idle_ttl(clock: list[float]) -> None:
    store = LocalStore(10)
    assert [store.apply_tier("s", "max", tier, 10) for tier in (0, 1, 0)] == [0, 1, 1]
    assert store.apply_tier("s", "first", 0, 10) == 1
    assert [store.apply_tier("p", "first", tier, 10) for tier in (0, 1)] == [0, 0]
    clock[0] += 9
    assert store.peek_tier("s") == 1
    clock[0] += 10
    assert store.peek_tier("s") is None
    assert store.apply_tier("s", "max", 0, 10) == 0


def test_local_store_is_bounded_and_evicts_the_least_recently_used() -> None:
    store = LocalStore(2)
    store.apply_tier("a", "max", 1, 60)
    store.apply_tier("b", "max", 1, 60)
    store.apply_tier("a", "max", 0, 60)  # touching `a` makes `b` the oldest
    store.apply_tier("c", "max", 0, 60)
    assert (store.peek_tier("a"), store.peek_tier("b"), store.peek_tier("c")) == (1, None, 0)


def test_session_store_without_url_is_local_only() -> None:
    store = SessionStore(RedisSettings())
    assert not store.shared
    assert store.key("session", "auto-chat", "x") == "vibe-router:session:auto-chat:x"
    assert asyncio.run(store.apply_tier("k", "max", 1, 60)) == (1, "local")


def test_unreachable_redis_falls_back_to_the_local_store_and_warns_once(caplog: pytest.LogCaptureFixture) -> None:
    store = SessionStore(RedisSettings(RedisConnection(host="127.0.0.1", port=1), timeout_ms=50, retry_seconds=60))
    logger = logging.getLogger("vibe_router")
    logger.addHandler(caplog.handler)
    try:
        async def run() -> list[object]:
            results: list[object] = [await store.apply_tier("k", "max", 1, 60)]
            results.append(await store.apply_tier("k", "max", 0, 60))
            results.append(await store.count("stats", {"decisions": 1}))
            return results

        # Counters are not split into a per-replica store: the caller keeps them for Redis.
        assert asyncio.run(run()) == [(1, "local"), (1, "local"), False]
    finally:
        logger.removeHandler(caplog.handler)
    assert "stats" not in store.local.counters
    warnings = [r.getMessage() for r in caplog.records if "REDIS UNAVAILABLE" in r.getMessage()]
    assert len(warnings) == 1
