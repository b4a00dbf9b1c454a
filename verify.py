#!/usr/bin/env python3
"""verify.py: a quick health check of a vibe-router deployment. It makes no LLM calls.

`.venv/bin/python verify.py --help` lists the options. The checks are in vibe_router_tools/verify/;
this file only makes sure they run with the project's packages.
"""

from __future__ import annotations

import importlib.util
import os
import sys
from pathlib import Path

if not all(importlib.util.find_spec(name) for name in ("yaml", "httpx", "litellm")):
    # Plain `python3 verify.py` outside the venv: run again with the project's venv.
    _venv = Path(__file__).resolve().parent / ".venv"
    if (_venv / "bin" / "python").exists() and Path(sys.prefix).resolve() != _venv.resolve():
        os.execv(str(_venv / "bin" / "python"), [str(_venv / "bin" / "python"), *sys.argv])
    sys.exit("verify.py needs the project's packages: run ./deploy.sh --local once, or use .venv/bin/python")

from vibe_router_tools.verify.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main())
