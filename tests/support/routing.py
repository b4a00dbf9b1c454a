"""Routing requests through a `Router` in-process: config_final.yaml on the heuristic with changes applied,
a local-only session store, and request builders (for the tests/test_router_*.py files)."""

from __future__ import annotations

import asyncio
import copy
from collections.abc import Callable
from typing import Any

from tests.support.configs import heuristic_document
from vibe_router.config import parse_config
from vibe_router.overrides import Caller
from vibe_router.policy import Decision
from vibe_router.router import Routed, Router, RouteRequest
from vibe_router.sessions import RedisSettings, SessionStore

DOCUMENT = heuristic_document()  # the router's mechanics on scores a reader can add up ("hi" = -98)
SIMPLE = "what is 2+2"  # score 11: cheap
COMPLEX = "Implement a distributed consensus algorithm"  # score 193: standard
FORCE = {"x-vibe-route": "standard"}  # the override header, allowed or not
Change = Callable[[dict[str, Any]], None]


def make_router(*changes: Change) -> Router:
    """config_final.yaml with `changes` applied to its `vibe_router` section, on a local-only store."""
    document = copy.deepcopy(DOCUMENT)
    for change in changes:
        change(document)
    return Router(parse_config(document), SessionStore(RedisSettings()))


def vm(name: str, **values: Any) -> Change:
    return lambda document: document["vibe_router"]["virtual_models"][name].update(values)


def overrides(**values: Any) -> Change:
    return lambda document: document["vibe_router"]["overrides"].update(values)


def scenarios(name: str, **values: Any) -> Change:
    return lambda document: document["vibe_router"]["virtual_models"][name]["scenarios"].update(values)


def chat(content: Any, session: str = "s1", **body: Any) -> RouteRequest:
    return chat_messages([{"role": "user", "content": content}], session, **body)


def chat_messages(messages: list[Any], session: str = "s1", headers: Any = None, caller: Any = None,
                  **body: Any) -> RouteRequest:
    return request("chat", {"model": "auto-chat", "messages": messages, **body}, session, headers, caller)


def request(endpoint: str, body: dict[str, Any], session: str = "s1", headers: Any = None,
            caller: Caller | None = None) -> RouteRequest:
    return RouteRequest(endpoint, body, {"x-session-id": session, **(headers or {})}, caller or Caller())


def route_all(router: Router, *requests: RouteRequest) -> list[Routed]:
    async def run() -> list[Routed]:
        return [routed for req in requests if (routed := await router.route(req)) is not None]

    return asyncio.run(run())


def decide(router: Router, *requests: RouteRequest) -> list[tuple[str, str]]:
    return [(r.decision.tier, r.decision.decided_by) for r in route_all(router, *requests)]


def one(router: Router, req: RouteRequest) -> Decision:
    return route_all(router, req)[0].decision

