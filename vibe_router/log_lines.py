"""The router's two per-request log lines, as text and as JSON fields."""

from __future__ import annotations

from typing import Any

from vibe_router.policy import Decision
from vibe_router.request import TurnView


def decision_line(decision: Decision, decision_ms: float, text_preview: str | None, turn: TurnView) -> str:
    line = (f"ROUTING DECISION {decision.log_fields()} decision_ms={decision_ms} "
            f"walked={turn.items - turn.resumed}/{turn.items}")
    if decision.shadow:
        line += " mode=shadow"
    if text_preview is not None:
        line += f" preview={text_preview}"
    return line


def decision_json(decision: Decision, decision_ms: float, text_preview: str | None, turn: TurnView) -> dict:
    """decision_line's fields, for `json_logs: true`."""
    fields = {"message": "ROUTING DECISION", **decision.log_record(), "decision_ms": decision_ms,
              "walked": f"{turn.items - turn.resumed}/{turn.items}"}
    if decision.shadow:
        fields["mode"] = "shadow"
    if text_preview is not None:
        fields["preview"] = text_preview
    return fields


def outcome_line(outcome: str, record: dict, served: Any, latency_ms: float) -> str:
    return (f"{outcome} virtual_model={record.get('virtual_model')} pool={record.get('pool')} "
            f"served_by={served} latency_ms={latency_ms:.0f}")


def outcome_json(outcome: str, record: dict, served: Any, latency_ms: float) -> dict:
    return {"message": outcome, "virtual_model": record.get("virtual_model"), "pool": record.get("pool"),
            "served_by": served, "latency_ms": round(latency_ms)}
