"""Route a conversation, not a request: overrides, stickiness and counters around `Policy`."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any, NamedTuple

from vibe_router.config import RouterConfig, VirtualModel
from vibe_router.headers import lowercase_headers
from vibe_router.health import PoolHealth
from vibe_router.local_store import UNKNOWN
from vibe_router.logs import log
from vibe_router.metrics import RouterMetrics, add_fields
from vibe_router.overrides import Caller, requested_override
from vibe_router.policy import Decision, Policy, with_tier
from vibe_router.request import TurnView
from vibe_router.scenarios import CHARS_PER_TOKEN, SCENARIOS
from vibe_router.scoring.memo import ScoreMemo
from vibe_router.session_id import find_session_id
from vibe_router.sessions import SessionStore
from vibe_router.view_cache import ConversationCache
from vibe_router.wire import BY_ENDPOINT

COUNTER_FLUSH_SECONDS = 0.5
# Decisions that take part in session stickiness: the score, and the scenarios that set a floor
# for it. Housekeeping, long-context and image requests need their own tier and leave the session alone.
STICKY_DECISIONS = frozenset({"score", *(f"scenario:{name}" for name, kind in SCENARIOS.items() if kind.sets_floor)})


# NamedTuples, not frozen dataclasses: built for every request (see request.TurnView).
class RouteRequest(NamedTuple):
    endpoint: str
    body: dict[str, Any]
    headers: Mapping[str, str] = MappingProxyType({})
    caller: Caller = Caller()


class Routed(NamedTuple):
    decision: Decision
    turn: TurnView
    override_refused: str = ""  # why an override the request asked for was not honoured


class Router:
    """The engine's entry point: one decision per request, shared state in `store`."""

    def __init__(self, config: RouterConfig, store: SessionStore | None = None) -> None:
        self.config = config
        self.policy = Policy(config, ConversationCache(), ScoreMemo())
        self.store = store or SessionStore(config.redis)
        self.health = PoolHealth(config.health)
        self._background: set[asyncio.Task[None]] = set()
        self.metrics = RouterMetrics()
        self._pending: dict[str, dict[str, float]] = {}  # virtual model -> counter increments not yet written
        self._retry: dict[str, dict[str, float]] = {}  # increments a flush could not write (already in metrics)
        self._flush_scheduled = False
        if config.session_labels.source == "per-process":
            log.warning("SESSION LABELS PER PROCESS: no sessions.label_key and no master key, so replicas label "
                        "one session differently in x-vibe-router-session and logs (routing is not affected)")

    async def route(self, request: RouteRequest) -> Routed | None:
        """The decision for a request, or None when its model is not virtual.

        May edit `request.body` in place: inline route tags are removed.
        """
        body = request.body
        model = body.get("model")
        virtual = self.policy.virtual_model_for(model)
        if virtual is None:
            return None
        turn = self.policy.view(request.endpoint, body)
        headers = lowercase_headers(request.headers)
        override = requested_override(headers, turn.text, self.config.overrides)
        if turn.double_brackets and BY_ENDPOINT[request.endpoint].strip_tags(body):
            turn = self.policy.view(request.endpoint, body, fresh=True)
        session = find_session_id(body, headers, request.caller.key_hash or "", turn.first_text,
                                  self.config.session_header)
        decision = self.policy.decide_for(virtual, model, turn, session.label(self.config.session_labels.key),
                                          session.from_agent)
        refused = ""
        if override is not None:
            forced, refused = self._forced(virtual, decision, override.tier, override.source, request.caller)
            if forced is not None:
                return self._finish(Routed(self._healthy(virtual, forced), turn))
        if decision.in_ladder and decision.decided_by in STICKY_DECISIONS:
            decision = await self._stick(virtual, decision, turn, session.digest)
        return self._finish(Routed(self._healthy(virtual, decision), turn, refused))

    def _healthy(self, virtual: VirtualModel, decision: Decision) -> Decision:
        """The decision, moved up the ladder past a pool that is cooling down (`decided_by=health`).

        Applied after stickiness and never stored in the session: once the pool recovers, the
        session's own tier applies again. When every tier above is cooling down too, or the pool is
        outside the ladder (a scenario's own pool), the decision stands and LiteLLM's fallbacks apply.
        """
        if not decision.in_ladder or self.health.available(decision.pool):
            return decision
        for index in range(decision.tier_index + 1, len(virtual.tiers)):
            if self.health.available(virtual.tiers[index].pool):
                note = self.health.why_skipped(decision.pool)
                return with_tier(virtual, decision._replace(decided_by="health", note=note), index)
        return decision

    def _forced(
        self, virtual: VirtualModel, decision: Decision, tier: str, source: str, caller: Caller
    ) -> tuple[Decision | None, str]:
        """The decision an override forces, or None and why it was refused."""
        names = [t.name.lower() for t in virtual.tiers]
        if not self.config.overrides.allowed(caller):
            log.warning("OVERRIDE IGNORED virtual_model=%s source=%s tier=%s: not allowed for this key", virtual.name,
                        source, ascii(tier[:40]))
            return None, "not allowed for this key"
        if tier not in names:
            log.warning("OVERRIDE IGNORED virtual_model=%s source=%s: unknown tier %s", virtual.name, source,
                        ascii(tier[:40]))
            return None, f"unknown tier (tiers: {', '.join(names)})"
        scored = f"scored {decision.tier} ({decision.score:g})"
        forced = with_tier(virtual, decision._replace(decided_by=f"override:{source}", note=scored), names.index(tier))
        return forced, ""

    async def _stick(self, virtual: VirtualModel, decision: Decision, turn: TurnView, digest: str) -> Decision:
        sticky = virtual.sticky
        if sticky.mode == "off":
            return decision
        keeps_state = (turn.continuation or turn.carries_reasoning) and decision.decided_by == "score"
        # A thinking minimum is a floor: it may raise a session, never be lowered by it.
        mode = "first" if keeps_state or (sticky.mode == "pin" and decision.decided_by == "score") else "max"
        key = self.store.session_key(virtual.name, digest[:32])
        # Without Redis, a session with earlier turns (its body shows them) may have reached any
        # tier on another replica.
        had_turns = turn.turns > 1 or turn.continuation or turn.carries_reasoning
        # A pin this replica knows holds on every replica (only a thinking minimum raises one);
        # an escalation may have happened anywhere.
        pinned_here = sticky.mode == "pin" and self.store.local.floor(key) != UNKNOWN
        if_unknown = len(virtual.tiers) - 1 if had_turns and not pinned_here else UNKNOWN
        index, source = await self.store.apply_tier(key, mode, decision.tier_index, sticky.ttl_seconds, if_unknown)
        if source == "assumed":
            why, note = "sticky:unknown", f"scored {decision.tier} ({decision.score:g}), Redis did not answer"
        elif keeps_state:
            why = "continuation" if turn.continuation else "reasoning"
            note = "tool result: kept the session's tier" if turn.continuation else "carries reasoning from its pool"
        elif index != decision.tier_index:
            why, note = f"sticky:{sticky.mode}", f"scored {decision.tier} ({decision.score:g}), session holds"
        else:
            return decision
        return with_tier(virtual, decision._replace(decided_by=why, note=note), index)

    def _finish(self, routed: Routed) -> Routed:
        self.count(routed.decision, {"tokens_in_estimate": routed.turn.total_chars // CHARS_PER_TOKEN})
        return routed

    def count(self, decision: Decision, extra: Mapping[str, int] | None = None) -> None:
        """Add a decision to the per-virtual-model counters, without delaying the request."""
        fields = {"decisions": 1, "tier:" + decision.tier: 1, "by:" + decision.decided_by: 1}
        if decision.shadow:
            fields["shadow"] = 1
        if decision.decided_by.startswith("override:"):
            fields["overrides"] = 1
        if extra:
            suffix = ":" + decision.pool
            for name, amount in extra.items():
                fields[name + suffix] = amount
        self.count_fields(decision.virtual_model, fields)

    def count_fields(self, virtual_model: str, fields: Mapping[str, float]) -> None:
        """Queue counter increments; they reach the store in one batch per flush interval."""
        add_fields(self._pending, virtual_model, fields)
        if self._flush_scheduled:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # no running loop (CLI use): count locally at once
            for virtual_model, pending in self._take_pending().items():
                self.store.local.count(self.stats_key(virtual_model), pending)
            return
        self._flush_scheduled = True
        loop.call_later(COUNTER_FLUSH_SECONDS, self._schedule_flush)

    def stats_key(self, virtual_model: str) -> str:
        return self.store.key("stats", virtual_model)

    def _schedule_flush(self) -> None:
        task = asyncio.get_running_loop().create_task(self.flush_counters())
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def flush_counters(self) -> None:
        """Write the queued counter increments now; what Redis cannot take waits for the next flush."""
        unwritten = {virtual_model: pending for virtual_model, pending in self._take_pending().items()
                     if not await self.store.count(self.stats_key(virtual_model), pending)}
        for virtual_model, pending in unwritten.items():
            add_fields(self._retry, virtual_model, pending)
        if unwritten and not self._flush_scheduled:
            self._flush_scheduled = True
            asyncio.get_running_loop().call_later(COUNTER_FLUSH_SECONDS, self._schedule_flush)

    def _take_pending(self) -> dict[str, dict[str, float]]:
        """What to write now: the new increments (added to the process's metrics) and any left over."""
        pending, self._pending = self._pending, {}
        self.metrics.add_counts(pending)
        retry, self._retry = self._retry, {}
        for virtual_model, fields in retry.items():
            add_fields(pending, virtual_model, fields)
        self._flush_scheduled = False
        return pending

