"""The README's run command: ./deploy.sh --local --demo, then its curl as written, verify.py, test_route.py, --down."""

from __future__ import annotations

import json
import os
import re
import socket
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
        assert not (Path(env["VIBE_RUN_DIR"]) / "key").exists(), "--down removes the key"


def readme_block(containing: str) -> str:
    blocks = re.findall(r"```bash\n(.*?)```", (REPO_ROOT / "README.md").read_text(encoding="utf-8"), re.S)
    found = [block for block in blocks if containing in block]
    assert len(found) == 1, f"one README bash block holds {containing!r}"
    return found[0]


def as_in_the_readme(demo: dict[str, str], script: str) -> subprocess.CompletedProcess[str]:
    """A README block run by bash in the repo, with only the demo's port and run folder put in."""
    script = script.replace("127.0.0.1:4000", f"127.0.0.1:{demo['PORT']}").replace(".run/", f"{demo['VIBE_RUN_DIR']}/")
    env = {name: value for name, value in demo.items() if name not in ("KEY", "LITELLM_MASTER_KEY", "OUTPUT")}
    return subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=REPO_ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


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


def test_the_readmes_curl_works_as_written(demo: dict[str, str]) -> None:
    """The key comes from where deploy.sh wrote it, not from anything the test sets."""
    result = as_in_the_readme(demo, readme_block("curl -s http://127.0.0.1:4000/v1/chat/completions"))
    head = result.stdout.replace("\r", "").lower()
    assert head.startswith("http/1.1 200"), result.stdout + result.stderr
    readme = (REPO_ROOT / "README.md").read_text(encoding="utf-8")
    shown = readme.split("The response headers say where the request went", 1)[1].split("```", 2)[1]
    for line in shown.strip().splitlines():
        assert line.lower() in head.splitlines(), f"the README shows {line!r}; the response has:\n{head}"


def test_verify_as_the_readme_writes_it_passes_against_the_demo(demo: dict[str, str]) -> None:
    command = next(line for line in readme_block("./deploy.sh --logs").splitlines() if "verify.py" in line)
    verify = as_in_the_readme(demo, command.split("#")[0])
    assert verify.returncode == 0, verify.stdout + verify.stderr
    assert "✗" not in verify.stdout, verify.stdout


def test_the_proxys_venv_has_no_test_or_training_packages(demo: dict[str, str]) -> None:
    modules = ("pytest", "hypothesis", "scipy", "matplotlib")
    check = f"import importlib.util as u; print([m for m in {modules!r} if u.find_spec(m)])"
    found = subprocess.run([str(REPO_ROOT / ".venv/bin/python"), "-c", check], capture_output=True, text=True,
                           check=True, timeout=60).stdout.strip()
    assert found == "[]", found


def test_a_refused_override_says_so_in_a_header(demo: dict[str, str]) -> None:
    body = json.dumps({"model": "auto-chat", "messages": [{"role": "user", "content": "hi"}]})
    result = subprocess.run(
        ["curl", "-s", "-D", "-", "-o", "/dev/null", f"http://127.0.0.1:{demo['PORT']}/v1/chat/completions",
         "-H", f"Authorization: Bearer {demo['KEY']}", "-H", "content-type: application/json",
         "-H", "x-vibe-route: standard", "-d", body],
        capture_output=True, text=True, timeout=60,
    )
    head = result.stdout.lower()
    assert "x-vibe-router-pool: pool-chat-mini" in head, result.stdout
    assert "x-vibe-router-override: refused: not allowed for this key" in head, result.stdout


def test_a_busy_port_starts_nothing_and_says_so(tmp_path: Path) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port, echo_port = taken.getsockname()[1], free_port()
        env = {**os.environ, "PORT": str(port), "ECHO_PORT": str(echo_port), "VIBE_RUN_DIR": str(tmp_path)}
        result = subprocess.run(["./deploy.sh", "--local", "--demo"], cwd=REPO_ROOT, env=env,
                                capture_output=True, text=True, timeout=120)
    assert result.returncode != 0
    assert f"port {port} is already in use" in result.stderr, result.stderr
    assert "nothing was started" in result.stderr
    assert not list(tmp_path.glob("*.pid")), "no process was started"
    with socket.socket() as probe:
        assert probe.connect_ex(("127.0.0.1", echo_port)) != 0, "the echo upstream did not start"


def test_deploy_help_lists_every_setting() -> None:
    result = subprocess.run(["./deploy.sh", "--help"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 0
    for setting in ("PORT=4000", "ECHO_PORT=8399", "LITELLM_MASTER_KEY", "VIBE_PYTHON", "VIBE_RUN_DIR", "--down"):
        assert setting in result.stdout, setting
    assert result.stdout.rstrip().endswith("."), "the help ends with a whole sentence"


def test_test_route_passes_against_the_demo(demo: dict[str, str]) -> None:
    base = f"http://127.0.0.1:{demo['PORT']}"
    routes = subprocess.run([sys.executable, "test_route.py", "--base-url", base, "--key", demo["KEY"]],
                            cwd=REPO_ROOT, capture_output=True, text=True, timeout=300)
    assert routes.stdout.strip().endswith("27 passed, 0 failed"), routes.stdout


def test_deploy_without_docker_explains_itself() -> None:
    result = subprocess.run(["./deploy.sh"], cwd=REPO_ROOT, capture_output=True, text=True, timeout=60,
                            env={**os.environ, "PATH": "/usr/bin:/bin"})
    assert result.returncode != 0
    assert "./deploy.sh --local" in result.stderr


def test_the_demo_warns_when_its_python_can_crash_a_busy_proxy(demo: dict[str, str]) -> None:
    """CPython 3.11 and older: gh-148891 (docs/troubleshooting.md). The demo's venv is made with this Python."""
    check = "import sys; print(sys.version_info >= (3, 12))"
    newer = subprocess.run([str(REPO_ROOT / ".venv/bin/python"), "-c", check], capture_output=True, text=True,
                           check=True, timeout=60).stdout.strip() == "True"
    warned = "can crash a busy LiteLLM proxy (CPython gh-148891" in demo["OUTPUT"]
    assert warned != newer, demo["OUTPUT"]
    if warned:
        assert "VIBE_PYTHON=python3.12 ./deploy.sh --local" in demo["OUTPUT"]
