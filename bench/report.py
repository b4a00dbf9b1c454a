"""What the benchmarks share: the command line, the machine, and writing their outputs."""

from __future__ import annotations

import argparse
import json
import os
import platform
import shlex
import sys
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from vibe_router_tools.doc_sections import MarkerError, markers, update_file

RESULTS_DIR = Path(__file__).resolve().parent / "results"


def command_line(module: str, argv: Sequence[str]) -> str:
    """The command that reproduces a run, as typed from the repository root."""
    return shlex.join([".venv-dev/bin/python", "-m", module, *argv])


def machine() -> dict[str, Any]:
    """Where the numbers were measured."""

    def version(package: str) -> str | None:
        try:
            return metadata.version(package)
        except metadata.PackageNotFoundError:
            return None

    return {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "litellm": version("litellm"),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def add_output_arguments(parser: argparse.ArgumentParser, name: str) -> None:
    parser.add_argument("--json", type=Path, default=RESULTS_DIR / f"{name}.json",
                        help=f"write the results here (default bench/results/{name}.json)")
    parser.add_argument("--markdown", type=Path, help="also write just the Markdown table to this file")
    parser.add_argument("--update-doc", "--update-readme", dest="update_readme", type=Path, metavar="FILE",
                        help=f"replace the text between <!-- bench-{name}:start/end --> in FILE")


def write_outputs(args: argparse.Namespace, name: str, results: dict[str, Any], markdown: str) -> None:
    """Print the table, then write the JSON, the Markdown file and the README section asked for."""
    print(markdown)
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(results, indent=2, sort_keys=False) + "\n", encoding="utf-8")
    print(f"\nresults: {args.json}", file=sys.stderr)
    if args.markdown:
        args.markdown.parent.mkdir(parents=True, exist_ok=True)
        args.markdown.write_text(markdown + "\n", encoding="utf-8")
    if args.update_readme:
        try:
            update_file(args.update_readme, f"bench-{name}", markdown)
        except (MarkerError, OSError) as error:
            start, end = markers(f"bench-{name}")
            print(f"--update-doc: {error} (add a line {start} and a line {end} where the table goes)",
                  file=sys.stderr)
            raise SystemExit(2) from None
        print(f"updated the bench-{name} section of {args.update_readme}", file=sys.stderr)


def fmt(value: float | None, digits: int = 2) -> str:
    """A number for a table; '–' when missing or NaN."""
    if value is None or value != value:
        return "–"
    return f"{value:,.{digits}f}"


