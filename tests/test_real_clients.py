"""The real Claude Code 2.1.328 and Codex CLI 0.169.0, driven against a real proxy with the repo's config.

The proxy and a fake upstream (tests/support/agent_upstream.py) run in a network namespace with
only loopback, so nothing the CLIs send leaves the machine. Each test reads, for every request,
the pool and decided_by from the router's decision lines (log_preview on, to tell them apart)
and checks that the upstream saw the same pools. Without npm, root or unshare the module skips.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.configs import config_variant
from tests.support.real_clients import (
    ClaudeHome,
    CodexHome,
    Lab,
    Unavailable,
    check_sandbox,
    claude_binary,
    codex_binary,
)
from tests.support.stack import UPSTREAM_MODEL

DECISION = re.compile(r"ROUTING DECISION .*? pool=(\S+) .*? decided_by=(\S+) session=(\S+) .*? preview=(.*)$")
HARD_CLAUDE = ("Implement a lock-free ring buffer for the audio pipeline and analyze the memory ordering "
               "each atomic needs")
HARD_CODEX = "Debug the deadlock between the webhook retry and the scheduler, then refactor the lock ordering"
CHEAP, STANDARD = "pool-claude-haiku", "pool-claude-sonnet"
CODEX_CHEAP, CODEX_STANDARD = "pool-codex-mini", "pool-codex-standard"


def preview_config(document: dict[str, Any]) -> None:
    document["vibe_router"]["log_preview"] = True  # the test is the operator here: it asks for excerpts


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Lab]:
    try:
        check_sandbox()
        claude_binary()
        codex_binary()
    except Unavailable as exc:
        pytest.skip(str(exc))
    running = Lab(config_variant(tmp_path_factory.mktemp("real-clients"), preview_config))
    yield running
    running.stop()


class Run:
    """One CLI scenario: what each request was decided, and which pool the upstream saw."""

    def __init__(self, lab: Lab) -> None:
        self.lab = lab
        self.mark = lab.call("log_mark")["mark"]
        lab.call("clear")

    def decisions(self, count: int) -> list[tuple[str, str, str, str]]:
        """(pool, decided_by, session label, text preview) for each request since the run began."""
        text = self.lab.call("log", since=self.mark, lines=count)["text"]
        return [match.groups() for line in text.splitlines() if (match := DECISION.search(line))]

    def log(self) -> str:
        """The proxy's log since the run began."""
        return self.lab.call("log", since=self.mark)["text"]

    def routes(self, count: int) -> list[tuple[str, str]]:
        found = self.decisions(count)
        upstream = [_pool_of(request["model"]) for request in self.lab.call("requests")]
        assert sorted(pool for pool, *_ in found) == sorted(upstream), (found, upstream)
        return [(pool, decided_by) for pool, decided_by, *_ in found]


def _pool_of(model: str) -> str:
    return {upstream: pool for pool, upstream in UPSTREAM_MODEL.items()}[model]


def run(lab: Lab, argv: list[str], env: dict[str, str], cwd: Path, **fields: Any) -> dict[str, Any]:
    """Run a CLI in the lab; a plain run must exit 0 (a terminal run is judged by its steps)."""
    result = lab.call("run", argv=argv, env=env, cwd=str(cwd), timeout=fields.pop("timeout", 120), **fields)
    if "pty" not in fields:
        assert "error" not in result and result["rc"] == 0, result
    return result


# ------------------------------------------------------------------------------ Claude Code

def print_mode(lab: Lab, claude: ClaudeHome, prompt: str, *flags: str) -> dict[str, Any]:
    return run(lab, claude.print_argv(prompt, *flags), claude.env, claude.work)


def test_claude_print_mode_hi_and_hard(lab: Lab) -> None:
    claude = ClaudeHome(lab.proxy, lab.key)
    hi = Run(lab)
    assert "echo from claude-haiku-4-5" in print_mode(lab, claude, "hi")["output"]
    assert hi.routes(1) == [(CHEAP, "score")]
    hard = Run(lab)
    print_mode(lab, claude, HARD_CLAUDE)
    assert hard.routes(1) == [(STANDARD, "score")]


def test_claude_interactive_tui_title_request_leaves_the_session_alone(lab: Lab) -> None:
    # Started as people run it: base URL and key only (no CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC). The
    # TUI names the session with a side request beside the first turns, in the same session.
    claude = ClaudeHome(lab.proxy, lab.key)
    session = Run(lab)
    steps = [{"expect": "for shortcuts|❯"}, {"sleep": 2},
             {"send": "what is the capital of France"}, {"sleep": 0.5}, {"send": "\r"},
             {"requests": 2, "nudge": "\r", "every": 5}, {"sleep": 3},
             {"send": HARD_CLAUDE}, {"sleep": 0.5}, {"send": "\r"}, {"upstream": "lock-free ring buffer"},
             {"sleep": 3}]
    result = run(lab, [str(claude_binary())], claude.env, claude.work, pty=steps, timeout=150)
    decisions = session.decisions(3)
    assert "error" not in result, (result, decisions)
    assert len({label for _, _, label, _ in decisions}) == 1, decisions  # one session, as the router sees it
    titles = [(pool, by) for pool, by, _, text in decisions if text.startswith('"<session>')]
    turns = [(pool, by) for pool, by, _, text in decisions if not text.startswith('"<session>')]
    assert titles and set(titles) == {(CHEAP, "scenario:housekeeping")}, decisions
    assert turns == [(CHEAP, "score"), (STANDARD, "score")], decisions
    assert len(session.routes(len(decisions))) == len(decisions)
    assert "side-request: no-tools+output-schema+marker:session" in session.log()


@pytest.mark.parametrize(("prompt", "pool"), [
    ("run `echo vibe-tool-ok`", CHEAP),
    (f"{HARD_CLAUDE}; first run `echo vibe-tool-ok`", STANDARD),
])
def test_claude_tool_loop_keeps_its_pool(lab: Lab, prompt: str, pool: str) -> None:
    claude = ClaudeHome(lab.proxy, lab.key)
    loop = Run(lab)
    result = print_mode(lab, claude, prompt, "--allowedTools", "Bash(echo:*)")
    assert "echo from" in result["output"], result
    routes = loop.routes(2)
    assert routes == [(pool, "score"), (pool, "continuation")]
    tool_results = [r for r in lab.call("requests") if "vibe-tool-ok" in json.dumps(r["body"]["messages"][-1])]
    assert tool_results, "the tool's output never reached the upstream"


def test_claude_continue_after_a_hard_turn_stays_standard(lab: Lab) -> None:
    claude = ClaudeHome(lab.proxy, lab.key)
    first = Run(lab)
    print_mode(lab, claude, HARD_CLAUDE)
    assert first.routes(1) == [(STANDARD, "score")]
    later = Run(lab)
    print_mode(lab, claude, "thanks", "--continue")
    assert later.routes(1) == [(STANDARD, "sticky:escalate_only")]


# ------------------------------------------------------------------------------ Codex

def codex_exec(lab: Lab, codex: CodexHome, *args: str) -> dict[str, Any]:
    return run(lab, codex.exec_argv(*args), codex.env, codex.work)


def test_codex_exec_hi_and_hard(lab: Lab) -> None:
    codex = CodexHome(lab.proxy, lab.key)
    hi = Run(lab)
    assert "echo from gpt-5-codex-mini: hi" in codex_exec(lab, codex, "hi")["output"]
    assert hi.routes(1) == [(CODEX_CHEAP, "score")]
    hard = Run(lab)
    codex_exec(lab, codex, HARD_CODEX)
    assert hard.routes(1) == [(CODEX_STANDARD, "score")]


@pytest.mark.parametrize(("prompt", "pool"), [
    ("run `echo vibe-tool-ok`", CODEX_CHEAP),
    (f"{HARD_CODEX}; first run `echo vibe-tool-ok`", CODEX_STANDARD),
])
def test_codex_tool_loop_keeps_its_pool(lab: Lab, prompt: str, pool: str) -> None:
    codex = CodexHome(lab.proxy, lab.key)
    loop = Run(lab)
    result = codex_exec(lab, codex, prompt)
    assert "vibe-tool-ok" in result["output"], result
    assert loop.routes(2) == [(pool, "score"), (pool, "continuation")]


def test_codex_interactive_tui_title_request_is_served_cheap(lab: Lab) -> None:
    # Codex's TUI names the thread with a side request of its own: no tools, a JSON schema, the
    # same developer prompts as a turn. Scored, its instructions and the task come to ~250.
    codex = CodexHome(lab.proxy, lab.key)
    session = Run(lab)
    # Codex may still be starting up when the prompt shows (under load, for seconds): Enter is then
    # not taken, so it is pressed again until the turn goes out.
    steps = [{"expect": "for shortcuts"}, {"sleep": 2}, {"send": "what is the capital of France"}, {"sleep": 0.5},
             {"send": "\r"}, {"requests": 2, "nudge": "\r", "every": 5}, {"sleep": 3}]
    argv = [str(codex_binary()), "--dangerously-bypass-approvals-and-sandbox"]
    result = run(lab, argv, codex.env, codex.work, pty=steps, timeout=90)
    decisions = session.decisions(2)
    assert "error" not in result, (result, decisions)
    turns = [(pool, by) for pool, by, _, text in decisions if text == '"what is the capital of France"']
    others = [(pool, by) for pool, by, _, text in decisions if text != '"what is the capital of France"']
    assert turns == [(CODEX_CHEAP, "score")], decisions
    assert others and set(others) == {(CODEX_CHEAP, "scenario:housekeeping")}, decisions
    assert len(session.routes(len(decisions))) == len(decisions)
    # All three marks reach the hook through LiteLLM, Codex's client_metadata included.
    assert "side-request: no-tools+output-schema+marker:thread_title" in session.log()


def test_codex_exec_resume_after_a_hard_turn_stays_standard(lab: Lab) -> None:
    codex = CodexHome(lab.proxy, lab.key)
    first = Run(lab)
    codex_exec(lab, codex, HARD_CODEX)
    assert first.routes(1) == [(CODEX_STANDARD, "score")]
    later = Run(lab)
    codex_exec(lab, codex, "resume", "--last", "thanks")
    assert later.routes(1) == [(CODEX_STANDARD, "sticky:escalate_only")]


# ------------------------------------------------------------------------------ the clients know the virtual models

UNKNOWN_CODEX_MODEL = "Model metadata for `auto-codex` not found"


def codex_catalog(home: Path, like: str = "gpt-5.5") -> Path:
    """docs/clients.md's catalog: the installed Codex's own entry for `like`, named auto-codex."""
    bundled = subprocess.run(["unshare", "-n", str(codex_binary()), "debug", "models", "--bundled"],
                             env={"CODEX_HOME": str(home), "PATH": "/usr/bin:/bin"}, capture_output=True,
                             text=True, timeout=60, check=True)
    entry = next(model for model in json.loads(bundled.stdout)["models"] if model["slug"] == like)
    path = home / "vibe-router-models.json"
    path.write_text(json.dumps({"models": [{**entry, "slug": "auto-codex", "display_name": "auto-codex"}]}))
    return path


def test_codex_knows_auto_codex_from_a_model_catalog(lab: Lab) -> None:
    codex = CodexHome(lab.proxy, lab.key)
    assert UNKNOWN_CODEX_MODEL in codex_exec(lab, codex, "hi")["output"]  # as Codex starts out
    config = codex.codex_home / "config.toml"
    catalog = codex_catalog(codex.codex_home)
    config.write_text(f'model_catalog_json = "{catalog}"\n' + config.read_text())
    known = Run(lab)
    output = codex_exec(lab, codex, "hi")["output"]
    assert UNKNOWN_CODEX_MODEL not in output and "echo from gpt-5-codex-mini: hi" in output
    assert known.routes(1) == [(CODEX_CHEAP, "score")]


def context_screen(lab: Lab, claude: ClaudeHome) -> str:
    steps = [{"expect": "for shortcuts|❯"}, {"sleep": 2}, {"send": "/context"}, {"sleep": 0.5}, {"send": "\r"},
             {"expect": "[Ff]ree\\s*space"}, {"sleep": 1}]
    result = run(lab, [str(claude_binary())], claude.env, claude.work, pty=steps, timeout=60)
    assert "error" not in result, result
    return re.sub(r"\s+", "", result["output"])


def test_claude_knows_auto_claude_from_a_model_picker_row(lab: Lab) -> None:
    claude = ClaudeHome(lab.proxy, lab.key)
    assert "unrecognizedmodel" in context_screen(lab, claude)  # as Claude Code starts out: a 1M window assumed
    settings = {"modelPicker": {"options": [
        {"model": "auto-claude", "label": "auto-claude (vibe-router)", "behavesAs": "claude-sonnet-4-5"}]}}
    (claude.home / ".claude").mkdir(exist_ok=True)
    (claude.home / ".claude" / "settings.json").write_text(json.dumps(settings))
    screen = context_screen(lab, claude)
    assert "unrecognized" not in screen and "/200ktokens" in screen, screen[-1500:]
