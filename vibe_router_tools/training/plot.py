"""PNG of quality vs share of strong calls, one curve per router (needs matplotlib)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

PLOT_PIN = "matplotlib==3.11.2"


def _panels(results: dict[str, Any]) -> list[tuple[str, dict[str, Any], dict[str, float]]]:
    datasets = results["settings"]["datasets"]
    panels = []
    for name, routers in results["in_domain"].items():
        panels.append((f"{name.upper()}: {results['settings']['folds']}-fold CV", routers, datasets[name]))
    for name, routers in results.get("leave_one_out", {}).items():
        panels.append((f"{name.upper()} held out: trained on the others", routers, datasets[name]))
    return panels


def plot(results: dict[str, Any], path: Path) -> None:
    """Write the curves of every evaluation setting, one panel each."""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise RuntimeError(f"plotting needs matplotlib: pip install {PLOT_PIN}") from None
    panels = _panels(results)
    columns = min(2, len(panels))
    rows = -(-len(panels) // columns)
    figure, axes = plt.subplots(rows, columns, figsize=(6.4 * columns, 4.8 * rows), squeeze=False)
    for axis in axes.flat[len(panels) :]:
        axis.set_visible(False)
    for axis, (title, routers, accuracy) in zip(axes.flat, panels, strict=False):
        for name, result in routers.items():
            curve = result["curve"]
            shares = [100 * k / (len(curve) - 1) for k in range(len(curve))]
            style = ":" if name in ("oracle", "random") else "-"
            axis.plot(shares, curve, style, label=f"{name} ({result['apgr']:.3f})", linewidth=1.4)
        weak, strong = accuracy["weak_accuracy"], accuracy["strong_accuracy"]
        axis.axhline(weak, color="grey", linestyle="--", linewidth=0.8)
        axis.axhline(strong, color="black", linestyle="--", linewidth=0.8)
        # The oracle runs off the top: the routers that exist are what the eye should compare.
        highest = max(max(r["curve"]) for name, r in routers.items() if name != "oracle")
        gap = strong - weak
        axis.set_ylim(weak - 0.05 * gap, max(strong, highest) + 0.15 * gap)
        axis.set_title(title)
        axis.set_xlabel("strong calls (%)")
        axis.set_ylabel("mean quality (share correct)")
        axis.grid(alpha=0.3)
        axis.legend(fontsize=7, title="router (APGR)", title_fontsize=7, loc="lower right")
    figure.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=110)
    plt.close(figure)
