"""Put generated Markdown (a benchmark's or an evaluation's table) between its markers in a doc.

    <!-- bench-overhead:start -->
    ...replaced...
    <!-- bench-overhead:end -->
"""

from __future__ import annotations

from pathlib import Path


class MarkerError(ValueError):
    """The file lacks a section's markers, or has them out of order or twice."""


def markers(name: str) -> tuple[str, str]:
    """The start and end markers of section `name` ("bench-overhead", "eval-table")."""
    return f"<!-- {name}:start -->", f"<!-- {name}:end -->"


def replace_between(text: str, name: str, content: str) -> str:
    """`text` with everything between `name`'s markers replaced by `content` (markers kept)."""
    start, end = markers(name)
    if text.count(start) != 1 or text.count(end) != 1:
        raise MarkerError(f"expected exactly one {start} and one {end} (the section's markers)")
    head, _, rest = text.partition(start)
    _, _, tail = rest.partition(end)
    if end in head:
        raise MarkerError(f"{end} comes before {start}")
    return f"{head}{start}\n{content.strip()}\n{end}{tail}"


def update_file(path: str | Path, name: str, content: str) -> None:
    """Rewrite `path` in place with `content` between `name`'s markers."""
    path = Path(path)
    text = path.read_text(encoding="utf-8")
    try:
        updated = replace_between(text, name, content)
    except MarkerError as error:
        raise MarkerError(f"{path}: {error}") from None
    if updated != text:
        path.write_text(updated, encoding="utf-8")
