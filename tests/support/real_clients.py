"""The pinned Claude Code and Codex CLIs from npm, and the sealed lab they run in.

The CLIs are installed once into a cache folder (`VIBE_CLIENTS_CACHE`, default
~/.cache/vibe-router-clients); the lab (tests/support/client_lab.py) runs in a network
namespace of its own. Anything missing (npm, root, unshare) is a reason to skip, never a failure.
"""

from __future__ import annotations

import json
import os
import platform
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from tests.support.processes import REPO_ROOT

CLAUDE_CODE = ("@anthropic-ai/claude-code", "2.1.328")
CODEX = ("@openai/codex", "0.169.0")
CACHE = Path(os.environ.get("VIBE_CLIENTS_CACHE", Path.home() / ".cache" / "vibe-router-clients"))
ARCH = {"x86_64": "x64", "aarch64": "arm64", "arm64": "arm64"}
CODEX_TRIPLE = {"x64": "x86_64-unknown-linux-musl", "arm64": "aarch64-unknown-linux-musl"}


class Unavailable(Exception):
    """Why the real clients cannot run here (the tests skip with it)."""


def _npm_install(package: str, version: str) -> Path:
    folder = CACHE / f"{package.rsplit('/', 1)[-1]}-{version}"
    if (folder / "node_modules").is_dir():
        return folder
    npm = shutil.which("npm")
    if npm is None:
        raise Unavailable("npm is not installed")
    folder.mkdir(parents=True, exist_ok=True)
    done = subprocess.run([npm, "install", "--no-audit", "--no-fund", "--prefix", str(folder), f"{package}@{version}"],
                          capture_output=True, text=True, timeout=900)
    if done.returncode != 0:
        shutil.rmtree(folder, ignore_errors=True)
        raise Unavailable(f"npm install {package}@{version} failed: {done.stderr.strip()[-300:]}")
    return folder


def claude_binary() -> Path:
    """Claude Code's native executable (its package's platform dependency; no postinstall needed)."""
    arch = ARCH.get(platform.machine())
    folder = _npm_install(*CLAUDE_CODE)
    binary = folder / "node_modules" / "@anthropic-ai" / f"claude-code-linux-{arch}" / "claude"
    if sys.platform != "linux" or not binary.is_file():
        raise Unavailable(f"no Claude Code {CLAUDE_CODE[1]} executable for {sys.platform}/{platform.machine()}")
    return binary


def codex_binary() -> Path:
    arch = ARCH.get(platform.machine(), "")
    folder = _npm_install(*CODEX)
    binary = (folder / "node_modules" / "@openai" / f"codex-linux-{arch}" / "vendor" / CODEX_TRIPLE.get(arch, "-")
              / "bin" / "codex")
    if sys.platform != "linux" or not binary.is_file():
        raise Unavailable(f"no Codex {CODEX[1]} executable for {sys.platform}/{platform.machine()}")
    return binary


def check_sandbox() -> None:
    if sys.platform != "linux" or os.geteuid() != 0:
        raise Unavailable("the sealed lab needs root on Linux (unshare -n)")
    for tool in ("unshare", "ip"):
        if shutil.which(tool) is None:
            raise Unavailable(f"{tool} is not installed")
    probe = subprocess.run(["unshare", "-n", "true"], capture_output=True, text=True)
    if probe.returncode != 0:
        raise Unavailable(f"unshare -n does not work here: {probe.stderr.strip()}")


class Lab:
    """The lab process: a proxy and the agent upstream in a network namespace with only loopback."""

    def __init__(self, config: Path) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "NO_PROXY": "*", "no_proxy": "*"}
        for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
            env.pop(name, None)
        self.process = subprocess.Popen(
            ["unshare", "-n", sys.executable, "-m", "tests.support.client_lab", str(config)],
            cwd=REPO_ROOT, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
        )
        ready = self._line()
        self.proxy, self.key, self.upstream = ready["proxy"], ready["key"], ready["upstream"]

    def _line(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        line = self.process.stdout.readline()
        if not line:
            raise RuntimeError(f"the client lab exited with {self.process.wait()}")
        return json.loads(line)

    def call(self, op: str, **fields: Any) -> Any:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps({"op": op, **fields}) + "\n")
        self.process.stdin.flush()
        reply = self._line()
        if "error" in reply:
            raise RuntimeError(f"client lab: {reply['error']}")
        return reply["ok"]

    def stop(self) -> None:
        if self.process.poll() is None:
            assert self.process.stdin is not None
            self.process.stdin.write(json.dumps({"op": "stop"}) + "\n")
            self.process.stdin.close()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()



class ClaudeHome:
    """A HOME where Claude Code has been set up once (onboarding done, key approved, folder trusted)."""

    def __init__(self, base_url: str, key: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="claude-home-"))
        self.work = Path(tempfile.mkdtemp(prefix="claude-work-"))
        state = {"hasCompletedOnboarding": True, "lastOnboardingVersion": CLAUDE_CODE[1],
                 "customApiKeyResponses": {"approved": [key[-20:]], "rejected": []},
                 "projects": {str(self.work): {"hasTrustDialogAccepted": True}}}
        (self.home / ".claude.json").write_text(json.dumps(state))
        self.env = {"HOME": str(self.home), "ANTHROPIC_BASE_URL": base_url, "ANTHROPIC_API_KEY": key,
                    "ANTHROPIC_MODEL": "auto-claude"}

    def print_argv(self, prompt: str, *flags: str) -> list[str]:
        return [str(claude_binary()), "-p", prompt, *flags]


CODEX_CONFIG = """\
model = "auto-codex"
model_provider = "vibe-router"

[model_providers.vibe-router]
name = "vibe-router"
base_url = "{base_url}/v1"
env_key = "VIBE_ROUTER_KEY"
wire_api = "responses"
"""


class CodexHome:
    """CODEX_HOME with `base_url` as a model provider and auto-codex as the model."""

    def __init__(self, base_url: str, key: str) -> None:
        self.home = Path(tempfile.mkdtemp(prefix="codex-home-"))
        self.work = Path(tempfile.mkdtemp(prefix="codex-work-"))
        self.codex_home = self.home / ".codex"
        self.codex_home.mkdir()
        (self.codex_home / "config.toml").write_text(CODEX_CONFIG.format(base_url=base_url))
        self.env = {"HOME": str(self.home), "CODEX_HOME": str(self.codex_home), "VIBE_ROUTER_KEY": key}

    def exec_argv(self, *args: str) -> list[str]:
        return [str(codex_binary()), "exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox",
                *args]
