"""Where verify.py's settings come from: the environment, a .env file, and the compose file's litellm service
(with compose-style `${VAR}` interpolation)."""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

INTERPOLATION = re.compile(
    r"\$(?:(?P<escaped>\$)|\{(?P<braced>[A-Za-z_]\w*)(?:(?P<op>:?[-?])(?P<arg>(?:[^{}]|\{[^{}]*\})*))?\}"
    r"|(?P<bare>[A-Za-z_]\w*))"
)


class MissingVariable(ValueError):
    """A `${VAR:?message}` whose variable is unset."""


def interpolate(text: str, env: Mapping[str, str]) -> str:
    """Compose-style `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `$VAR` and `$$`."""

    def replace(match: re.Match[str]) -> str:
        if match["escaped"]:
            return "$"
        name = match["braced"] or match["bare"]
        value, op, arg = env.get(name), match["op"] or "", match["arg"] or ""
        missing = value is None or (op.startswith(":") and value == "")
        if op.endswith("-") and missing:
            return interpolate(arg, env)
        if op.endswith("?") and missing:
            raise MissingVariable(f"{name}: {arg or 'required'}")
        return value or ""

    return INTERPOLATION.sub(replace, text)


def read_env_file(path: Path | None) -> dict[str, str]:
    """KEY=VALUE lines of a .env file; empty values count as unset (as deploy.sh reads them)."""
    values: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines() if path and path.is_file() else []:
        match = re.match(r"\s*(?:export\s+)?([A-Za-z_]\w*)=(.*)$", line)
        value = match[2].strip() if match else ""
        if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"":
            value = value[1:-1]
        if match and value:
            values[match[1]] = value
    return values


@dataclass
class Settings:
    """Settings from the environment, the env file, and the compose file's litellm service."""

    process: Mapping[str, str]
    file: Mapping[str, str]
    file_name: str = ".env"
    compose: dict[str, Any] = field(default_factory=dict)

    def host(self, name: str) -> str | None:
        """A value as the host sees it (what compose interpolates with)."""
        return self.process.get(name) or self.file.get(name) or None

    def host_env(self) -> dict[str, str]:
        return {k: v for k, v in {**self.file, **self.process}.items() if v}

    def lookup(self, name: str) -> tuple[str | None, str]:
        """The value a deployed proxy gets, and where it comes from."""
        if self.host(name):
            return self.host(name), "environment" if self.process.get(name) else self.file_name
        env = self.service("litellm").get("environment") or {}
        if isinstance(env, list):
            env = dict(item.split("=", 1) for item in env if "=" in item)
        with contextlib.suppress(MissingVariable):
            value = interpolate(str(env.get(name) or ""), self.host_env())
            if value:
                return value, "docker-compose.yml"
        return None, ""

    def service(self, name: str) -> dict[str, Any]:
        services = self.compose.get("services")
        return (services.get(name) or {}) if isinstance(services, dict) else {}
