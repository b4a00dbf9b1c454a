"""What the checks share: the config, the settings, and the results so far."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vibe_router_tools.verify.settings import Settings


@dataclass
class Context:
    config_path: Path
    settings: Settings
    checks: list[dict[str, str]] = field(default_factory=list)
    document: dict[str, Any] | None = None
    router_config: Any = None

    def add(self, status: str, name: str, detail: str, hint: str = "") -> None:
        self.checks.append({"name": name, "status": status, "detail": detail, "hint": hint})

    def virtual_models(self) -> list[str]:
        return list(self.router_config.virtual_models) if self.router_config is not None else []

    def section(self, name: str) -> dict[str, Any]:
        value = (self.document or {}).get(name)
        return value if isinstance(value, dict) else {}

