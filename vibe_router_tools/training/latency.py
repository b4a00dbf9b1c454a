"""Decision latency of scorers on the same inputs (p50 / p99 in microseconds).

Each scorer is timed on a sample of benchmark prompts (one call each) and on one
4,000-character turn (repeated); the learned and seed scorers get the `TurnView`,
LiteLLM's heuristic the raw text, as each would in a proxy.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Sequence
from functools import partial

from vibe_router.request import TurnView, prompt_view
from vibe_router.scoring.gain import GainScorer
from vibe_router.scoring.heuristic import HeuristicScorer
from vibe_router.scoring.learned import LearnedScorer, LinearModel
from vibe_router_tools.percentile import percentile

LONG_TURN_CHARS = 4000
# wall: what a request waits; cpu: the thread's own CPU time, which other processes
# competing for the cores (a busy CI machine) do not inflate.
CLOCKS = {"wall": time.perf_counter_ns, "cpu": time.thread_time_ns}


def time_calls(call: Callable[[], object], repeat: int, clock: Callable[[], int]) -> list[float]:
    """Microseconds of each of `repeat` calls (after a few warm-up calls)."""
    for _ in range(min(repeat, 20)):
        call()
    out = []
    for _ in range(repeat):
        start = clock()
        call()
        out.append((clock() - start) / 1000)
    return out


def long_turn(prompts: Sequence[str], chars: int = LONG_TURN_CHARS) -> str:
    """A `chars`-long text made of real prompts (the size the latency target names)."""
    text = ""
    for prompt in prompts:
        if len(text) >= chars:
            break
        text += prompt + "\n\n"
    return (text * (1 + chars // max(len(text), 1)))[:chars]


def view(text: str) -> TurnView:
    return prompt_view(text)


Call = Callable[[str, TurnView], object]


def scorer_calls(
    model: LinearModel, litellm: Callable[[str], float] | None, gain_model: LinearModel | None = None
) -> dict[str, Call]:
    """name -> call(text, view); each scorer sees what it needs (the view, or raw text)."""
    learned = LearnedScorer(model)
    heuristic = HeuristicScorer()
    calls: dict[str, Call] = {
        "learned": lambda text, turn: learned.score(turn),
        "seed heuristic": lambda text, turn: heuristic.score(turn),
    }
    if gain_model is not None:
        gain = GainScorer(gain_model)
        calls["gain"] = lambda text, turn: gain.score(turn)
    if litellm is not None:
        calls["LiteLLM complexity heuristic"] = lambda text, turn: litellm(text)
    return calls


def measure(
    prompts: Sequence[str],
    model: LinearModel,
    litellm: Callable[[str], float] | None,
    repeat: int = 2000,
    sample: int = 2000,
    gain_model: LinearModel | None = None,
) -> dict[str, dict[str, float]]:
    """p50/p99 per scorer over a sample of prompts, and over one 4,000-character turn."""
    step = max(1, len(prompts) // sample)
    chosen = list(prompts[::step])[:sample]
    views = [view(text) for text in chosen]
    big_text = long_turn(prompts)
    big_view = view(big_text)
    results: dict[str, dict[str, float]] = {}
    gc.collect()
    gc.freeze()  # the eval's own data is not the scorer's garbage to collect
    try:
        for name, call in scorer_calls(model, litellm, gain_model).items():
            results[name] = {}
            for clock_name, clock in CLOCKS.items():
                per_prompt = []
                for text, turn in zip(chosen, views, strict=True):
                    per_prompt += time_calls(partial(call, text, turn), 1, clock)
                big = time_calls(partial(call, big_text, big_view), repeat, clock)
                results[name] |= {
                    f"{clock_name}_prompts_p50_us": percentile(per_prompt, 0.5),
                    f"{clock_name}_prompts_p99_us": percentile(per_prompt, 0.99),
                    f"{clock_name}_turn4000_p50_us": percentile(big, 0.5),
                    f"{clock_name}_turn4000_p99_us": percentile(big, 0.99),
                }
    finally:
        gc.unfreeze()
    return results
