"""The README's learning loop on the demo, run as written: capture, label, eval, train, calibrate, restart.

Only the demo's ports, its run folder and the dev venv's path are put in (the block says
`.venv-dev/bin/`, which is where this test's interpreter lives under ./test.sh). The demo's
echo upstream answers prompts about zebras wrongly from its cheap models; after the loop,
fresh turns about zebras go to the standard pool and the others stay cheap.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import yaml

from tests.support.processes import REPO_ROOT, free_port
from vibe_router.config import load_config
from vibe_router_tools import demo_config, demo_traffic

DOC = REPO_ROOT / "README.md"


def loop_block() -> str:
    blocks = [b for b in re.findall(r"```bash\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S) if "demo-traffic" in b]
    assert len(blocks) == 1, "one bash block of the README runs the loop"
    return blocks[0]


def summaries(output: str) -> list[dict]:
    """The JSON lines `vibe-router demo-traffic` printed, in order."""
    return [json.loads(line) for line in output.splitlines() if line.startswith('{"sent":')]


def test_the_loop_in_the_readme_runs_on_the_demo(tmp_path: Path) -> None:
    run_dir = tmp_path / "run"
    port = str(free_port())
    env = {**os.environ, "PORT": port, "ECHO_PORT": str(free_port()), "VIBE_RUN_DIR": str(run_dir)}
    env.pop("LITELLM_MASTER_KEY", None)
    script = (loop_block().replace("127.0.0.1:4000", f"127.0.0.1:{port}").replace(".run/", f"{run_dir}/")
              .replace(".venv-dev/bin/", f"{Path(sys.executable).parent}/"))
    try:
        done = subprocess.run(["bash", "-euo", "pipefail", "-c", script], cwd=REPO_ROOT, env=env,
                              capture_output=True, text=True, timeout=900)
    finally:
        subprocess.run(["./deploy.sh", "--down"], cwd=REPO_ROOT, env=env, capture_output=True, timeout=120)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]

    before, after = summaries(done.stdout)
    assert before["failed"] == 0 and before["sent"] == 300
    assert set(before["pools"]["zebra"]) == set(before["pools"]["other"]), \
        f"the shipped scorer does not tell the hidden class apart: {before}"

    results = json.loads((run_dir / "eval.json").read_text())["in_domain"]["labelled"]
    assert results["learned"]["apgr"] >= 0.9 and results["learned"]["apgr"] >= 0.95 * results["oracle"]["apgr"], results
    assert abs(results["seed heuristic"]["apgr"] - 0.5) < 0.15, results
    assert (run_dir / "quality.png").stat().st_size > 0
    assert "# 10.0% of 300 prompts score >=" in done.stdout, "recovering the whole gap takes exactly the hidden class"
    restarted = yaml.safe_load((run_dir / "demo.yaml").read_text())["vibe_router"]
    assert restarted["virtual_models"]["auto-chat"]["scorer"] == "mine" and restarted["capture"]["enabled"]
    assert f"plugin loaded: config={run_dir / 'demo.yaml'}" in (run_dir / "litellm.log").read_text()

    assert after == {"sent": 50, "failed": 0,
                     "pools": {"zebra": {"pool-chat-standard": 5}, "other": {"pool-chat-mini": 45}}}, after


def test_the_demo_config_adds_capture_and_a_judge_and_keeps_a_configs_own(tmp_path: Path) -> None:
    out = tmp_path / "demo.yaml"
    assert demo_config.main([str(REPO_ROOT / "config_final.yaml"), str(out), str(tmp_path / "capture")]) == 0
    document = yaml.safe_load(out.read_text())
    assert document["vibe_router"]["capture"] == {"enabled": True, "directory": str(tmp_path / "capture")}
    assert [m["model_name"] for m in document["model_list"]].count("pool-judge") == 1
    load_config(out)  # the plugin accepts it

    document["vibe_router"]["capture"] = {"enabled": False}
    (tmp_path / "own.yaml").write_text(yaml.safe_dump(document))
    assert demo_config.main([str(tmp_path / "own.yaml"), str(out), str(tmp_path / "elsewhere")]) == 0
    again = yaml.safe_load(out.read_text())
    assert again["vibe_router"]["capture"] == {"enabled": False}
    assert [m["model_name"] for m in again["model_list"]].count("pool-judge") == 1
    assert demo_config.main([str(tmp_path / "missing.yaml"), str(out), str(tmp_path)]) == 2


def test_demo_traffic_has_one_hidden_turn_in_ten_and_fresh_turns_are_new() -> None:
    turns = demo_traffic.demo_turns(200)
    assert sum(turn.hidden for turn in turns) == 20
    assert all(("zebra" in turn.text) == turn.hidden for turn in turns)
    assert len({turn.text for turn in turns}) > 100, "varied"
    fresh = demo_traffic.demo_turns(50, seed=1, fresh=True)
    assert not {turn.text for turn in fresh} & {turn.text for turn in turns}
    assert demo_traffic.demo_turns(200) == turns, "the same seed sends the same turns"
