"""`vibe-router explain | score`: what an operator sees, and the JSON-lines contract of `score`."""

from __future__ import annotations

import io
import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.bodies import FIXTURES, load
from tests.support.configs import heuristic_config
from vibe_router_tools.cli import build_parser, cmd_score, detect_endpoint, main, parse_input

ROOT = Path(__file__).resolve().parents[1]
CONFIG = str(heuristic_config())  # config_final.yaml on the heuristic: explanations a reader can add up
DECISION_KEYS = {"score", "tier", "pool", "reasons", "reason", "virtual_model", "endpoint", "classifier"}


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def score_lines(lines: list[str], *options: str) -> tuple[int, list[dict[str, Any]]]:
    args = build_parser().parse_args(["score", "--config", CONFIG, *options])
    sink = io.StringIO()
    code = cmd_score(args, stdin=io.StringIO("".join(line + "\n" for line in lines)), stdout=sink)
    return code, [json.loads(line) for line in sink.getvalue().splitlines()]


@pytest.fixture
def broken_config(tmp_path: Path) -> str:
    text = (ROOT / "config_final.yaml").read_text(encoding="utf-8").replace(
        "{name: cheap, pool: pool-chat-mini}", "{name: cheap, pool: pool-chat-mni}")
    path = tmp_path / "broken.yaml"
    path.write_text(text, encoding="utf-8")
    return str(path)


# --------------------------------------------------------------------------- explain

def test_explain_text(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "hi")
    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["virtual", "model", "auto-chat", "(classifier:", "heuristic)"]
    assert 'text           "hi"  (2 chars)' in lines
    assert any(line.split() == ["features", "length", "+2"] for line in lines)
    assert any(line.split() == ["simple:hi", "-100"] for line in lines)
    assert "score          -98" in lines
    assert "tiers          cheap | standard (>= 50)" in lines
    assert lines[-2] == "pool           pool-chat-mini  (tier cheap, SIMPLE)"
    assert lines[-1] == "decided by     score"


def test_explain_names_the_scenario_that_decided(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    """A hard prompt with a tiny max_tokens goes cheap as housekeeping, and explain says so."""
    body = {"model": "auto-claude", "max_tokens": 10,
            "messages": [{"role": "user", "content": "Implement a distributed consensus algorithm"}]}
    path = tmp_path / "body.json"
    path.write_text(json.dumps(body))
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "--file", str(path))
    assert code == 0
    lines = out.splitlines()
    assert "endpoint       messages" in lines
    assert lines[-2] == "pool           pool-claude-haiku  (tier cheap, SIMPLE)"
    assert lines[-1] == "decided by     scenario:housekeeping  (max_tokens<=16)"


def test_explain_joins_words(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "--json", "Implement", "a", "distributed", "lock")
    assert code == 0
    decision = json.loads(out)
    assert decision["pool"] == "pool-chat-standard"
    assert decision["reasons"][0] == {"feature": "length", "weight": len("Implement a distributed lock")}


@pytest.mark.parametrize(("text", "pool", "tier"), [
    ("hi", "pool-chat-mini", "cheap"),
    ("cat test.py", "pool-chat-mini", "cheap"),
    ("Implement a distributed consensus algorithm", "pool-chat-standard", "standard"),
    ("Analyze the architecture of microservices", "pool-chat-standard", "standard"),
])
def test_explain_json(capsys: pytest.CaptureFixture[str], text: str, pool: str, tier: str) -> None:
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "--json", text)
    assert code == 0
    decision = json.loads(out)
    assert set(decision) >= DECISION_KEYS
    assert (decision["pool"], decision["tier"], decision["virtual_model"]) == (pool, tier, "auto-chat")
    assert decision["score"] == sum(reason["weight"] for reason in decision["reasons"])


@pytest.mark.parametrize(("name", "endpoint", "pool"), [
    ("claude_code_hi", "messages", "pool-claude-haiku"),
    ("claude_code_complex", "messages", "pool-claude-sonnet"),
    ("codex_hi", "responses", "pool-codex-mini"),
    ("codex_tool_loop", "responses", "pool-codex-standard"),
    ("chat_image", "chat", "pool-chat-standard"),  # the images scenario
])
def test_explain_file_uses_the_bodys_model_and_format(capsys: pytest.CaptureFixture[str], name: str,
                                                      endpoint: str, pool: str) -> None:
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "--json", "--file", str(FIXTURES / f"{name}.json"))
    assert code == 0
    decision = json.loads(out)
    assert (decision["endpoint"], decision["pool"]) == (endpoint, pool)


def test_explain_file_text_output_shows_the_turn(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "--file", str(FIXTURES / "claude_code_tool_loop.json"))
    assert code == 0
    assert "endpoint       messages" in out
    assert "tools=13 thinking=yes continuation=yes" in out
    assert "pool           pool-claude-sonnet  (tier standard, COMPLEX)" in out


@pytest.mark.parametrize(("model", "pool"), [("auto-claude", "pool-claude-haiku"), ("auto-codex", "pool-codex-mini")])
def test_explain_model_option(capsys: pytest.CaptureFixture[str], model: str, pool: str) -> None:
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "--json", "--model", model, "hi")
    assert code == 0
    assert (json.loads(out)["virtual_model"], json.loads(out)["pool"]) == (model, pool)


def test_explain_model_option_overrides_the_bodys(capsys: pytest.CaptureFixture[str]) -> None:
    fixture = str(FIXTURES / "codex_hi.json")
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "--json", "--model", "auto-claude", "--file", fixture)
    assert code == 0
    assert json.loads(out)["pool"] == "pool-claude-haiku"


def test_explain_endpoint_option(capsys: pytest.CaptureFixture[str]) -> None:
    body = json.dumps({"model": "auto-chat", "input": "ignored", "messages": [{"role": "user", "content": "hi"}]})
    _, guessed, _ = run(capsys, "explain", "--config", CONFIG, "--json", body)
    _, forced, _ = run(capsys, "explain", "--config", CONFIG, "--json", "--endpoint", "chat", body)
    assert json.loads(guessed)["endpoint"] == "responses"
    assert (json.loads(forced)["endpoint"], json.loads(forced)["reasons"][1]["feature"]) == ("chat", "simple:hi")


def test_explain_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO(json.dumps(load("claude_code_hi"))))
    code, out, _ = run(capsys, "explain", "--config", CONFIG, "--json")
    assert (code, json.loads(out)["pool"]) == (0, "pool-claude-haiku")


@pytest.mark.parametrize(("argv", "message"), [
    (["--model", "gpt-4o", "hi"], "'gpt-4o' is not a virtual model in the config"),
    (["--file", "/nonexistent/body.json"], "No such file"),
    (['{"messages": [}'], "vibe-router: "),
    (["[1, 2]", "--model", "pool-chat-mini"], "not a virtual model"),
])
def test_explain_errors_exit_2_with_one_line(capsys: pytest.CaptureFixture[str], argv: list[str], message: str) -> None:
    code, out, err = run(capsys, "explain", "--config", CONFIG, *argv)
    assert (code, out) == (2, "")
    assert message in err and err.startswith("vibe-router: ") and err.count("\n") == 1


# --------------------------------------------------------------------------- score

def test_score_one_json_decision_per_line() -> None:
    lines = [
        "hi",
        json.dumps("Implement a distributed consensus algorithm"),
        "",
        json.dumps({"model": "auto-chat", "messages": [{"role": "user", "content": "cat test.py"}]}),
        json.dumps(load("claude_code_hi")),
        json.dumps(load("codex_complex")),
        json.dumps({"model": "auto-codex", "prompt": ["old", "Analyze the architecture"]}),
    ]
    code, decisions = score_lines(lines)
    assert code == 0
    for decision in decisions:
        assert set(decision) >= DECISION_KEYS
        assert all(set(reason) == {"feature", "weight"} for reason in decision["reasons"])
    assert [d["pool"] for d in decisions] == [
        "pool-chat-mini", "pool-chat-standard", "pool-chat-mini", "pool-claude-haiku", "pool-codex-standard",
        "pool-codex-standard",
    ]
    assert [d["endpoint"] for d in decisions] == ["chat", "chat", "chat", "messages", "responses", "completions"]


def test_score_model_option_applies_to_every_line() -> None:
    code, decisions = score_lines(["hi", json.dumps(load("codex_hi"))], "--model", "auto-claude")
    assert code == 0
    assert [d["pool"] for d in decisions] == ["pool-claude-haiku", "pool-claude-haiku"]


@pytest.mark.parametrize("bad", ['{"messages": [', '{"model": "auto-chat",}', '{"a": 1'])
def test_score_bad_line_gives_an_error_line_and_exit_1(bad: str) -> None:
    code, records = score_lines(["hi", bad, "Implement it"])
    assert code == 1
    assert [sorted(record) for record in records[::2]] == [sorted(records[0])] * 2  # the good lines still score
    assert list(records[1]) == ["error"] and records[1]["error"]


def test_score_deeply_nested_line_is_an_error_line() -> None:
    code, records = score_lines(["hi", '{"a": ' + "[" * 100_000 + "]" * 100_000 + "}", "hi"])
    assert code == 1
    assert [list(record)[0] for record in records] == ["virtual_model", "error", "virtual_model"]


def test_score_unknown_model_is_an_error_per_line() -> None:
    code, records = score_lines(["hi", "there"], "--model", "auto-nope")
    assert code == 1
    assert all("auto-nope" in record["error"] for record in records)


def test_score_via_main_reads_stdin(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hi\n{oops\n"))
    code, out, _ = run(capsys, "score", "--config", CONFIG)
    assert code == 1
    assert [sorted(json.loads(line)) for line in out.splitlines()][1] == ["error"]


def test_score_as_a_subprocess() -> None:
    lines = "hi\n" + json.dumps(load("codex_hi")) + "\nnot {json\n{broken\n"
    result = subprocess.run(
        [sys.executable, "-m", "vibe_router_tools.cli", "score", "--config", CONFIG],
        input=lines, capture_output=True, text=True, timeout=60, cwd="/",
    )
    records = [json.loads(line) for line in result.stdout.splitlines()]
    assert result.returncode == 1, result.stderr
    assert [record.get("pool", "error") for record in records] == [
        "pool-chat-mini", "pool-codex-mini", "pool-chat-mini", "error"]


# --------------------------------------------------------------------------- broken config

@pytest.mark.parametrize("command", [["explain", "hi"], ["score"]])
def test_broken_config_exits_2_naming_the_key(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                              broken_config: str, command: list[str]) -> None:
    monkeypatch.setattr(sys, "stdin", io.StringIO("hi\n"))
    code, out, err = run(capsys, command[0], "--config", broken_config, *command[1:])
    assert (code, out) == (2, "")
    assert err.count("\n") == 1
    assert err.startswith("vibe-router: config error at vibe_router.virtual_models.auto-chat.tiers[0].pool: ")
    assert "pool-chat-mni" in err


def test_missing_config_exits_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, _, err = run(capsys, "explain", "--config", str(tmp_path / "none.yaml"), "hi")
    assert code == 2 and err.startswith("vibe-router: config error at vibe_router: cannot read config file")


def test_config_from_environment(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch,
                                 broken_config: str) -> None:
    monkeypatch.setenv("VIBE_ROUTER_CONFIG", broken_config)
    assert run(capsys, "explain", "hi")[0] == 2
    assert run(capsys, "explain", "--config", CONFIG, "hi")[0] == 0  # --config wins


# --------------------------------------------------------------------------- detect_endpoint, parse_input

@pytest.mark.parametrize("name", sorted(path.stem for path in FIXTURES.glob("*.json")))
def test_detect_endpoint_on_fixtures(name: str) -> None:
    expected = {"claude": "messages", "codex": "responses", "chat": "chat"}[name.split("_")[0]]
    assert detect_endpoint(load(name)) == expected


@pytest.mark.parametrize(("body", "endpoint"), [
    ({"prompt": "once upon"}, "completions"),
    ({"prompt": ["a", "b"], "max_tokens": 5}, "completions"),
    ({"input": [{"role": "user", "content": "x"}]}, "responses"),
    ({"input": "x", "instructions": "y"}, "responses"),
    ({"anthropic_version": "2023-06-01", "messages": []}, "messages"),
    ({"messages": [{"role": "user", "content": [{"type": "tool_result", "tool_use_id": "t", "content": "x"}]}]},
     "messages"),
    ({"messages": [{"role": "assistant", "content": [{"type": "thinking", "thinking": "x"}]}]}, "messages"),
    ({"messages": [{"role": "user", "content": [{"type": "text", "text": "x"}]}]}, "chat"),
    ({"messages": [{"role": "tool", "content": "x"}]}, "chat"),
    ({"model": "auto-claude", "max_tokens": 10, "messages": [{"role": "user", "content": "x"}]}, "messages"),
    ({"max_tokens": 10, "messages": [{"role": "system", "content": "s"}, {"role": "user", "content": "x"}]}, "chat"),
    ({"max_tokens": 10, "seed": 1, "messages": [{"role": "user", "content": "x"}]}, "chat"),
    ({"max_completion_tokens": 10, "messages": [{"role": "user", "content": "x"}]}, "chat"),
    ({"stop_sequences": ["x"], "messages": [{"role": "user", "content": "x"}]}, "messages"),
    ({}, "chat"),
    ({"messages": None}, "chat"),
    ({"messages": "hello"}, "chat"),
])
def test_detect_endpoint(body: dict[str, Any], endpoint: str) -> None:
    assert detect_endpoint(body) == endpoint


@pytest.mark.parametrize("messages", [5, True, 2.5])
def test_detect_endpoint_tolerates_what_build_view_tolerates(messages: Any) -> None:
    assert detect_endpoint({"messages": messages}) == "chat"


def test_score_decides_for_a_non_list_messages_field() -> None:
    code, records = score_lines([json.dumps({"model": "auto-chat", "messages": 5})])
    assert (code, records[0].get("pool")) == (0, "pool-chat-mini")


@pytest.mark.parametrize(("raw", "body"), [
    ("hi", {"messages": [{"role": "user", "content": "hi"}]}),
    ('"quoted text"', {"messages": [{"role": "user", "content": "quoted text"}]}),
    ('  {"model": "auto-chat"}\n', {"model": "auto-chat"}),
    ("[1, 2]", {"messages": [{"role": "user", "content": "[1, 2]"}]}),
    ("42", {"messages": [{"role": "user", "content": "42"}]}),
])
def test_parse_input(raw: str, body: dict[str, Any]) -> None:
    assert parse_input(raw) == body


@pytest.mark.parametrize("raw", ['{"a": ', '"unterminated', "{'single': 'quotes'}"])
def test_parse_input_rejects_broken_json(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_input(raw)


def test_the_readmes_score_table_is_what_score_prints() -> None:
    """Every row of the README's table: `vibe-router score` on the shipped config gives that score and pool."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| `([^`]+)` \| ([0-9.−-]+) \| (pool-[\w-]+) \|$", readme, re.M)
    assert len(rows) == 4
    lines = "".join(json.dumps({"model": "auto-chat", "messages": [{"role": "user", "content": text}]}) + "\n"
                    for text, _, _ in rows)
    out = io.StringIO()
    shipped = str(ROOT / "config_final.yaml")
    assert cmd_score(build_parser().parse_args(["score", "--config", shipped]), io.StringIO(lines), out) == 0
    printed = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [(f"{d['score']:g}", d["pool"]) for d in printed] == [(score.replace("−", "-"), pool)
                                                                 for _, score, pool in rows]
