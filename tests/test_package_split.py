"""The runtime apart from the tools: the proxy loads `vibe_router/` alone (docker-compose.yml mounts
only that), and nothing in it imports `vibe_router_tools` (the CLI, training, evaluation, labelling,
reports, the echo upstream)."""

from __future__ import annotations

import ast
import os
import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

from tests.support.processes import REPO_ROOT
from tests.support.stack import CONFIG, pool_env

RUNTIME = REPO_ROOT / "vibe_router"
TOOLS = "vibe_router_tools"
# What LiteLLM imports (`callbacks: [vibe_router.router_instance]`), and the scorers a config can name.
ENTRY_POINTS = ("vibe_router", "vibe_router.plugin", "vibe_router.scoring")


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO_ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(path: Path) -> set[str]:
    """Every module an import statement in `path` names, anywhere in the file, relative ones resolved."""
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = ".".join(package[: len(package) - node.level + 1] + [node.module or ""]) if node.level \
                else node.module or ""
            base = base.strip(".")
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names)
    return names


def runtime_graph() -> dict[str, set[str]]:
    return {module_name(path): imported_names(path) for path in sorted(RUNTIME.rglob("*.py"))}


def test_no_runtime_module_imports_the_tools() -> None:
    offenders = {module: sorted(name for name in names if name.split(".")[0] == TOOLS)
                 for module, names in runtime_graph().items()}
    assert not {module: names for module, names in offenders.items() if names}


def test_the_runtime_holds_only_what_the_proxy_loads() -> None:
    """Every module in vibe_router/ is reachable from the plugin or the scorers: a tool put there fails this."""
    graph = runtime_graph()
    assert len(graph) > 20, sorted(graph)
    reached: set[str] = set()
    waiting = list(ENTRY_POINTS)
    while waiting:
        module = waiting.pop()
        if module in graph and module not in reached:
            reached.add(module)
            waiting.extend(name for name in graph[module] if name in graph)
    assert sorted(set(graph) - reached) == []


PROXY_LOAD = """
import sys
import vibe_router
from vibe_router.config import load_config
from vibe_router.policy import Policy
from vibe_router.scoring.base import build_scorer
from vibe_router.request import build_view

instance = vibe_router.router_instance  # what LiteLLM's callbacks entry does
policy = Policy(load_config(sys.argv[1]))
bodies = {"chat": {"model": "auto-chat", "messages": [{"role": "user", "content": "Prove that sqrt(2) is irrational"}]},
          "responses": {"model": "auto-codex", "input": "hi"},
          "messages": {"model": "auto-claude", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 9}}
for endpoint, body in bodies.items():
    assert policy.decide(endpoint, body) is not None, endpoint
for kind in ("learned", "gain", "heuristic"):
    build_scorer(kind, {}).score(build_view("chat", bodies["chat"]))
print(vibe_router.__file__)
print(" ".join(sorted(name for name in sys.modules if name.split(".")[0] in ("vibe_router", "vibe_router_tools"))))
"""


def test_the_mounted_runtime_alone_loads_the_plugin_and_scores(tmp_path: Path) -> None:
    """As docker-compose.yml mounts it: a copy of vibe_router/ alone on PYTHONPATH, in a fresh interpreter."""
    mount = tmp_path / "opt"
    shutil.copytree(RUNTIME, mount / "vibe_router", ignore=shutil.ignore_patterns("__pycache__"))
    env = {name: value for name, value in os.environ.items() if name not in ("REDIS_HOST", "REDIS_URL")}
    env.update(pool_env(SimpleNamespace(url="http://127.0.0.1:9")), VIBE_ROUTER_CONFIG=str(CONFIG),
               PYTHONPATH=str(mount))
    done = subprocess.run([sys.executable, "-c", PROXY_LOAD, str(CONFIG)], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, done.stderr[-2000:]
    where, loaded = done.stdout.strip().splitlines()[-2:]
    assert Path(where) == mount / "vibe_router" / "__init__.py"
    modules = loaded.split()
    assert "vibe_router.plugin" in modules and "vibe_router.scoring.learned" in modules, modules
    assert [name for name in modules if name.split(".")[0] == TOOLS] == []
