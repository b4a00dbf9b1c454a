"""The gain scorer: the learned scorer's linear model, trained to predict the strong tier's gain.

Same inference as `kind: learned` (standard library only, a gzip JSON model in the package);
the shipped model (`vibe-router train --recipe gain`) is fitted on all five shared benchmarks
to predict how much quality the strong tier adds over the weak one, from the turn's structure
(length, words, numbers, maths symbols, ...). Score about (1 + expected gain) / 2: 0.5 = no
gain expected. The top contributing features are its reasons.
"""

from __future__ import annotations

from pathlib import Path
from typing import ClassVar

from vibe_router.scoring.base import register
from vibe_router.scoring.learned import LearnedScorer

DEFAULT_GAIN_MODEL = Path(__file__).resolve().parent.parent / "models" / "gain-v1.json.gz"


@register
class GainScorer(LearnedScorer):
    """Expected quality gain of the strong tier, as a score in [0, 1], with its top features."""

    kind = "gain"
    default_model: ClassVar[Path] = DEFAULT_GAIN_MODEL
