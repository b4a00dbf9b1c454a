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

REQUIREMENTS = REPO_ROOT / "requirements"
LOCKS = ("installer", "runtime", "dev")
COMPROMISED = {"1.82.7", "1.82.8"}
COMPROMISED_SERIES = ("1.107.",)
OLDEST_SAFE = (1, 84, 0)  # earlier releases have an auth bypass
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)(\[[^\]]*\])?==([^\s\\;]+)")
# openai is not here: litellm itself needs it
NOT_IN_PRODUCTION = ("pytest", "hypothesis", "ruff", "scipy", "scikit-learn", "matplotlib", "anthropic")


def normalized(name: str) -> str:
    return name.lower().replace("_", "-")


def requirement_blocks(lock: str) -> list[str]:
    blocks = re.split(r"\n(?=[A-Za-z0-9])", (REQUIREMENTS / f"{lock}.lock").read_text())
    return [block for block in blocks if REQUIREMENT.match(block)]


def locked(lock: str = "dev") -> dict[str, str]:
    pins = {}
    for block in requirement_blocks(lock):
        match = REQUIREMENT.match(block)
        pins[normalized(match.group(1))] = match.group(3)
    return pins


def top_level_pins(name: str) -> dict[str, str]:
    pins = {}
    for line in (REQUIREMENTS / f"{name}.in").read_text().splitlines():
        match = REQUIREMENT.match(line)
        if match:
            pins[normalized(match.group(1))] = match.group(3)
    return pins


def version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in re.findall(r"\d+", version)[:3])


def litellm_pins() -> list[str]:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    found = [re.search(r"==([\w.]+)", dep).group(1) for dep in project["dependencies"] if dep.startswith("litellm")]
    return [locked("runtime")["litellm"], locked("dev")["litellm"], *found]


@pytest.mark.parametrize("version", litellm_pins())
def test_litellm_is_not_a_compromised_or_vulnerable_release(version: str) -> None:
    assert version not in COMPROMISED, f"litellm {version} is a known-compromised release"
    assert not version.startswith(COMPROMISED_SERIES), f"litellm {version} is in a compromised series"
    assert version_tuple(version) >= OLDEST_SAFE, f"litellm {version} predates the auth-bypass fix"


def test_pyproject_and_locks_agree_on_litellm() -> None:
    pins = litellm_pins()
    assert len(set(pins)) == 1, pins


@pytest.mark.parametrize("lock", LOCKS)
def test_every_locked_requirement_is_exact_and_hashed(lock: str) -> None:
    requirements = requirement_blocks(lock)
    assert len(requirements) >= 2
    for block in requirements:
        assert "--hash=sha256:" in block, block.splitlines()[0]


@pytest.mark.parametrize("lock", LOCKS)
def test_a_pin_with_an_extra_has_its_plain_twin(lock: str) -> None:
    """pip 23.2.1 (what `python3 -m venv` bundles) takes neither `httpx[http2]==0.28.1` nor
    `httpx==0.28.1` alone as the pin of what litellm asks for in hash mode, and then installs the
    registry's newest httpx or stops. With both forms it keeps the pin (requirements/lock.sh)."""
    blocks = requirement_blocks(lock)
    for block in blocks:
        match = REQUIREMENT.match(block)
        if match.group(2):
            plain = f"{match.group(1)}=={match.group(3)}"
            assert any(other.startswith(plain + " ") for other in blocks), f"{lock}.lock: {plain} is missing"


@pytest.mark.parametrize("lock", ["runtime", "dev"])
def test_every_top_level_pin_is_in_its_lock(lock: str) -> None:
    pins = locked(lock)
    wanted = top_level_pins(lock) if lock == "runtime" else {**top_level_pins("runtime"), **top_level_pins("dev")}
    for name, version in wanted.items():
        assert pins.get(name) == version, f"{name}: {lock}.in {version}, {lock}.lock {pins.get(name)}"


def test_the_installer_lock_pins_pip_and_the_build_backend() -> None:
    pins = locked("installer")
    assert set(pins) == {"pip", "setuptools"}
    build = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["build-system"]["requires"]
    assert build == [f"setuptools=={pins['setuptools']}"]


def test_the_production_lock_is_the_runtime_only() -> None:
    runtime, dev = locked("runtime"), locked("dev")
    assert not [name for name in NOT_IN_PRODUCTION if name in runtime]
    assert all(name in dev for name in NOT_IN_PRODUCTION)
    assert {name: dev.get(name) for name in runtime} == runtime, "dev.lock holds the runtime at the same versions"


def test_pyproject_declares_what_the_locks_pin() -> None:
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    declared = {normalized(REQUIREMENT.match(dep).group(1)): REQUIREMENT.match(dep).group(3)
                for dep in project["dependencies"]}
    assert declared == top_level_pins("runtime")
    extras = {normalized(REQUIREMENT.match(dep).group(1)): REQUIREMENT.match(dep).group(3)
              for group in project["optional-dependencies"].values() for dep in group}
    assert extras == top_level_pins("dev")


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
    every request unless opentelemetry-sdk is installed (docs/upgrading.md, "Why opentelemetry-sdk is pinned").
    The imports run in a fresh interpreter, as in the proxy."""
    modules = per_request_imports()
    assert "litellm.integrations.otel.logger" in modules, modules
    script = "import importlib, sys\nfor name in sys.argv[1:]: importlib.import_module(name)"
    result = subprocess.run([sys.executable, "-c", script, *modules], capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-2000:]
