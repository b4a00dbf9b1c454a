"""The checks behind verify.py (the repository's deployment health check, run as `.venv/bin/python verify.py`).

`settings`: where the settings come from; `context`: what the checks share; `config_checks`: the
offline ones; `live_checks`: Redis, the proxy and CLIProxyAPI; `cli`: the command line (`main`).
"""

from __future__ import annotations

from vibe_router_tools.verify.cli import main, run
from vibe_router_tools.verify.config_checks import env_refs
from vibe_router_tools.verify.context import Context
from vibe_router_tools.verify.live_checks import check_cliproxyapi, check_proxy, check_redis
from vibe_router_tools.verify.settings import INTERPOLATION, MissingVariable, Settings, interpolate

__all__ = ["INTERPOLATION", "Context", "MissingVariable", "Settings", "check_cliproxyapi", "check_proxy",
           "check_redis", "env_refs", "interpolate", "main", "run"]
