"""The README's run command: ./deploy.sh --local --demo, then curl, verify.py, test_route.py, --down."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.processes import REPO_ROOT, free_port, text_when


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    env = {
        **os.environ,
        "PORT": str(free_port()),
        "ECHO_PORT": str(free_port()),
        "VIBE_RUN_DIR": str(tmp_path_factory.mktemp("run")),
    }
    env.pop("LITELLM_MASTER_KEY", None)
    started = subprocess.run(["./deploy.sh", "--local", "--demo"], cwd=REPO_ROOT, env=env,
                             capture_output=True, text=True, timeout=600)
    try:
        assert started.returncode == 0, started.stdout + started.stderr
        key = re.search(r"generated a demo master key: (sk-demo-\w+)", started.stdout)
        assert key, started.stdout
        yield {**env, "KEY": key.group(1), "OUTPUT": started.stdout}
    finally:
        subprocess.run(["./deploy.sh", "--down"], cwd=REPO_ROOT, env=env, timeout=120)


def curl(demo: dict[str, str], text: str) -> tuple[str, dict]:
    body = json.dumps({"model": "auto-chat", "messages": [{"role": "user", "content": text}]})
    result = subprocess.run(
        ["curl", "-s", "-D", "-", f"http://127.0.0.1:{demo['PORT']}/v1/chat/completions",
         "-H", f"Authorization: Bearer {demo['KEY']}", "-H", "content-type: application/json", "-d", body],
        capture_output=True, text=True, timeout=60,
    )
    head, _, payload = result.stdout.partition("\n\n")  # text mode turns \r\n into \n
    assert head.startswith("HTTP/1.1 200"), result.stdout
    return head.lower(), json.loads(payload)


@pytest.mark.parametrize(("text", "pool", "upstream"), [
    ("hi", "pool-chat-mini", "gpt-5-mini"),
    ("Implement a distributed consensus algorithm", "pool-chat-standard", "gpt-5"),
])
def test_demo_routes_a_curl(demo: dict[str, str], text: str, pool: str, upstream: str) -> None:
    head, payload = curl(demo, text)
    assert f"x-litellm-model-group: {pool}" in head
    assert f"x-vibe-router-pool: {pool}" in head
    assert "x-vibe-router-reason: " in head
    assert payload["choices"][0]["message"]["content"].startswith(f"echo from {upstream}:")
    line = f"ROUTING DECISION virtual_model=auto-chat pool={pool}"
    assert line in text_when((Path(demo["VIBE_RUN_DIR"]) / "litellm.log").read_text, lambda log: line in log)


def test_verify_and_test_route_pass_against_the_demo(demo: dict[str, str]) -> None:
    base = f"http://127.0.0.1:{demo['PORT']}"
    verify = subprocess.run(
        ["python3", "verify.py", "--base-url", base, "--env-file", f"{demo['VIBE_RUN_DIR']}/local.env"],
        cwd=REPO_ROOT, capture_output=True, text=True, timeout=120, env=demo,
    )
    assert verify.returncode == 0, verify.stdout + verify.stderr
    routes = subprocess.run([sys.executable, "test_route.py", "--base-url", base, "--key", demo["KEY"]],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert routes.stdout.strip().endswith("27 passed, 0 failed"), routes.stdout


def test_deploy_without_docker_explains_itself() -> None:
    result = subprocess.run(["./deploy.sh"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "./deploy.sh --local" in result.stderr


def test_the_demo_warns_when_its_python_can_crash_a_busy_proxy(demo: dict[str, str]) -> None:
    """CPython 3.11 and older: gh-148891 (README, Common issues). The tests' venv is this Python's."""
    check = "import sys; print(sys.version_info >= (3, 12))"
    newer = subprocess.run([str(REPO_ROOT / ".venv/bin/python"), "-c", check], capture_output=True, text=True,
                           check=True, timeout=60).stdout.strip() == "True"
    warned = "can crash a busy LiteLLM proxy (CPython gh-148891" in demo["OUTPUT"]
    assert warned != newer, demo["OUTPUT"]
    if warned:
        assert "VIBE_PYTHON=python3.12 ./deploy.sh --local" in demo["OUTPUT"]
