"""The per-virtual-model counters the router flushes to the session store."""

from __future__ import annotations

import asyncio

from tests.support.routing import (
    COMPLEX,
    FORCE,
    chat,
    make_router,
    overrides,
)


def test_counters_per_virtual_model() -> None:
    router = make_router(overrides(allow=True))

    async def run() -> None:
        for req in (chat("hi"), chat(COMPLEX), chat("hi"), chat("hi", session="s2", headers=FORCE)):
            await router.route(req)
        await router.flush_counters()

    asyncio.run(run())
    counters = router.store.local.counters[router.store.key("stats", "auto-chat")]
    assert {name: value for name, value in counters.items() if not name.startswith("tokens")} == {
        "decisions": 4, "tier:cheap": 1, "tier:standard": 3, "overrides": 1,
        "by:score": 2, "by:sticky:escalate_only": 1, "by:override:header": 1}
    assert counters["tokens_in_estimate:pool-chat-mini"] == 0  # "hi" is 2 characters
    assert counters["tokens_in_estimate:pool-chat-standard"] == len(COMPLEX) // 4
    assert router.store.key("stats", "auto-codex") not in router.store.local.counters
