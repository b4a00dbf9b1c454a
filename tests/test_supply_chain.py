"""The pins: exact, hashed, and never a known-compromised or vulnerable litellm."""

from __future__ import annotations

import ast
import importlib.util
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from tests.support.processes import REPO_ROOT

LOCK = REPO_ROOT / "requirements.lock"
COMPROMISED = {"1.82.7", "1.82.8"}
COMPROMISED_SERIES = ("1.107.",)
OLDEST_SAFE = (1, 84, 0)  # earlier releases have an auth bypass
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s\\;]+)")


def locked() -> dict[str, str]:
    pins = {}
    for line in LOCK.read_text().splitlines():
        match = REQUIREMENT.match(line)
        if match:
            pins[match.group(1).lower().replace("_", "-")] = match.group(3)
    return pins


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def litellm_pins() -> list[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    found = [re.search(r"==([\w.]+)", dep).group(1) for dep in project["dependencies"] if dep.startswith("litellm")]
    return [locked()["litellm"], *found]


@pytest.mark.parametrize("version", litellm_pins())
def test_litellm_is_not_a_compromised_or_vulnerable_release(version: str) -> None:
    assert version not in COMPROMISED, f"litellm {version} is a known-compromised release"
    assert not version.startswith(COMPROMISED_SERIES), f"litellm {version} is in a compromised series"
    assert version_tuple(version) >= OLDEST_SAFE, f"litellm {version} predates the auth-bypass fix"


def test_pyproject_and_lock_agree_on_litellm() -> None:
    pins = litellm_pins()
    assert len(set(pins)) == 1, pins


def test_every_locked_requirement_is_exact_and_hashed() -> None:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", LOCK.read_text())
    requirements = [block for block in blocks if REQUIREMENT.match(block)]
    assert len(requirements) > 50
    for block in requirements:
        assert "--hash=sha256:" in block, block.splitlines()[0]


def test_every_top_level_pin_is_in_the_lock() -> None:
    pins = locked()
    for line in (REPO_ROOT / "requirements.in").read_text().splitlines():
        match = REQUIREMENT.match(line)
        if match:
            name = match.group(1).lower().replace("_", "-")
            assert pins.get(name) == match.group(3), f"{name}: requirements.in {match.group(3)}, lock {pins.get(name)}"


def per_request_imports() -> list[str]:
    """Modules LiteLLM's proxy imports inside its auth step, on every request (read from its source)."""
    source = Path(importlib.util.find_spec("litellm.proxy.auth.user_api_key_auth").origin).read_text()
    step = next(
        node for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.FunctionDef) and node.name == "_seed_request_destinations"
    )
    return [node.module for node in ast.walk(step) if isinstance(node, ast.ImportFrom) and node.module]


def test_the_proxys_per_request_imports_resolve() -> None:
    """A failed import is not cached: LiteLLM 1.108.7 would retry its OpenTelemetry import on
    every request unless opentelemetry-sdk is installed (README, "Pins and bumping litellm").
    The imports run in a fresh interpreter, as in the proxy."""
    modules = per_request_imports()
    assert "litellm.integrations.otel.logger" in modules, modules
    script = "import importlib, sys\nfor name in sys.argv[1:]: importlib.import_module(name)"
    result = subprocess.run([sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
