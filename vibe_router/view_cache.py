"""Walk states of recent conversations: a request that repeats a known history walks only its new messages.

Agent clients resend the whole conversation on every call, so most of a request's messages
were walked for the request before it. A turn view depends on the messages in order, so the
state after a prefix equal (`==`, checked in full) to one walked before is the state this
request would reach there. An edited history is a miss, never a stale hit, as long as no
caller changes a remembered message in place (the proxy parses every request anew; a list
seen before is never trusted against itself).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Hashable
from typing import Any

from vibe_router.request import WalkState

MAX_CONVERSATIONS = 256
MAX_CHARS = 8_000_000  # text the remembered message lists keep alive, summed over all of them
CANDIDATES_PER_KEY = 4  # conversations that open with the same first user message (same repo, same prompt)
KEY_CHARS = 256


class _Entry:
    """A remembered conversation; entries are told apart by identity, never by comparing messages."""

    __slots__ = ("messages", "state")

    def __init__(self, messages: list[Any], state: WalkState) -> None:
        self.messages = messages
        self.state = state


class ConversationCache:
    """The newest walk state of recent conversations, bounded in number and in text kept alive."""

    def __init__(self, max_conversations: int = MAX_CONVERSATIONS, max_chars: int = MAX_CHARS) -> None:
        self.max_conversations = max_conversations
        self.max_chars = max_chars
        self.hits = 0
        self.misses = 0
        self._entries: OrderedDict[Hashable, list[_Entry]] = OrderedDict()
        self._conversations = 0
        self._chars = 0
        # The list asked about last, its key and the entry found: the shape check, the turn view
        # and `store` ask about the same list in turn.
        self._last: tuple[list[Any], Hashable | None, _Entry | None] | None = None

    def resume_point(self, endpoint: str, messages: list[Any]) -> WalkState | None:
        """The state after the longest remembered prefix of `messages`, or None."""
        entry = self._find(endpoint, messages)
        return entry.state if entry is not None else None

    def store(self, endpoint: str, messages: list[Any], state: WalkState) -> None:
        """Remember `state` for `messages`, replacing the entry it resumed from."""
        last, self._last = self._last, None
        if last is not None and last[0] is messages:
            key, resumed = last[1], last[2]
        else:
            key, resumed = _key(endpoint, messages), None
        if key is None:
            return
        entries = self._entries.get(key)
        if resumed is not None and entries and entries[0] is resumed:
            # The usual call: the newest entry of a conversation has grown. It takes the new state in
            # place (`_find` has already made its key the most recent).
            self._chars += state.total_chars - resumed.state.total_chars
            resumed.messages, resumed.state = messages, state
        else:
            self._replace(key, resumed, _Entry(messages, state))
        while self._entries and (self._conversations > self.max_conversations or self._chars > self.max_chars):
            for entry in self._entries.popitem(last=False)[1]:
                self._forget(entry)

    def __len__(self) -> int:
        return self._conversations

    def _replace(self, key: Hashable, resumed: _Entry | None, new: _Entry) -> None:
        """Put `new` first under `key`, dropping the entry it resumed from (or one for the same list)."""
        kept = []
        for entry in self._entries.pop(key, []):
            if entry is resumed or entry.messages is new.messages:
                self._forget(entry)
            else:
                kept.append(entry)
        self._conversations += 1
        self._chars += _size(new)
        for entry in kept[CANDIDATES_PER_KEY - 1:]:
            self._forget(entry)
        self._entries[key] = [new, *kept[: CANDIDATES_PER_KEY - 1]]

    def _find(self, endpoint: str, messages: list[Any]) -> _Entry | None:
        last = self._last
        if last is not None and last[0] is messages:
            return last[2]
        found = key = None
        try:
            key = _key(endpoint, messages)
            for entry in self._entries.get(key, ()) if key is not None else ():
                length = entry.state.length
                if (entry.messages is not messages and len(entry.messages) == length <= len(messages)
                        and messages[:length] == entry.messages):
                    found = entry
                    self._entries.move_to_end(key)
                    break
        except Exception:  # e.g. RecursionError comparing absurdly deep content: walk it all
            found = None
        self._last = (messages, key, found)
        if found is None:
            self.misses += 1
        else:
            self.hits += 1
        return found

    def _forget(self, entry: _Entry) -> None:
        self._conversations -= 1
        self._chars -= _size(entry)


def _size(entry: _Entry) -> int:
    return entry.state.total_chars + 1


def _key(endpoint: str, messages: list[Any]) -> Hashable | None:
    """The conversation's first user message, cut short (equality is checked in full later)."""
    for message in messages[:8]:
        if isinstance(message, dict) and message.get("role") == "user":
            content = message.get("content")
            if isinstance(content, list):
                content = next((part.get("text") for part in content if isinstance(part, dict)
                                and isinstance(part.get("text"), str)), None)
            if isinstance(content, str):
                return endpoint, len(content), content[:KEY_CHARS]
            return None
    return None
