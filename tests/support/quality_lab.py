"""A routing lab with a hidden rule: the echo upstream's cheap models are wrong about zebras.

Shared by the learning-loop tests and `bench.report_screenshot`: the config change that turns
capture on and adds a judge pool, and a set of prompts of which one in ten is about zebras.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

from vibe_router_tools.demo_config import add_capture_and_judge

HIDDEN_RULE = r"zebra"  # ECHO_WEAK_FAILS_ON for the echo upstream
TEMPLATES = ["Tell me about {}", "Explain {} briefly", "Write a short poem on {}", "What is interesting about {}",
             "Give three facts on {}", "Summarize {} for a child", "How would you teach {}", "List myths about {}"]
HIDDEN_TOPICS = ["zebras"]
PLAIN_TOPICS = ["rain", "bread", "chess", "rivers", "gardens", "trains", "music", "coffee", "mountains"]


def lab_prompts() -> list[str]:
    return [template.format(topic) for template in TEMPLATES for topic in HIDDEN_TOPICS + PLAIN_TOPICS]


def with_capture_and_judge(directory: Path) -> Callable[[dict[str, Any]], None]:
    """config_final.yaml with capture into `directory` and a `pool-judge` on the chat upstream, as the demo has."""
    def change(document: dict[str, Any]) -> None:
        add_capture_and_judge(document, directory)
    return change
