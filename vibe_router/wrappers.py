"""Harness wrappers in user text (Claude Code's `<system-reminder>`, Codex's AGENTS.md and
`<environment_context>` blocks): context the client adds, not the user's words."""

from __future__ import annotations

import re

DEFAULT_WRAPPER_TAGS = (
    "system-reminder",
    "environment_context",
    "user_instructions",
    "INSTRUCTIONS",
    "command-message",
    "command-name",
    "local-command-stdout",
    "local-command-stderr",
    "local-command-caveat",
    "user_shell_command",
    "turn_aborted",
)
AGENTS_MD_HEADER = re.compile(r"^# AGENTS\.md instructions for [^\n]*\n?", re.MULTILINE)


class WrapperStripper:
    """Removes harness-injected blocks from user text."""

    def __init__(self, tags: tuple[str, ...] = DEFAULT_WRAPPER_TAGS) -> None:
        names = "|".join(re.escape(tag) for tag in tags) or "(?!)"  # no tags: nothing matches
        self._opening = re.compile(rf"<({names})(?:\s[^>]*)?>")
        self._closing = {tag: re.compile(rf"</{re.escape(tag)}\s*>") for tag in tags}
        # A wrapper that opens a line and never closes was cut by the size bound.
        self._cut_block = re.compile(rf"^[ \t]*<({names})(?:\s[^>]*)?>", re.MULTILINE)

    def strip(self, text: str) -> str:
        if "<" in text:
            text = self._remove_blocks(text)
            cut = self._cut_block.search(text)
            if cut:
                text = text[: cut.start()]
        if "# AGENTS.md" in text:
            text = AGENTS_MD_HEADER.sub("", text)
        return text.strip()

    def _remove_blocks(self, text: str) -> str:
        """`text` without its `<tag ...>...</tag>` blocks, each ending at its first closing tag.

        The same as `re.sub(r"<(tag)(?:\\s[^>]*)?>.*?</\\1\\s*>", "", text, flags=re.DOTALL)`,
        without the regex engine trying the closing tag at every character in between.
        """
        kept: list[str] = []
        start = search_from = 0
        while (opening := self._opening.search(text, search_from)) is not None:
            closing = self._closing[opening.group(1)].search(text, opening.end())
            if closing is None:
                search_from = opening.start() + 1
                continue
            kept.append(text[start:opening.start()])
            start = search_from = closing.end()
        if not kept:
            return text
        kept.append(text[start:])
        return "".join(kept)


DEFAULT_STRIPPER = WrapperStripper()
