"""bench.contextvars_crash: CPython's contextvars crash (gh-148891), as docs/troubleshooting.md describes it."""

from __future__ import annotations

import sys

import pytest

from bench.contextvars_crash import main


def test_the_check_finds_the_crash_on_3_11_and_not_after(capsys: pytest.CaptureFixture[str]) -> None:
    """This Python (the one the proxies of the tests run on) is checked in a child process."""
    crashes = sys.version_info < (3, 12)
    assert main(["--python", sys.executable]) == (1 if crashes else 0)
    out = capsys.readouterr().out
    assert f"(Python {sys.version.split()[0]}): " in out
    assert ("crashed (SIGSEGV)" in out) == crashes
    assert ("survived" in out) != crashes
    assert ("run it on CPython 3.12 or later" in out) == crashes


def test_an_interpreter_that_cannot_run_is_reported(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["--python", "/nonexistent/python3"]) == 0
    assert "not run:" in capsys.readouterr().out
