"""Real processes for end-to-end tests: the echo upstream and a LiteLLM proxy.

Generic helpers (stdlib + httpx): they know nothing of vibe-router routing.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from vibe_router.logs import FLUSH_SECONDS

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_MASTER_KEY = "sk-vibe-test-0001"
READY_LINE = re.compile(r"echo upstream listening on (http://\S+)")


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _python_path(env: dict[str, str], root: Path = REPO_ROOT) -> str:
    parts = [str(root), env.get("PYTHONPATH", "")]
    return os.pathsep.join(p for p in parts if p)


class _LoggedProcess:
    """A subprocess whose stdout and stderr go to a temporary log file."""

    def __init__(self, args: list[str], env: dict[str, str], name: str, cwd: Path = REPO_ROOT) -> None:
        self._log = tempfile.NamedTemporaryFile(  # noqa: SIM115 - kept open for the process
            prefix=f"{name}-", suffix=".log", delete=False
        )
        self.log_path = Path(self._log.name)
        self.process = subprocess.Popen(
            args, cwd=cwd, env=env, stdin=subprocess.DEVNULL,
            stdout=self._log, stderr=subprocess.STDOUT,
        )

    def log_text(self) -> str:
        """Everything the process has written so far (stdout and stderr)."""
        return self.log_path.read_text(errors="replace")

    def log_when(self, wanted: Callable[[str], bool], timeout: float = 5.0) -> str:
        """The log once `wanted(text)` holds, or as it is at `timeout`.

        The router writes its per-request lines together, within FLUSH_SECONDS (vibe_router.logs).
        """
        return text_when(self.log_text, wanted, timeout)

    def log_mark(self) -> int:
        """Where the log ends once the lines of earlier requests are written: read new lines from here."""
        time.sleep(2 * FLUSH_SECONDS)
        return len(self.log_text())

    def log_tail(self, lines: int = 60) -> str:
        return "\n".join(self.log_text().splitlines()[-lines:])

    def stop(self, grace: float = 10.0) -> None:
        """Terminate, then kill if still running after `grace` seconds."""
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=grace)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=grace)
        self._log.close()

    def wait_until(self, ready: Callable[[], bool], timeout: float, what: str) -> None:
        """Poll `ready` every 0.2 s; fail with the log tail on exit or timeout."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                self.stop()
                raise RuntimeError(
                    f"{what} exited with code {self.process.returncode}:\n{self.log_tail()}"
                )
            if ready():
                return
            time.sleep(0.2)
        self.stop()
        raise TimeoutError(f"{what} not ready after {timeout:.0f}s:\n{self.log_tail()}")


def text_when(read: Callable[[], str], wanted: Callable[[str], bool], timeout: float = 5.0) -> str:
    """What `read()` returns once `wanted` holds for it, polling, or its last answer at `timeout`."""
    deadline = time.monotonic() + timeout
    text = read()
    while not wanted(text) and time.monotonic() < deadline:
        time.sleep(0.05)
        text = read()
    return text


def _answers_200(url: str) -> Callable[[], bool]:
    def check() -> bool:
        try:
            return httpx.get(url, timeout=2.0, trust_env=False).status_code == 200
        except httpx.HTTPError:
            return False

    return check


class EchoUpstream(_LoggedProcess):
    """`python -m vibe_router_tools.echo_upstream` as a subprocess, with its test hooks."""

    url: str

    def __init__(self, port: int, env: dict[str, str], module: str = "vibe_router_tools.echo_upstream") -> None:
        args = [sys.executable, "-m", module,
                "--host", "127.0.0.1", "--port", str(port)]
        super().__init__(args, env, "echo-upstream")
        self.url = ""

    def _ready(self) -> bool:
        match = READY_LINE.search(self.log_text())
        if match:
            self.url = match.group(1)
            return _answers_200(f"{self.url}/healthz")()
        return False

    def _call(self, method: str, path: str, payload: Any = None) -> Any:
        response = httpx.request(method, f"{self.url}{path}", json=payload,
                                 timeout=10.0, trust_env=False)
        response.raise_for_status()
        return response.json()

    def requests(self) -> list[dict[str, Any]]:
        """Recorded POSTs, oldest first: path, model, stream, headers, body."""
        return self._call("GET", "/_echo/requests")

    def clear(self) -> None:
        self._call("DELETE", "/_echo/requests")

    def set_faults(self, faults: dict[str, dict[str, Any]]) -> None:
        """E.g. {"gpt-5-mini": {"status": 500}} or {"m": {"delay": 3.0}}."""
        self._call("POST", "/_echo/faults", faults)

    def clear_faults(self) -> None:
        self._call("DELETE", "/_echo/faults")


def start_echo_upstream(
    port: int | None = None, timeout: float = 20.0, module: str = "vibe_router_tools.echo_upstream", **extra_env: str
) -> EchoUpstream:
    """Start the echo upstream (port None: let it pick one; `module`: a variant of it) and wait until it answers."""
    env = {**os.environ, **extra_env}
    env["PYTHONPATH"] = _python_path(env)
    env["PYTHONUNBUFFERED"] = "1"
    upstream = EchoUpstream(0 if port is None else port, env, module)
    upstream.wait_until(upstream._ready, timeout, "echo upstream")
    return upstream


class Proxy(_LoggedProcess):
    """A real `litellm --config FILE` proxy process."""

    def __init__(self, args: list[str], env: dict[str, str], port: int, key: str, cwd: Path = REPO_ROOT) -> None:
        super().__init__(args, env, "litellm-proxy", cwd)
        self.port = port
        self.key = key
        self.url = f"http://127.0.0.1:{port}"


def litellm_executable() -> str:
    """The `litellm` script installed next to the running interpreter."""
    beside = Path(sys.executable).parent / "litellm"
    if beside.exists():
        return str(beside)
    found = shutil.which("litellm")
    if not found:
        raise FileNotFoundError(f"no litellm executable next to {sys.executable} or on PATH")
    return found


def start_litellm_proxy(
    config_path: Path,
    port: int | None = None,
    env: dict[str, str] | None = None,
    timeout: float = 90,
    root: Path = REPO_ROOT,
) -> Proxy:
    """Start a LiteLLM proxy on 127.0.0.1 and wait for /health/liveliness to answer 200.

    `root`: the checkout whose code the proxy runs (first on its PYTHONPATH, its working directory);
    bench.overhead --baseline-tree starts one from another checkout.
    """
    port = port or free_port()
    full_env = dict(os.environ)
    full_env.update({
        "LITELLM_LOCAL_MODEL_COST_MAP": "True",
        "LITELLM_TELEMETRY_DISABLED": "true",
        "LITELLM_MASTER_KEY": DEFAULT_MASTER_KEY,
        "PYTHONUNBUFFERED": "1",
        "PYTHONFAULTHANDLER": "1",  # a crash leaves its Python stacks in the proxy's log
    })
    full_env.update(env or {})
    full_env["PYTHONPATH"] = _python_path(full_env, root)
    args = [litellm_executable(), "--config", str(config_path),
            "--host", "127.0.0.1", "--port", str(port)]
    proxy = Proxy(args, full_env, port, full_env["LITELLM_MASTER_KEY"], root)
    proxy.wait_until(_answers_200(f"{proxy.url}/health/liveliness"), timeout, "litellm proxy")
    return proxy
