"""The demo's config: a LiteLLM config plus capture and a judge pool, so the learning loop runs on it.

    python -m vibe_router_tools.demo_config CONFIG OUT CAPTURE_DIR

`./deploy.sh --local --demo` writes $VIBE_RUN_DIR/demo.yaml this way from config_final.yaml (or
from $VIBE_ROUTER_CONFIG) and runs the proxy on it: capture on, every new human turn kept in
CAPTURE_DIR, and `pool-judge`, a model on the chat upstream for `vibe-router label --judge`
(the demo's echo upstream judges by its hidden rule: vibe_router_tools.echo_quality). A config that
already has a capture section or a pool-judge keeps its own.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

import yaml

JUDGE = "pool-judge"
JUDGE_POOL: dict[str, Any] = {
    "model_name": JUDGE,
    "litellm_params": {"model": "openai/gpt-5-judge", "api_base": "os.environ/CHAT_API_BASE",
                       "api_key": "os.environ/CHAT_API_KEY"},
    "model_info": {"input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06},
}


def add_capture_and_judge(document: dict[str, Any], directory: Path) -> None:
    """Capture into `directory` and a judge pool, unless the config has its own."""
    document.setdefault("vibe_router", {}).setdefault("capture", {"enabled": True, "directory": str(directory)})
    models = document.setdefault("model_list", [])
    if not any(entry.get("model_name") == JUDGE for entry in models):
        models.append(JUDGE_POOL)


def write_demo_config(source: Path, out: Path, directory: Path) -> None:
    document = yaml.safe_load(source.read_text(encoding="utf-8"))
    if not isinstance(document, dict):
        raise ValueError(f"{source} is not a YAML mapping")
    add_capture_and_judge(document, directory.resolve())
    header = f"# Written by ./deploy.sh --local --demo from {source.resolve()}: capture and {JUDGE} added.\n"
    out.write_text(header + yaml.safe_dump(document, allow_unicode=True, sort_keys=False), encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m vibe_router_tools.demo_config",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("config", type=Path)
    parser.add_argument("out", type=Path)
    parser.add_argument("capture_dir", type=Path)
    args = parser.parse_args(argv)
    try:
        write_demo_config(args.config, args.out, args.capture_dir)
    except (OSError, ValueError, yaml.YAMLError) as error:
        print(f"demo_config: {error}".replace("\n", " "), file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
