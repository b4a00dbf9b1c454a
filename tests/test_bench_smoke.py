"""Smoke tests of the benchmarks: tiny counts, the shape of their JSON, never their timings.

`bench.overhead` starts a real upstream and two real LiteLLM proxies (~30 s on 2 busy cores);
`bench.decisions` times every contender a few times. Then the README marker replacement.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from unittest.mock import patch

import pytest
import yaml

from bench.intervals import verdict
from bench.stack import write_configs
from bench.versions import abba, baseline_tree
from tests.support.processes import REPO_ROOT
from vibe_router_tools.doc_sections import MarkerError, markers, replace_between, update_file

RUN_TIMEOUT = 240  # a bound for a stuck run; the tests take well under a minute
# Where config_final.yaml routes the benchmarks' agent bodies (a simple turn of each format).
ROUTED_POOLS = {"chat": "pool-chat-mini", "messages": "pool-claude-haiku", "responses": "pool-codex-mini"}


def run_bench(module: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT), "LITELLM_LOCAL_MODEL_COST_MAP": "True",
           "LITELLM_TELEMETRY_DISABLED": "true", "NO_PROXY": "127.0.0.1,localhost"}
    result = subprocess.run([sys.executable, "-m", module, *args], cwd=REPO_ROOT, env=env, capture_output=True,
                            text=True, timeout=RUN_TIMEOUT)
    assert result.returncode == 0, f"{module} exited {result.returncode}:\n{result.stdout}\n{result.stderr[-3000:]}"
    return result


def readme_with_markers(path: Path, *names: str) -> Path:
    sections = "".join(f"## {name}\n{markers(f'bench-{name}')[0]}\nold {name}\n{markers(f'bench-{name}')[1]}\n"
                       for name in names)
    path.write_text(f"# Title\n\nintro\n\n{sections}\ntrailer\n", encoding="utf-8")
    return path


def test_overhead_smoke(tmp_path: Path) -> None:
    out, table = tmp_path / "overhead.json", tmp_path / "overhead.md"
    readme = readme_with_markers(tmp_path / "README.md", "overhead", "decisions")
    # --no-control: two proxies, not three, to keep the test short (the A/A proxy is the same config).
    result = run_bench("bench.overhead", "--requests", "12", "--batches", "2", "--latency-batch", "4",
                       "--warmup", "2", "--concurrency", "4", "--no-control", "--json", str(out),
                       "--markdown", str(table), "--update-readme", str(readme))
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["benchmark"] == "overhead" and data["command"].startswith(".venv-dev/bin/python -m bench.overhead")
    assert data["variants"] == ["with", "without"]
    assert data["planned_per_cell"] == {"latency": 12, "throughput": 12}
    assert data["complete"] is True
    assert data["failed_requests"] == 0
    assert data["requests"] == 3 * 2 * 2 * 12  # kinds x proxies x phases x requests
    assert set(data["traffic"]) == {"chat", "messages", "responses"}
    for kind, traffic in data["traffic"].items():
        assert data["body_bytes"][kind] > 70_000
        for phase in ("latency", "throughput"):
            with_plugin, without = traffic["with"][phase], traffic["without"][phase]
            assert with_plugin["requests"] == without["requests"] == 12
            assert with_plugin["failed"] == without["failed"] == 0
            assert with_plugin["rps"] > 0 and without["rps"] > 0
            assert 0 < with_plugin["p50_ms"] <= with_plugin["p99_ms"]
            # The plugin routed every request to a pool; the proxy without it was asked for that pool.
            assert with_plugin["routed_by_plugin"] == 12 and without["routed_by_plugin"] == 0
            assert with_plugin["model_groups"] == without["model_groups"] == {ROUTED_POOLS[kind]: 12}
            assert with_plugin["overhead_header_p50_ms"] > 0
        comparison = traffic["comparison"]
        for key in ("throughput_ratio", "added_p50_ms", "cpu_throughput_ratio", "added_overhead_header_p50_ms"):
            assert isinstance(comparison[key], float), key
        assert comparison["throughput_ratio"] > 0
        per_round = comparison["cpu_throughput_ratio_per_round"]
        assert per_round["rounds"] == 2 and per_round["min"] <= per_round["median"] <= per_round["max"]
        assert all(r["cpu_ms"] > 0 for r in traffic["with"]["throughput"]["rounds"])
        for variant in ("with", "without"):
            full_gc = comparison["full_gc"][variant]
            assert full_gc["per_1000_requests"] >= 0
            assert 0 < full_gc["cpu_ms_per_request_outside"] <= comparison["proxy_cpu_ms_per_request"][variant]
        assert isinstance(comparison["cpu_throughput_ratio_outside_full_gc"], float)
        assert isinstance(comparison["throughput_ratio_outside_full_gc"], float)
        for variant in ("with", "without"):
            throughput = traffic[variant]["throughput"]
            assert throughput["rps_outside_full_gc"] >= throughput["rps"] > 0
    for moment in ("after_warmup", "end"):
        assert data["rss_mb"][moment]["with"] > 50 and data["rss_mb"][moment]["without"] > 50
    assert data["hook_decision_ms"]["count"] == 3 * 2 * 12
    assert set(data["targets"]) >= {"throughput_ratio", "added_p50_ms", "rss_added_mb"}
    assert all(isinstance(target["met"], bool) for target in data["targets"].values())
    markdown = table.read_text()
    assert "| traffic |" in markdown and data["command"] in markdown
    assert "| traffic |" in result.stdout
    text = readme.read_text()
    assert markdown.strip() in text and "old overhead" not in text and "old decisions" in text


def tiny_chat_overhead(tmp_path: Path, *options: str) -> tuple[dict[str, Any], str]:
    """bench.overhead on chat traffic alone, 4 requests per proxy and phase, no A/A control: (results, table)."""
    out, table = tmp_path / "overhead.json", tmp_path / "overhead.md"
    run_bench("bench.overhead", "--kinds", "chat", "--requests", "4", "--batches", "2", "--latency-batch", "2",
              "--warmup", "1", "--concurrency", "2", "--no-control", *options, "--json", str(out),
              "--markdown", str(table))
    return json.loads(out.read_text()), table.read_text()


def test_overhead_restarts_pool_the_rounds_of_every_start(tmp_path: Path) -> None:
    data, markdown = tiny_chat_overhead(tmp_path, "--restarts", "2")
    assert data["complete"] is True and data["failed_requests"] == 0
    assert data["planned_per_cell"] == {"latency": 8, "throughput": 8}
    assert data["requests"] == 2 * 2 * 4 * 2  # proxies x phases x requests x starts
    assert data["traffic"]["chat"]["comparison"]["cpu_throughput_ratio_per_round"]["rounds"] == 4
    assert data["hook_decision_ms"]["count"] == 2 * 4 * 2
    assert "all started 2 times, rounds pooled" in markdown


def test_overhead_floor_plugin_rewrites_the_model_without_deciding(tmp_path: Path) -> None:
    data, markdown = tiny_chat_overhead(tmp_path, "--plugin", "floor")
    assert data["settings"]["plugin"] == "floor" and data["failed_requests"] == 0 and data["complete"] is True
    for phase in ("latency", "throughput"):
        with_plugin, without = data["traffic"]["chat"]["with"][phase], data["traffic"]["chat"]["without"][phase]
        assert with_plugin["routed_by_plugin"] == 4 and without["routed_by_plugin"] == 0
        assert with_plugin["model_groups"] == without["model_groups"] == {ROUTED_POOLS["chat"]: 4}
    assert data["hook_decision_ms"]["count"] == 0  # vibe-router was not loaded: no decision lines
    assert "The proxy with the floor plugin" in markdown and "own decision inside the hook" not in markdown


def test_overhead_capture_compares_capture_on_and_off_in_one_run(tmp_path: Path) -> None:
    data, markdown = tiny_chat_overhead(tmp_path, "--capture")
    assert data["variants"] == ["with", "without", "capture_off", "capture"]
    assert data["failed_requests"] == 0 and data["complete"] is True
    for variant in ("capture_off", "capture"):
        for phase in ("latency", "throughput"):
            assert data["traffic"]["chat"][variant][phase]["routed_by_plugin"] == 4, (variant, phase)
    # Every request the proxy with capture on answered (warm-up included) is a record in its files.
    assert data["capture"]["records"] == {"written": 2 * 4 + 1, "requests": 2 * 4 + 1}
    chat = data["capture"]["traffic"]["chat"]
    assert chat["on"]["cpu_throughput_ratio"] > 0 and chat["off"]["cpu_throughput_ratio"] > 0
    assert "| chat | capture on / off |" in markdown and "| chat | capture off / no capture section |" in markdown
    assert "9 for 9 requests" in markdown
    assert data["capture"]["all_traffic"]["on"]["cpu_ratio"] > 0 and "CPU ratio over all traffic" in markdown


def test_only_the_capture_proxy_captures(tmp_path: Path) -> None:
    configs = write_configs(tmp_path, capture=True)
    sections = {variant: yaml.safe_load(path.read_text(encoding="utf-8")).get("vibe_router", {}).get("capture")
                for variant, path in configs.items()}
    assert sections["with"] is None and sections["without"] is None
    assert sections["capture_off"]["enabled"] is False and sections["capture"]["enabled"] is True
    assert sections["capture"]["sample"] == 1.0 and sections["capture"]["directory"]


def test_the_floor_plugin_joins_litellms_callbacks_as_vibe_router_does(tmp_path: Path) -> None:
    # A single string would replace LiteLLM's own callbacks, so the floor proxy would skip work the others do.
    configs = write_configs(tmp_path, plugin="floor")
    with_floor = yaml.safe_load(configs["with"].read_text(encoding="utf-8"))["litellm_settings"]["callbacks"]
    shipped = yaml.safe_load((REPO_ROOT / "config_final.yaml").read_text(encoding="utf-8"))["litellm_settings"]
    assert isinstance(shipped["callbacks"], list)
    assert with_floor == ["bench.floor_plugin.instance"]


def test_decisions_smoke(tmp_path: Path) -> None:
    out, table = tmp_path / "decisions.json", tmp_path / "decisions.md"
    run_bench("bench.decisions", "--repeat", "3", "--warmup", "1", "--clock", "cpu", "--json", str(out),
              "--markdown", str(table))
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["benchmark"] == "decisions"
    overall = data["overall"]
    assert {"vibe_decision", "vibe_heuristic", "litellm_classify", "litellm_extract_classify"} <= set(overall)
    assert "vibe_learned" in overall or any("learned" in note for note in data["notes"])
    assert "vibe_gain" in overall or any("gain" in note for note in data["notes"])
    assert data["settings"]["clock"] == "cpu"
    for stats in overall.values():
        assert stats["calls"] > 0 and 0 < stats["p50_us"] <= stats["p99_us"]
    assert overall["litellm_classify"]["p50_vs_litellm"] == 1.0
    bodies = {row["body"]: row for row in data["per_body"]}
    expected = {"claude_code_hi", "codex_hi", "chat_turn_4000", "chat_80kb", "messages_80kb", "responses_80kb"}
    assert expected <= set(bodies)
    assert bodies["chat_turn_4000"]["turn_chars"] >= 3990
    assert all("vibe_decision" in row for row in data["per_body"])
    assert "| decision |" in table.read_text()
    assert "p99 on the 4,000-character chat turn" in table.read_text()


def test_readme_markers_replace_only_their_section(tmp_path: Path) -> None:
    readme = readme_with_markers(tmp_path / "README.md", "overhead", "decisions")
    update_file(readme, "bench-decisions", "| a | b |\n|---|---|\n| 1 | 2 |\n")
    text = readme.read_text()
    start, end = markers("bench-decisions")
    assert f"{start}\n| a | b |\n|---|---|\n| 1 | 2 |\n{end}" in text
    assert "old overhead" in text and "old decisions" not in text
    assert text.startswith("# Title\n\nintro\n") and text.endswith("\ntrailer\n")
    update_file(readme, "bench-decisions", "new")  # the second run replaces the first
    assert "| a | b |" not in readme.read_text() and f"{start}\nnew\n{end}" in readme.read_text()


def test_readme_markers_missing_or_out_of_order() -> None:
    start, end = markers("bench-overhead")
    with pytest.raises(MarkerError):
        replace_between("no markers here", "bench-overhead", "x")
    with pytest.raises(MarkerError):
        replace_between(f"{end}\n{start}\n", "bench-overhead", "x")
    with pytest.raises(MarkerError):
        replace_between(f"{start}{end}{start}{end}", "bench-overhead", "x")
    assert replace_between(f"a{start}old{end}b", "bench-overhead", "new") == f"a{start}\nnew\n{end}b"


def test_the_throughput_rule_is_applied_to_the_a_a_control_too() -> None:
    from bench.overhead_report import targets

    def comparison(rps: float, cpu: float, median: float, rps_outside: float, outside: float) -> dict[str, Any]:
        return {"throughput_ratio": rps, "cpu_throughput_ratio": cpu, "added_p50_ms": 0.2,
                "cpu_throughput_ratio_per_round": {"median": median},
                "throughput_ratio_outside_full_gc": rps_outside, "cpu_throughput_ratio_outside_full_gc": outside}

    traffic = {"chat": {"comparison": comparison(0.99, 0.98, 0.975, 0.98, 0.98),
                        "control_comparison": comparison(0.966, 1.01, 1.0, 0.99, 0.995)},
               "messages": {"comparison": comparison(0.975, 0.969, 0.98, 0.965, 0.985),
                            "control_comparison": comparison(1.02, 0.99, 1.0, 1.0, 0.96)}}
    found = targets(traffic, {"end": 2.0})
    measures = ("throughput_ratio", "cpu_throughput_ratio", "cpu_throughput_ratio_median_of_rounds",
                "throughput_ratio_outside_full_gc", "cpu_throughput_ratio_outside_full_gc")
    assert [found[k]["met"] for k in measures] == [True, False, True, False, True]
    assert [found["control"][k]["met"] for k in measures] == [False, True, True, True, False]
    assert found["control"]["throughput_ratio"]["values"] == {"chat": 0.966, "messages": 1.02}
    # Judged on the two measures outside full collections, each over every traffic kind.
    assert found["judged"] == {"measures": ["throughput_ratio_outside_full_gc",
                                            "cpu_throughput_ratio_outside_full_gc"], "met": False}
    assert found["control"]["judged"]["met"] is False
    traffic["messages"]["comparison"]["throughput_ratio_outside_full_gc"] = 0.97
    traffic["messages"]["control_comparison"]["cpu_throughput_ratio_outside_full_gc"] = 0.999
    assert targets(traffic, {"end": 2.0})["judged"]["met"] is True
    assert targets(traffic, {"end": 2.0})["control"]["judged"]["met"] is True
    del traffic["messages"]["control_comparison"]
    assert "control" not in targets(traffic, {"end": 2.0})


def test_full_collections_are_logged_by_the_proxies_watcher_and_read_per_proxy(tmp_path: Path) -> None:
    """The sitecustomize every benchmarked proxy loads logs full collections only, per process."""
    from bench.stack import PROXY_WATCH, Stack

    script = (
        "import gc, os, sys\n"
        "log = os.path.join(os.environ.get('VIBE_BENCH_GC_DIR') or '.', f'{os.getpid()}.log')\n"
        "lines = lambda: len(open(log).read().splitlines()) if os.path.exists(log) else 0\n"
        "gc.disable(); before = lines(); gc.collect(0); gc.collect(1); young = lines(); gc.collect(); gc.collect()\n"
        "print(os.getpid(), young - before, lines() - young)"
    )
    env = {**os.environ, "PYTHONPATH": str(PROXY_WATCH), "VIBE_BENCH_GC_DIR": str(tmp_path)}
    pid, young, full = map(int, subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                                               text=True, check=True, timeout=60).stdout.split())
    assert (young, full) == (0, 2)
    logged = [[float(value) for value in line.split()] for line in (tmp_path / f"{pid}.log").read_text().splitlines()]
    assert all(len(line) == 2 and min(line) >= 0 for line in logged)  # CPU seconds, wall seconds
    proxy = SimpleNamespace(process=SimpleNamespace(pid=pid))
    stack = Stack(upstream=None, proxies={"with": proxy}, gc_logs=tmp_path)
    with patch("bench.stack.descendants", return_value=[pid]):
        count, cpu, wall = stack.full_collections("with")
    assert count == len(logged) and cpu == sum(line[0] for line in logged) and wall == sum(line[1] for line in logged)
    assert Stack(upstream=None, proxies={"with": proxy}).full_collections("with") == (0, 0.0, 0.0)
    unset = {**env, "VIBE_BENCH_GC_DIR": ""}
    other = int(subprocess.run([sys.executable, "-c", script], env=unset, capture_output=True, text=True,
                               check=True, timeout=60, cwd=tmp_path).stdout.split()[0])
    assert not (tmp_path / f"{other}.log").exists()


def test_hook_cost_smoke(tmp_path: Path) -> None:
    out, table = tmp_path / "hook_cost.json", tmp_path / "hook_cost.md"
    readme = readme_with_markers(tmp_path / "README.md", "hook_cost")
    run_bench("bench.hook_cost", "--requests", "12", "--batches", "2", "--warmup", "2", "--concurrency", "4",
              "--json", str(out), "--markdown", str(table), "--update-readme", str(readme))
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["benchmark"] == "hook_cost" and data["failed_requests"] == 0
    assert data["requests"] == 3 * 2 * 12  # kinds x proxies x requests
    for kind, traffic in data["traffic"].items():
        assert traffic["requests"] == {"with": 12, "without": 12}
        # Every measured request passed LiteLLM's pre-call dispatcher, in both proxies.
        assert traffic["pre_call_dispatches"] == {"with": 12, "without": 12}, kind
        groups = traffic["groups_us_per_request"]
        assert groups["pre-call hooks"]["vibe_router_own"] > 0
        assert groups["pre-call hooks"]["with"] > groups["pre-call hooks"]["vibe_router_own"]
        assert groups["batched writes"]["without"] == 0  # no plugin, none of its code
        # Every dispatcher the clocks wrap ran in both proxies (a renamed one would read 0 here).
        for name in ("pre-call hooks", "response-header hooks", "success logging", "other hooks"):
            assert groups[name]["with"] > 0 and groups[name]["without"] > 0, (kind, name)
        for name in ("response-header hooks", "success logging"):
            assert groups[name]["vibe_router_own"] > 0, (kind, name)
        assert traffic["proxy_cpu_us_per_request"]["with"] > 0
        assert isinstance(traffic["added_directly_us"], float)
    assert "| chat | 81 KB |" in table.read_text()
    assert "vibe-router's own code" in readme.read_text()


def test_hook_cost_capture_times_capture_where_it_runs(tmp_path: Path) -> None:
    out, table = tmp_path / "hook_cost_capture.json", tmp_path / "hook_cost_capture.md"
    readme = readme_with_markers(tmp_path / "README.md", "hook_cost_capture")
    run_bench("bench.hook_cost", "--capture", "--stream", "--kinds", "chat", "--requests", "6", "--batches", "3",
              "--warmup", "1", "--concurrency", "2", "--json", str(out), "--markdown", str(table),
              "--update-readme", str(readme))
    data: dict[str, Any] = json.loads(out.read_text())
    capture = data["capture"]
    assert data["benchmark"] == "hook_cost_capture" and capture["failed_requests"] == 0
    assert capture["requests"] == 5 * 6  # proxies x requests
    # Every request the capturing proxies answered (warm-up included) became a record, in its files or stream.
    assert capture["records"] == {"capture": {"written": 7, "requests": 7},
                                  "capture_stream": {"written": 7, "requests": 7}}
    for name in ("on", "stream"):
        found = capture["traffic"]["chat"][name]
        assert found["requests"] == [6, 6] and found["pairs_of_batches"] == 3
        hooks, writer = found["us_per_request"]["hooks"], found["us_per_request"]["writer"]
        assert min(hooks) > 0 and writer[0] > 0 and writer[1] == 0, (name, found)  # only capture on writes
        assert abs(found["direct_us"] - (hooks[0] - hooks[1] + writer[0])) < 0.2  # the table's figures, rounded
        assert found["us_per_request"]["proxy_cpu"][1] > 0
    off = capture["traffic"]["chat"]["off"]["us_per_request"]["writer"]
    assert off == [0, 0]  # capture off writes nothing, as the proxy with no capture section
    assert set(capture["target"]) == {"on", "stream"}
    assert "| chat | capture on / off (files) |" in table.read_text()
    assert "files 7 for 7 requests; Redis stream 7 for 7 requests" in readme.read_text()


def test_decisions_against_a_baseline_tree_in_alternating_children(tmp_path: Path) -> None:
    """This checkout as its own baseline: both trees' children run, every ratio has an interval and a verdict."""
    out, table = tmp_path / "decisions_baseline.json", tmp_path / "decisions_baseline.md"
    readme = readme_with_markers(tmp_path / "README.md", "decisions_baseline", "decisions")
    run_bench("bench.decisions", "--baseline-tree", str(REPO_ROOT), "--rounds", "5", "--repeat", "2", "--warmup",
              "1", "--clock", "cpu", "--json", str(out), "--markdown", str(table), "--update-readme", str(readme))
    data: dict[str, Any] = json.loads(out.read_text())
    assert data["benchmark"] == "decisions_baseline" and data["rounds"] == 5
    assert data["trees"]["current"] == data["trees"]["baseline"]
    assert "vibe_decision" in data["contenders"]
    for found in data["per_kind"]["vibe_decision"].values():
        assert found["ratio"] > 0 and found["ci95"][0] <= found["ratio"] <= found["ci95"][1]
        assert found["verdict"].startswith(("no regression", "regression"))
    assert set(data["per_kind"]["vibe_decision"]) == {"chat", "messages", "responses", "all bodies"}
    assert {row["body"] for row in data["per_body"]} >= {"chat_turn_4000", "messages_80kb"}
    markdown = table.read_text()
    assert data["per_kind"]["vibe_decision"]["all bodies"]["verdict"] in markdown
    assert markdown.strip() in readme.read_text() and "old decisions\n" in readme.read_text()


def test_a_decisions_child_refuses_a_router_from_another_tree(tmp_path: Path) -> None:
    # PYTHONPATH holds this checkout only, so vibe_router is not the one --tree names: the child says so.
    other = tmp_path / "other"
    (other / "vibe_router").mkdir(parents=True)
    env = {**os.environ, "PYTHONPATH": str(REPO_ROOT)}
    done = subprocess.run([sys.executable, "-P", "-m", "bench.decisions_compare", "--tree", str(other),
                           "--body-bytes", "1000"], cwd=REPO_ROOT, env=env, capture_output=True, text=True,
                          timeout=RUN_TIMEOUT)
    assert done.returncode != 0 and f"not from {other}" in done.stderr


def test_overhead_against_a_baseline_tree(tmp_path: Path) -> None:
    data, markdown = tiny_chat_overhead(tmp_path, "--baseline-tree", str(REPO_ROOT))
    assert data["variants"] == ["with", "without", "baseline"]
    assert data["failed_requests"] == 0 and data["complete"] is True
    for phase in ("latency", "throughput"):
        assert data["traffic"]["chat"]["baseline"][phase]["routed_by_plugin"] == 4
        assert data["traffic"]["chat"]["baseline"][phase]["model_groups"] == {ROUTED_POOLS["chat"]: 4}
    compared = data["baseline"]["traffic"]["chat"]["current / baseline"]
    assert compared["cpu"]["ratio"] > 0 and compared["rps"]["ratio"] > 0
    assert compared["cpu"]["pairs"] == 2 + 2 and compared["rps"]["pairs"] == 2  # both phases; throughput only
    verdicts = data["baseline"]["all_traffic"]["current / baseline"]
    assert verdicts["cpu"]["verdict"].startswith("no interval")  # 4 pairs of batches: too few to resample
    assert "| chat | current / baseline |" in markdown and verdicts["cpu"]["verdict"] in markdown


def test_the_baseline_proxy_reads_its_own_trees_config(tmp_path: Path) -> None:
    tree = tmp_path / "tree"
    (tree / "vibe_router").mkdir(parents=True)
    (tree / "vibe_router" / "__init__.py").write_text("")
    document = yaml.safe_load((REPO_ROOT / "config_final.yaml").read_text(encoding="utf-8"))
    document["vibe_router"]["marker_of_the_tree"] = 1
    (tree / "config_final.yaml").write_text(yaml.safe_dump(document), encoding="utf-8")
    assert baseline_tree(str(tree)) == tree.resolve()
    configs = write_configs(tmp_path, baseline=tree)
    read = {variant: yaml.safe_load(path.read_text(encoding="utf-8"))["vibe_router"]
            for variant, path in configs.items()}
    assert read["baseline"]["marker_of_the_tree"] == 1 and "marker_of_the_tree" not in read["with"]
    with pytest.raises(argparse.ArgumentTypeError, match="not a vibe-router checkout"):
        baseline_tree(str(tmp_path / "nothing"))


def test_rounds_alternate_and_the_verdict_follows_the_interval() -> None:
    assert [tree for _, tree in abba(3)] == ["baseline", "current", "current", "baseline", "baseline", "current"]
    assert verdict(1.02, [0.99, 1.05]) == "no regression: the interval includes 1"
    assert verdict(1.1, [1.04, 1.16]).startswith("no regression: the current tree is faster")
    assert verdict(0.9, [0.85, 0.95]) == "regression: the current tree is 11.1 % slower (5.3 … 17.6 %)"
    assert verdict(0.9, None).startswith("no interval")
