"""Virtual model -> scenario or score -> tier -> pool, as a `Decision` that explains itself.

Pure: no I/O. `router.Router` adds overrides, session stickiness and counters around it.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar

from vibe_router.config import RouterConfig, VirtualModel
from vibe_router.request import TurnView, build_view, conversation_of
from vibe_router.scoring import Reason
from vibe_router.scoring.base import Score
from vibe_router.scoring.memo import ScoreMemo
from vibe_router.session_id import find_session_id
from vibe_router.view_cache import ConversationCache

HEADER_PREFIX = "x-vibe-router-"
MAX_HEADER_REASONS = 4
DECISIONS_REMEMBERED = 512
T = TypeVar("T")


class Decision(NamedTuple):  # not a frozen dataclass: built per request (see request.TurnView)
    virtual_model: str
    pool: str
    tier: str
    tier_index: int
    score: float
    reasons: tuple[Reason, ...]
    scorer: str
    endpoint: str
    decided_by: str = "score"
    note: str = ""
    session: str | None = None
    shadow: bool = False
    in_ladder: bool = True

    @property
    def label(self) -> str:
        """The seed's SIMPLE / COMPLEX wording: the cheapest tier is SIMPLE."""
        return "SIMPLE" if self.tier_index == 0 else "COMPLEX"

    def reason_summary(self, limit: int = MAX_HEADER_REASONS) -> str:
        return _remembered(_reason_summary, self.reasons, self.decided_by, self.note, limit)

    def to_metadata(self) -> dict[str, Any]:
        """The decision as plain data: a fresh dict, whose `reasons` list equal decisions share."""
        return dict(_remembered(_metadata, self))

    def headers(self) -> dict[str, str]:
        return dict(_remembered(_headers, self))

    def log_fields(self) -> str:
        """The decision as `key=value` fields of the ROUTING DECISION log line."""
        return _remembered(_log_fields, self)

    def log_record(self) -> dict[str, Any]:
        """The same fields as a fresh dict, for a JSON log line."""
        return dict(_remembered(_log_record, self))

    def spend_record(self) -> dict[str, Any]:
        """What LiteLLM's spend log row keeps of the decision (a fresh dict)."""
        return dict(_remembered(_spend_record, self))

    def record(self) -> dict[str, Any]:
        """`to_metadata()` with `headers()` under "headers": a fresh dict, made with one cache look-up."""
        return dict(_remembered(_record, self))


# A tool loop repeats one decision call after call, so its texts are made once.
@functools.lru_cache(maxsize=DECISIONS_REMEMBERED)
def _reason_summary(reasons: tuple[Reason, ...], decided_by: str, note: str | None, limit: int) -> str:
    strongest = sorted(reasons, key=lambda reason: abs(reason.weight), reverse=True)[:limit]
    features = " ".join(str(reason) for reason in strongest) or "no features"
    return f"{decided_by}: " + (f"{note}; {features}" if note else features)


@functools.lru_cache(maxsize=DECISIONS_REMEMBERED)
def _metadata(decision: Decision) -> dict[str, Any]:
    return {
        "virtual_model": decision.virtual_model,
        "pool": decision.pool,
        "tier": decision.tier,
        "tier_index": decision.tier_index,
        "score": decision.score,
        "reasons": [{"feature": r.feature, "weight": r.weight} for r in decision.reasons],
        "classifier": decision.scorer,
        "decided_by": decision.decided_by,
        "note": decision.note,
        "session": decision.session,
        "shadow": decision.shadow,
        "endpoint": decision.endpoint,
    }


@functools.lru_cache(maxsize=DECISIONS_REMEMBERED)
def _log_record(decision: Decision) -> dict[str, Any]:
    return {
        "virtual_model": decision.virtual_model,
        "pool": decision.pool,
        "tier": decision.tier,
        "score": decision.score,
        "decision": decision.label,
        "endpoint": decision.endpoint,
        "classifier": decision.scorer,
        "reasons": decision.reason_summary(limit=8),
        "decided_by": decision.decided_by,
        "session": decision.session or "-",
    }


@functools.lru_cache(maxsize=DECISIONS_REMEMBERED)
def _spend_record(decision: Decision) -> dict[str, Any]:
    fields = _remembered(_log_record, decision)
    return {name: fields[name] for name in ("virtual_model", "tier", "pool", "score", "decided_by", "session")}


@functools.lru_cache(maxsize=DECISIONS_REMEMBERED)
def _log_fields(decision: Decision) -> str:
    fields = _remembered(_log_record, decision)
    return " ".join(f'{name}="{value}"' if name == "reasons" else f"{name}={value:g}" if name == "score"
                    else f"{name}={value}" for name, value in fields.items())


@functools.lru_cache(maxsize=DECISIONS_REMEMBERED)
def _record(decision: Decision) -> dict[str, Any]:
    return {**_remembered(_metadata, decision), "headers": _remembered(_headers, decision)}


@functools.lru_cache(maxsize=DECISIONS_REMEMBERED)
def _headers(decision: Decision) -> dict[str, str]:
    values = {
        "virtual-model": decision.virtual_model,
        "pool": decision.pool,
        "tier": decision.tier,
        "score": f"{decision.score:g}",
        "reason": decision.reason_summary(),
        "decided-by": decision.decided_by,
    }
    if decision.session:
        values["session"] = decision.session
    if decision.shadow:
        values["mode"] = "shadow"
    return {HEADER_PREFIX + name: _header_safe(value) for name, value in values.items()}


def _remembered(function: Callable[..., T], *args: Any) -> T:
    """`function(*args)` from its cache, or computed afresh when an argument cannot be hashed
    (a custom scorer's reasons in a list)."""
    try:
        return function(*args)
    except TypeError:
        return function.__wrapped__(*args)


class Policy:
    """Decides which pool serves a request for a virtual model, before stickiness."""

    def __init__(
        self, config: RouterConfig, conversations: ConversationCache | None = None, scores: ScoreMemo | None = None
    ) -> None:
        self.config = config
        self.conversations = conversations
        self.scores = scores

    def virtual_model_for(self, model: Any) -> VirtualModel | None:
        return self.config.virtual_model_for(model)

    def is_virtual(self, model: Any) -> bool:
        return self.config.virtual_model_for(model) is not None

    def view(self, endpoint: str, body: dict[str, Any], fresh: bool = False) -> TurnView:
        """The turn view, walking only the messages after a conversation prefix seen before (not `fresh`)."""
        return build_view(endpoint, body, self.config.stripper, self.config.max_scored_chars,
                          self.conversations, fresh)

    def known_prefix(self, endpoint: str, body: dict[str, Any]) -> int:
        """How many leading messages equal a conversation prefix this policy has walked before."""
        messages = conversation_of(endpoint, body) if self.conversations is not None else None
        state = self.conversations.resume_point(endpoint, messages) if messages is not None else None
        return state.length if state is not None else 0

    def decide(self, endpoint: str, body: dict[str, Any]) -> Decision | None:
        """The decision for a request body alone, or None when its model is not virtual."""
        model = body.get("model")
        if not self.is_virtual(model):
            return None
        return self.decide_view(model, self.view(endpoint, body), agent=from_agent(body))

    def decide_view(self, model: str, turn: TurnView, session: str | None = None, agent: bool = False) -> Decision:
        """Scenario, else score (raised to the thinking minimum), as a Decision."""
        virtual = self.config.virtual_model_for(model)
        if virtual is None:
            raise ValueError(f"{model!r} is not a virtual model")
        return self.decide_for(virtual, model, turn, session, agent)

    def decide_for(
        self, virtual: VirtualModel, model: str, turn: TurnView, session: str | None = None, agent: bool = False
    ) -> Decision:
        """`decide_view` for the virtual model that `model` routes as.

        `agent`: the request comes from an agent client's session (`session_id.SessionId.from_agent`).
        """
        score = self.scores.score(virtual.scorer, turn) if self.scores is not None else virtual.scorer.score(turn)
        scenario = virtual.scenarios.route(turn, model, agent)
        if scenario is not None:
            name, detail, target = scenario
            if target is not None and target.pool is not None:
                return _decision(virtual, score, turn, session, 0, f"scenario:{name}", detail, target.pool)
            index = 0 if target is None else virtual.tier_index(target.tier or "")
            return _decision(virtual, score, turn, session, index, f"scenario:{name}", detail)
        index = virtual.tiers.index(virtual.tier_for(score.value))
        floor = virtual.scenarios.floor(turn, model, agent) if virtual.scenarios.has_floor else None
        if floor is not None:
            name, detail, target = floor
            minimum = virtual.tier_index(target.tier or "")
            if minimum > index:
                return _decision(virtual, score, turn, session, minimum, f"scenario:{name}", detail)
        return _decision(virtual, score, turn, session, index)


def from_agent(body: dict[str, Any]) -> bool:
    """Whether a bare body (no headers) is from an agent client's session, by the ids it carries."""
    return find_session_id(body, {}).from_agent


def _decision(virtual: VirtualModel, score: Score, turn: TurnView, session: str | None, index: int,
              decided_by: str = "score", note: str = "", pool: str | None = None) -> Decision:
    """The decision for a tier of the ladder, or for a pool outside it (`pool`, tier = scenario)."""
    index = _ladder_index(virtual, index)
    tier = virtual.tiers[index]
    return Decision(
        virtual_model=virtual.name,
        pool=pool or tier.pool,
        tier=decided_by.removeprefix("scenario:") if pool else tier.name,
        tier_index=len(virtual.tiers) if pool else index,
        score=_rounded(score.value),
        reasons=score.reasons,
        scorer=virtual.scorer_name,
        endpoint=turn.endpoint,
        decided_by=decided_by,
        note=note,
        session=session,
        shadow=virtual.shadow,
        in_ladder=pool is None,
    )


def with_tier(virtual: VirtualModel, decision: Decision, index: int) -> Decision:
    index = _ladder_index(virtual, index)
    tier = virtual.tiers[index]
    return decision._replace(pool=tier.pool, tier=tier.name, tier_index=index, in_ladder=True)


@functools.lru_cache(maxsize=DECISIONS_REMEMBERED)  # round(x, 4) formats x as decimal digits: remember it
def _rounded(score: float) -> float:
    return round(score, 4)


def _ladder_index(virtual: VirtualModel, index: int) -> int:
    return max(0, min(index, len(virtual.tiers) - 1))


def _header_safe(value: str) -> str:
    if value.isascii() and "\r" not in value and "\n" not in value:
        return value
    return value.encode("ascii", "backslashreplace").decode("ascii").replace("\r", " ").replace("\n", " ")
