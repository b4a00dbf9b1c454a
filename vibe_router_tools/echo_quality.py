"""The echo upstream's quality mode: a hidden rule decides which answers are right, and a judge.

With ECHO_WEAK_FAILS_ON set to a regular expression, a cheap model (its name holds "mini" or
"haiku") answers a prompt that matches it wrongly ("WRONG answer from <model>"), and every
other answer is the usual echo, which is right. A model whose name holds "judge" compares two
answers the way `vibe-router label` asks, by that rule. The router never sees the rule: a test
can check that labelling and training find it. `./deploy.sh --local --demo` runs its echo
upstream with ECHO_WEAK_FAILS_ON=zebra unless told otherwise.
"""

from __future__ import annotations

import json
import os
import re

RULE_ENV = "ECHO_WEAK_FAILS_ON"
WEAK_MARKERS = ("mini", "haiku")
JUDGE_MARKER = "judge"
WRONG = "WRONG"
ANSWER = re.compile(r"\[ANSWER (A|B)\]\n(.*?)\n\[END \1\]", re.S)


def rule() -> re.Pattern[str] | None:
    pattern = os.environ.get(RULE_ENV)
    return re.compile(pattern, re.I) if pattern else None


def graded_text(model: str, prompt: str, hidden: re.Pattern[str] | None) -> str | None:
    """A judge's verdict, or a cheap model's wrong answer on the hidden class; None: the usual echo."""
    if JUDGE_MARKER in model:
        return judge_verdict(prompt)
    if hidden is None or not any(marker in model for marker in WEAK_MARKERS) or not hidden.search(prompt):
        return None
    return f"{WRONG} answer from {model}"


def judge_verdict(prompt: str) -> str:
    """{"winner": "A" | "B" | "tie", "reason": ...}: the right answer wins, two alike tie."""
    answers = {label: text for label, text in ANSWER.findall(prompt)}
    right = {label for label, text in answers.items() if not text.startswith(WRONG)}
    winner = "tie" if len(right) != 1 else right.pop()
    reason = "both equally right or wrong" if winner == "tie" else f"answer {winner} is right, the other is not"
    return json.dumps({"winner": winner, "reason": reason})
