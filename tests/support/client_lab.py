"""A sealed lab for the real CLIs: a routed LiteLLM proxy and the agent upstream, loopback only.

Run it inside a network namespace of its own (`unshare -n python -m tests.support.client_lab
CONFIG`, as root): it brings `lo` up, starts the upstream and the proxy, prints one JSON line
`{"proxy": URL, "key": KEY}`, then answers JSON-line commands on stdin, one JSON line each:

    {"op": "run", "argv": [...], "env": {...}, "cwd": DIR, "timeout": S}  -> {"rc", "output"}
    {"op": "run", ..., "pty": [STEP, ...]}   the same under a terminal; a STEP is
        {"expect": REGEX} (wait for it in the screen text), {"requests": N} (wait until the
        upstream has N requests; with "nudge": KEYS, press them again every "every" seconds),
        {"upstream": TEXT} (wait until a request's newest message holds TEXT), {"send": TEXT}
        or {"sleep": S}
    {"op": "requests"}    the upstream's recorded requests      {"op": "clear"}   forget them
    {"op": "log_mark"}    where the proxy log ends now          {"op": "log", "since": N}
    {"op": "stop"}

Nothing the CLIs send can leave the machine: the namespace has no interface but `lo`.
"""

from __future__ import annotations

import fcntl
import json
import os
import pty
import re
import select
import signal
import struct
import subprocess
import sys
import termios
import time
from pathlib import Path
from typing import Any

from tests.support.processes import EchoUpstream, Proxy, start_echo_upstream, text_when
from tests.support.stack import start_routed_proxy

ANSI = re.compile(r"\x1b\[[0-9;?<>=]*[ -/]*[@-~]|\x1b\][^\x07\x1b]*(?:\x07|\x1b\\)|\x1b[()][0-9A-Za-z]|\x1b[=>78]")
ROWS, COLUMNS = 50, 160
TAIL_CHARS = 6000


def screen_text(raw: bytes) -> str:
    """Terminal output without escape sequences (enough to look for words in it)."""
    return ANSI.sub("", raw.decode("utf-8", "replace"))


def run_plain(argv: list[str], env: dict[str, str], cwd: str, timeout: float, stdin: str | None) -> dict[str, Any]:
    try:
        done = subprocess.run(argv, env=env, cwd=cwd, input=stdin or "", capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired as exc:
        output = (exc.stdout or b"").decode() if isinstance(exc.stdout, bytes) else exc.stdout or ""
        return {"rc": None, "output": output[-TAIL_CHARS:], "error": f"timed out after {timeout:g}s"}
    return {"rc": done.returncode, "output": (done.stdout + done.stderr)[-TAIL_CHARS:]}


class Terminal:
    """A child process on a pseudo-terminal, its output gathered as it comes."""

    def __init__(self, argv: list[str], env: dict[str, str], cwd: str) -> None:
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", ROWS, COLUMNS, 0, 0))
        self.master = master
        self.raw = b""
        self.process = subprocess.Popen(argv, env={**env, "TERM": "xterm-256color"}, cwd=cwd, stdin=slave,
                                        stdout=slave, stderr=slave, start_new_session=True)
        os.close(slave)

    def pump(self, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        while (left := deadline - time.monotonic()) > 0:
            ready, _, _ = select.select([self.master], [], [], min(left, 0.1))
            if ready:
                try:
                    chunk = os.read(self.master, 65536)
                except OSError:
                    return
                if not chunk:
                    return
                self.raw += chunk
                if b"\x1b[6n" in chunk:  # a cursor position query: answer as a terminal would
                    os.write(self.master, b"\x1b[1;1R")

    def text(self) -> str:
        return screen_text(self.raw)

    def send(self, text: str) -> None:
        for char in text:  # one key at a time, as a person types
            os.write(self.master, char.encode())
            self.pump(0.05)

    def close(self) -> int | None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=5)
        os.close(self.master)
        return self.process.returncode


def run_terminal(argv: list[str], env: dict[str, str], cwd: str, timeout: float, steps: list[dict[str, Any]],
                 echo: EchoUpstream) -> dict[str, Any]:
    terminal = Terminal(argv, env, cwd)
    deadline = time.monotonic() + timeout
    error = None
    try:
        for step in steps:
            if "send" in step:
                terminal.send(step["send"])
            elif "sleep" in step:
                terminal.pump(float(step["sleep"]))
            elif "expect" in step:
                pattern = re.compile(step["expect"])
                while not pattern.search(terminal.text()) and time.monotonic() < deadline:
                    terminal.pump(0.2)
                if not pattern.search(terminal.text()):
                    error = f"never saw {step['expect']!r}"
                    break
            elif "upstream" in step:
                while not _sent(echo, step["upstream"]) and time.monotonic() < deadline:
                    terminal.pump(0.3)
                if not _sent(echo, step["upstream"]):
                    error = f"the upstream never saw {step['upstream']!r}"
                    break
            elif "requests" in step:
                nudged = time.monotonic()
                while len(echo.requests()) < step["requests"] and time.monotonic() < deadline:
                    terminal.pump(0.3)
                    if "nudge" in step and time.monotonic() - nudged > float(step.get("every", 5)):
                        terminal.send(step["nudge"])  # a key pressed again while the client was busy
                        nudged = time.monotonic()
                if len(echo.requests()) < step["requests"]:
                    error = f"the upstream never had {step['requests']} requests"
                    break
    finally:
        rc = terminal.close()
    return {"rc": rc, "output": terminal.text()[-TAIL_CHARS:], **({"error": error} if error else {})}


def _sent(echo: EchoUpstream, text: str) -> bool:
    """Whether a request with `text` in its newest message has reached the upstream."""
    return any(text in json.dumps(_newest(record["body"]), ensure_ascii=False) for record in echo.requests())


def _newest(body: dict[str, Any]) -> Any:
    items = body.get("messages", body.get("input"))
    return items[-1] if isinstance(items, list) and items else items


def bring_loopback_up() -> None:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, capture_output=True)


def answer(command: dict[str, Any], echo: EchoUpstream, proxy: Proxy) -> Any:
    op = command.get("op")
    if op == "run":
        env = {**os.environ, **command.get("env", {})}
        cwd, timeout = command.get("cwd") or os.getcwd(), float(command.get("timeout", 120))
        if command.get("pty") is not None:
            return run_terminal(command["argv"], env, cwd, timeout, command["pty"], echo)
        return run_plain(command["argv"], env, cwd, timeout, command.get("stdin"))
    if op == "requests":
        return echo.requests()
    if op == "clear":
        echo.clear()
        return {"ok": True}
    if op == "log_mark":
        return {"mark": proxy.log_mark()}
    if op == "log":
        since = int(command.get("since", 0))
        wanted = int(command.get("lines", 0))
        text = text_when(proxy.log_text, lambda t: t[since:].count("ROUTING DECISION") >= wanted, 10)
        return {"text": text[since:]}
    raise ValueError(f"unknown op {op!r}")


def main(argv: list[str]) -> int:
    bring_loopback_up()
    config = Path(argv[0])
    echo = start_echo_upstream(module="tests.support.agent_upstream")
    proxy = start_routed_proxy(echo, config)
    out = sys.stdout
    try:
        out.write(json.dumps({"proxy": proxy.url, "key": proxy.key, "upstream": echo.url}) + "\n")
        out.flush()
        for line in sys.stdin:
            command = json.loads(line)
            if command.get("op") == "stop":
                break
            try:
                reply = {"ok": answer(command, echo, proxy)}
            except Exception as exc:  # the lab reports, the test decides
                reply = {"error": f"{type(exc).__name__}: {exc}"}
            out.write(json.dumps(reply) + "\n")
            out.flush()
    finally:
        proxy.stop()
        echo.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
