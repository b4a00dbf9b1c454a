"""The `train`, `eval`, `calibrate` and `label` subcommands of `vibe-router` (see `add_commands`)."""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path
from typing import Any

from vibe_router.scoring.base import SCORER_KINDS, ScorerSettingsError
from vibe_router.scoring.gain import DEFAULT_GAIN_MODEL
from vibe_router.scoring.learned import DEFAULT_MODEL, ModelFileError, load_model, save_model
from vibe_router_tools.training.benchmarks import BENCHMARKS, available, load_benchmark
from vibe_router_tools.training.gain import GainOptions, fit_gain
from vibe_router_tools.training.label_command import add_label
from vibe_router_tools.training.report import add_report
from vibe_router_tools.training.routellm import DataError, Example, load_source, resolve_data_dir
from vibe_router_tools.training.train import TrainingUnavailable, TrainOptions, fit

RECIPES = ("learned", "gain")
DEFAULT_RESULTS = Path("build") / "eval" / "results.json"
DEFAULT_PLOT = Path("build") / "eval" / "quality.png"


def add_commands(subparsers: Any) -> None:
    """Register `train`, `eval`, `calibrate`, `label` and `report` on an argparse subparsers object."""
    _add_train(subparsers.add_parser("train", help="train the learned or gain scorer's model"))
    _add_eval(subparsers.add_parser("eval", help="APGR leaving one benchmark out, in-domain, and latency"))
    _add_calibrate(subparsers.add_parser("calibrate", help="threshold sending a given share to the strong tier"))
    add_label(subparsers.add_parser("label", help="label captured turns by replaying them to both pools and judging"))
    add_report(subparsers.add_parser("report", help="an HTML page of captured routing: shares, cost, quality"))


def _data_option(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--data", metavar="DIR", help="RouteLLM data dir (default: ../shared/data/routellm from the repo root or cwd)"
    )


def _train_options(parser: argparse.ArgumentParser) -> None:
    defaults = TrainOptions()
    parser.add_argument("--c", type=float, default=defaults.c, help="inverse L2 strength (default %(default)s)")
    parser.add_argument(
        "--subject-smoothing",
        type=float,
        default=defaults.subject_smoothing,
        help="pull targets toward their subject's mean, 0..1 (default %(default)s)",
    )
    parser.add_argument("--min-df", type=int, default=defaults.min_df, help="keep features seen this often")
    parser.add_argument("--balance", action="store_true", help="give each source (mmlu, gsm8k, file) equal weight")
    parser.add_argument("--joint", action="store_true",
                        help="fit structure and words together (better in-domain, worse on unfamiliar text)")
    parser.add_argument("--structure-c", type=float, default=defaults.structure_c,
                        help="inverse L2 strength of the structure-first stage (default %(default)s)")
    parser.add_argument("--common-share", type=float, default=defaults.common_share,
                        help="words in more than this share of examples are penalised more (default %(default)s)")


def _options(args: argparse.Namespace) -> TrainOptions:
    return TrainOptions(
        c=args.c, subject_smoothing=args.subject_smoothing, min_df=args.min_df, balance_sources=args.balance,
        structure_first=not args.joint, structure_c=args.structure_c, common_share=args.common_share,
    )


def _add_train(parser: argparse.ArgumentParser) -> None:
    _data_option(parser)
    parser.add_argument(
        "--source",
        action="append",
        metavar="NAME|FILE",
        help="mmlu, gsm8k, lcb, math, crux, all (mmlu and gsm8k), or a JSONL file of {prompt, label} or "
        "{prompt, weak_score, strong_score}; repeat to combine (default: all, or every benchmark for --recipe gain)",
    )
    parser.add_argument("--recipe", choices=RECIPES, default="learned",
                        help="learned: logistic on words and structure; gain: the expected gain from structure, "
                        "fixed effects per source (default %(default)s)")
    parser.add_argument("--output", type=Path, help="model file (default: the recipe's shipped one)")
    parser.add_argument("--alpha", type=float, default=GainOptions().alpha,
                        help="--recipe gain: ridge penalty per 1,000 examples (default %(default)s)")
    _train_options(parser)
    parser.set_defaults(func=run_train)


def run_train(args: argparse.Namespace) -> int:
    started = time.monotonic()
    try:
        data_dir = resolve_data_dir(args.data)
        gain = args.recipe == "gain"
        sources = args.source or (available(data_dir) if gain else ["all"])
        examples = [e for source in sources for e in _load(source, data_dir)]
        model = fit_gain(examples, GainOptions(alpha=args.alpha)) if gain else fit(examples, _options(args))
    except (DataError, TrainingUnavailable, ValueError) as error:
        print(f"vibe-router train: {error}", file=sys.stderr)
        return 2
    output = args.output or (DEFAULT_GAIN_MODEL if gain else DEFAULT_MODEL)
    model.meta["name"] = output.name.split(".")[0]
    save_model(model, output)
    size = output.stat().st_size
    print(
        f"trained on {len(examples)} examples ({model.meta['sources']}): {len(model.weights)} weights "
        f"-> {output} ({size / 1024:.1f} KiB) in {time.monotonic() - started:.1f}s"
    )
    return 0


def _load(source: str, data_dir: Path) -> list[Example]:
    """A benchmark by name (mmlu, gsm8k, lcb, math, crux), `all`, or a JSONL file."""
    return load_benchmark(data_dir, source) if source in BENCHMARKS else load_source(source, data_dir)


def _add_eval(parser: argparse.ArgumentParser) -> None:
    _data_option(parser)
    parser.add_argument("--folds", type=int, default=5, help="cross-validation folds (default %(default)s)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the fold split (default %(default)s)")
    parser.add_argument("--json", type=Path, default=DEFAULT_RESULTS, help="results file (default %(default)s)")
    parser.add_argument("--plot", type=Path, default=DEFAULT_PLOT, help="PNG of the curves (default %(default)s)")
    parser.add_argument("--no-plot", action="store_true", help="skip the PNG")
    parser.add_argument("--no-latency", action="store_true", help="skip the latency measurement")
    parser.add_argument("--from-json", type=Path, metavar="FILE", help="do not run: render saved results")
    parser.add_argument("--update-doc", "--update-readme", dest="update_readme", type=Path, metavar="FILE",
                        help="put the table between its markers in FILE (docs/learned-scorer.md)")
    parser.add_argument("--without-litellm", action="store_true", help="leave out LiteLLM's heuristic")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.add_argument("--source", type=Path, metavar="FILE",
                        help="your labelled rows ({prompt, weak_score, strong_score}, e.g. from `vibe-router label`) "
                             "instead of the benchmarks: k-fold held-out APGR and CPT there")
    _train_options(parser)
    parser.set_defaults(func=run_eval_command)


def run_eval_command(args: argparse.Namespace) -> int:
    from vibe_router_tools.training import evaluate

    if args.source:
        return _run_source_eval(args)
    try:
        if args.from_json:
            results = json.loads(args.from_json.read_text(encoding="utf-8"))
        else:
            results = evaluate.run_eval(
                resolve_data_dir(args.data),
                args.folds,
                args.seed,
                _options(args),
                show=not args.quiet,
                with_latency=not args.no_latency,
                with_litellm=not args.without_litellm,
            )
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
            print(f"results: {args.json}", file=sys.stderr)
        if not args.no_plot:
            from vibe_router_tools.training.plot import plot

            plot(results, args.plot)
            print(f"plot: {args.plot}", file=sys.stderr)
    except (DataError, TrainingUnavailable, OSError, RuntimeError, ValueError) as error:
        print(f"vibe-router eval: {error}", file=sys.stderr)
        return 2
    table = evaluate.render_table(results)
    print(table)
    if args.update_readme:
        try:
            evaluate.update_readme(args.update_readme, table)
        except (OSError, ValueError) as error:
            print(f"vibe-router eval: {error}", file=sys.stderr)
            return 2
        print(f"updated the table in {args.update_readme}", file=sys.stderr)
    return 0


def _run_source_eval(args: argparse.Namespace) -> int:
    from vibe_router_tools.training.evaluate_source import render_source_table, run_source_eval

    try:
        results = run_source_eval(args.source, args.folds, args.seed, _options(args), show=not args.quiet,
                                  with_litellm=not args.without_litellm)
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")
        if not args.no_plot:
            from vibe_router_tools.training.plot import plot

            plot(results, args.plot)
    except (DataError, TrainingUnavailable, OSError, RuntimeError, ValueError) as error:
        print(f"vibe-router eval: {error}", file=sys.stderr)
        return 2
    print(render_source_table(results))
    print(f"results: {args.json}" + ("" if args.no_plot else f", plot: {args.plot}"), file=sys.stderr)
    return 0


def _add_calibrate(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("prompts", type=Path, help="JSONL: strings, {prompt: ...} or request bodies")
    parser.add_argument("--strong-share", type=float, default=0.3, help="share for the strong tier (default 0.3)")
    parser.add_argument("--kind", choices=RECIPES, default="learned", help="scorer kind (default %(default)s)")
    parser.add_argument("--model", type=Path, help="model file (default: the kind's shipped one)")
    parser.add_argument("--scorer-name", help="scorer name in the printed config (default: the kind)")
    parser.add_argument("--recover", type=float, metavar="P",
                        help="instead: the smallest strong share that recovers P (0..1] of the quality gap on "
                             "labelled rows ({prompt, weak_score, strong_score}, e.g. from `vibe-router label`)")
    parser.set_defaults(func=run_calibrate)


def run_calibrate(args: argparse.Namespace) -> int:
    from vibe_router_tools.training.calibrate import calibrate, calibrate_to_quality, config_lines, load_views
    from vibe_router_tools.training.routellm import load_jsonl

    try:
        kind = SCORER_KINDS[args.kind]
        scorer = kind(load_model(args.model or kind.default_model))
        if args.recover is not None:
            result = calibrate_to_quality(scorer, load_jsonl(args.prompts), args.recover)
        else:
            result = calibrate(scorer, load_views(args.prompts), args.strong_share)
    except (DataError, ModelFileError, ScorerSettingsError, ValueError) as error:
        print(f"vibe-router calibrate: {error}", file=sys.stderr)
        return 2
    model = str(args.model) if args.model else None
    print(config_lines(result, args.scorer_name or args.kind, model, args.kind))
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="vibe-router")
    add_commands(parser.add_subparsers(dest="command", required=True))
    args = parser.parse_args(argv)
    return args.func(args)


if __name__ == "__main__":
    sys.exit(main())
