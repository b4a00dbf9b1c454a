"""A new wire format or a new scenario is one new module plus its registry line, and nothing else.

A copy of the runtime package gains Gemini's `generateContent` (a format the router does not read)
and a `code_blocks` scenario, each as one module plus its import and entry in the registry. The
copy then reads the format's bodies, routes them, keeps their replay fields for capture and
takes the scenario's settings from the config, with the dotted key in its errors.
"""

from __future__ import annotations

import difflib
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]

GEMINI = '''
"""Gemini `generateContent`: `contents` of `parts`, the model in the URL (LiteLLM copies it to `model`)."""

from typing import Any

from vibe_router.wire.base import WalkInput, as_list, new_walk_input
from vibe_router.wire.options import Asked

ROLES = {"user": "user", "model": "assistant"}


def _text(parts: Any) -> str:
    return "\\n".join(part.get("text", "") for part in as_list(parts) if isinstance(part, dict))


class GenerateContent:
    endpoint = "generate_content"
    path = "/v1beta/models/{model}:generateContent"
    call_types = ("agenerate_content", "agenerate_content_stream")
    metadata_field = "litellm_metadata"
    turn_fields = frozenset({"contents"})
    context_fields = ()
    error_param_in_provider_fields = False
    replay_fields = ("contents", "systemInstruction", "tools", "generationConfig")

    def recognises(self, body: dict[str, Any]) -> bool:
        return "contents" in body

    def history(self, body: dict[str, Any]) -> list[Any] | None:
        contents = body.get("contents")
        return contents if isinstance(contents, list) else None

    def walk_input(self, body: dict[str, Any]) -> WalkInput:
        system = body.get("systemInstruction")
        messages = [{"role": "system", "content": _text(system.get("parts"))}] if isinstance(system, dict) else []
        messages += [{"role": ROLES.get(item.get("role", "user"), "user"), "content": _text(item.get("parts"))}
                     for item in as_list(body.get("contents")) if isinstance(item, dict)]
        return new_walk_input(messages)

    def shape_error(self, body: dict[str, Any], start: int = 0) -> str | None:
        contents = body.get("contents")
        if not isinstance(contents, list):
            return "contents: must be a list of contents"
        bad = next((index for index, item in enumerate(contents) if not isinstance(item, dict)), None)
        return None if bad is None else f"contents[{bad}]: must be an object"

    def strip_tags(self, body: dict[str, Any]) -> bool:
        return False

    def answer_text(self, payload: dict[str, Any]) -> str:
        return _text(((payload.get("candidates") or [{}])[0].get("content") or {}).get("parts"))

    def asked(self, body: dict[str, Any]) -> Asked:
        config = body.get("generationConfig") or {}
        budget = (config.get("thinkingConfig") or {}).get("thinkingBudget") or 0
        return Asked(None, budget > 0, config.get("maxOutputTokens"),
                     config.get("responseMimeType") == "application/json", "")


FORMAT = GenerateContent()
'''

CODE_BLOCKS = '''
"""`code_blocks`: a turn with at least `min_blocks` code blocks goes to its target."""

from dataclasses import dataclass
from typing import ClassVar

from vibe_router.config_values import Whole
from vibe_router.request import TurnView
from vibe_router.scenarios.base import ScenarioSettings, Target, TargetSettings, target_pools


class CodeBlocksSettings(TargetSettings):
    min_blocks: Whole = 2

    def build(self, at: str, tiers: list[str], pools: set[str]) -> "CodeBlocks":
        return CodeBlocks(self.min_blocks, self.target(at, tiers, pools))


@dataclass(frozen=True)
class CodeBlocks:
    name: ClassVar[str] = "code_blocks"
    sets_floor: ClassVar[bool] = False
    human_turn: ClassVar[bool] = True
    settings: ClassVar[type[ScenarioSettings]] = CodeBlocksSettings
    min_blocks: int
    target: Target

    def take(self, turn: TurnView, requested_model: str, agent: bool) -> str | None:
        return f"{turn.code_blocks} code blocks" if turn.code_blocks >= self.min_blocks else None

    @property
    def pools(self) -> tuple[str, ...]:
        return target_pools(self.target)
'''

# What the copy is asked, in a process of its own (a package is imported once per process).
CHECK = '''
import asyncio

from tests.support.configs import heuristic_document
from vibe_router import capture, wire
from vibe_router.config import parse_config
from vibe_router.config_values import ConfigError
from vibe_router.overrides import Caller
from vibe_router.router import Router, RouteRequest
from vibe_router.sessions import RedisSettings, SessionStore

document = heuristic_document()
chat = document["vibe_router"]["virtual_models"]["auto-chat"]
chat["scenarios"] = {"housekeeping": {"max_tokens": 16}, "code_blocks": {"tier": "standard"}}
router = Router(parse_config(document), SessionStore(RedisSettings()))


def gemini(text, session, **config):
    body = {"model": "auto-chat", "contents": [{"role": "user", "parts": [{"text": text}]}],
            "systemInstruction": {"parts": [{"text": "Be brief."}]}, "generationConfig": config}
    routed = asyncio.run(router.route(RouteRequest("generate_content", body, {"x-session-id": session}, Caller())))
    return routed.decision.tier, routed.decision.decided_by


fence = "`" * 3
print("code", *gemini(f"{fence}\\na\\n{fence} and {fence}\\nb\\n{fence}", "s1"))
print("simple", *gemini("what is 2+2", "s2"))
print("short", *gemini("Implement a distributed consensus algorithm", "s3", maxOutputTokens=8))
print("call_type", wire.for_call_type("agenerate_content").endpoint)
print("detected", wire.detect_endpoint({"contents": []}), wire.detect_endpoint({"messages": []}))
print("shape", wire.shape_error("generate_content", {"contents": "hi"}))
print("replayed", "generationConfig" in wire.REPLAY_FIELDS, "contents" in wire.REPLAY_FIELDS)
print("captured", capture.is_new_human_turn("scenario:code_blocks", False, False))
chat["scenarios"] = {"code_blocks": {"tier": "standard", "min_blocks": 0}}
try:
    parse_config(document)
except ConfigError as error:
    print("error", error)
'''


def copy_with(tmp_path: Path) -> Path:
    """The runtime package copied, with the new format and scenario added and registered."""
    package = tmp_path / "vibe_router"
    shutil.copytree(ROOT / "vibe_router", package, ignore=shutil.ignore_patterns("__pycache__"))
    (package / "wire" / "gemini.py").write_text(textwrap.dedent(GEMINI))
    (package / "scenarios" / "code_blocks.py").write_text(textwrap.dedent(CODE_BLOCKS))
    register(package / "wire" / "__init__.py", [
        ("from vibe_router.wire import chat, completions, messages, responses",
         "from vibe_router.wire import chat, completions, gemini, messages, responses"),
        ("messages.FORMAT, chat.FORMAT)", "messages.FORMAT, gemini.FORMAT, chat.FORMAT)"),
    ])
    register(package / "scenarios" / "__init__.py", [
        ("from vibe_router.scenarios.images import Images",
         "from vibe_router.scenarios.code_blocks import CodeBlocks\nfrom vibe_router.scenarios.images import Images"),
        ("(Housekeeping, LongContext, Images, Thinking)", "(Housekeeping, LongContext, Images, Thinking, CodeBlocks)"),
    ])
    return package


def register(path: Path, edits: list[tuple[str, str]]) -> None:
    text = path.read_text()
    for old, new in edits:
        assert text.count(old) == 1, f"{path.name}: the registry no longer reads {old!r}"
        text = text.replace(old, new)
    path.write_text(text)


def changed_lines(package: Path) -> dict[str, list[str]]:
    """Per file of the copy: the lines it adds or removes against the repo's package."""
    changes = {}
    for path in sorted(package.rglob("*.py")):
        relative = path.relative_to(package)
        original = ROOT / "vibe_router" / relative
        before = original.read_text().splitlines() if original.exists() else []
        diff = [line for line in difflib.unified_diff(before, path.read_text().splitlines(), lineterm="", n=0)
                if line[:1] in "+-" and not line.startswith(("+++", "---"))]
        if diff:
            changes[str(relative)] = diff
    return changes


def test_a_new_format_and_scenario_are_a_module_and_a_registry_line_each(tmp_path: Path) -> None:
    package = copy_with(tmp_path)
    changes = changed_lines(package)
    assert sorted(changes) == ["scenarios/__init__.py", "scenarios/code_blocks.py", "wire/__init__.py",
                               "wire/gemini.py"]
    # Each registry gains its import (a new line, or a name in one) and its entry (one line changed).
    assert [len(changes[name]) for name in ("scenarios/__init__.py", "wire/__init__.py")] == [3, 4]

    env = {**os.environ, "PYTHONPATH": f"{tmp_path}{os.pathsep}{ROOT}"}
    done = subprocess.run([sys.executable, "-c", CHECK], cwd=tmp_path, env=env, capture_output=True, text=True,
                          timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    answers = dict(line.split(" ", 1) for line in done.stdout.splitlines())
    assert answers == {
        "code": "standard scenario:code_blocks",
        "simple": "cheap score",
        "short": "cheap scenario:housekeeping",
        "call_type": "generate_content",
        "detected": "generate_content chat",
        "shape": "contents: must be a list of contents",
        "replayed": "True True",
        "captured": "True",
        "error": "vibe_router.virtual_models.auto-chat.scenarios.code_blocks.min_blocks: "
                 "must be a positive whole number, got 0",
    }
