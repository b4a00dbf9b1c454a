"""verify.py: the config lint that deploy.sh runs before `docker compose up`, and the health check after.

Broken configs are variants of config_final.yaml written to tmp_path. Most runs are in-process
(`vibe_router_tools.verify.main`, what verify.py runs); the command line itself runs in a subprocess
for the good config, the seed's mistake and the online check against the real proxy of the `proxy`
session fixture.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

import pytest

from tests.support.configs import config_variant
from tests.support.processes import REPO_ROOT, EchoUpstream, Proxy, free_port
from tests.support.stack import CONFIG, pool_env
from vibe_router_tools import verify

VERIFY = REPO_ROOT / "verify.py"
SCRUBBED = ("REDIS_URL", "REDIS_HOST", "REDIS_PORT", "REDIS_PASSWORD", "CLIPROXY_AUTO_CHAT_KEY", "LITELLM_PORT",
            "CLIPROXY_PORT", "REDIS_HOST_PORT", "VIBE_ROUTER_CONFIG")
OFFLINE_ENV = {**pool_env(cast(EchoUpstream, SimpleNamespace(url="http://127.0.0.1:9"))),
               "LITELLM_MASTER_KEY": "sk-verify-test"}


def clean_env(**extra: str) -> dict[str, str]:
    """The test process's environment without deployment settings, plus `extra`."""
    env = {k: v for k, v in os.environ.items() if k not in SCRUBBED and k not in OFFLINE_ENV}
    return {**env, **extra}


@pytest.fixture()
def offline_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pool settings in the environment, no Redis / CLIProxyAPI settings (for in-process runs)."""
    for name in SCRUBBED:
        monkeypatch.delenv(name, raising=False)
    for name, value in OFFLINE_ENV.items():
        monkeypatch.setenv(name, value)


def run_main(capsys: pytest.CaptureFixture[str], config: Path, *args: str) -> tuple[int, dict[str, Any]]:
    """verify.main in-process with --json; no env file, no compose defaults unless `args` name them."""
    defaults = [x for flag in ("--env-file", "--compose") if flag not in args for x in (flag, "")]
    argv = ["--json", "--config", str(config), *defaults, *args]
    code = verify.main(argv)
    return code, json.loads(capsys.readouterr().out)


def statuses(report: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["status"] for check in report["checks"]}


def detail(report: dict[str, Any], name: str) -> str:
    return next(check["detail"] for check in report["checks"] if check["name"] == name)


def run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, str(VERIFY), *args], capture_output=True, text=True,
                          env=env, cwd=REPO_ROOT, timeout=120, check=False)


# --- offline: the config ---------------------------------------------------------------------


def test_repo_config_passes_offline_from_the_command_line(tmp_path: Path) -> None:
    result = run_cli("--offline", "--json", "--env-file", "", "--compose", "", "--config", str(CONFIG),
                     env=clean_env(**OFFLINE_ENV))
    assert result.returncode == 0, result.stdout + result.stderr
    report = json.loads(result.stdout)
    assert report["ok"] is True and report["offline"] is True
    assert statuses(report) == {
        "routing policy": "ok", "callbacks": "ok", "plugin": "ok", "fallbacks": "ok",
        "environment": "ok", "master key": "ok", "auto-chat key": "skip",
    }
    assert "defines async_pre_call_hook" in detail(report, "plugin")


def test_seed_general_settings_callbacks_mistake_fails(tmp_path: Path) -> None:
    def seed_mistake(document: dict[str, Any]) -> None:
        document["general_settings"]["callbacks"] = document["litellm_settings"].pop("callbacks")

    config = config_variant(tmp_path, seed_mistake)
    result = run_cli("--offline", "--env-file", "", "--compose", "", "--config", str(config),
                     env=clean_env(**OFFLINE_ENV))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    failed = [line for line in lines if line.startswith("✗")]
    assert len(failed) == 1 and failed[0].startswith("✗ callbacks: general_settings.callbacks is silently ignored")
    assert "litellm_settings.callbacks does not include vibe_router.router_instance" in failed[0]
    assert "✓ routing policy:" in result.stdout and lines[-1] == "6 passed or skipped, 1 failed"


def test_general_settings_callbacks_fail_even_next_to_the_right_ones(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline_env: None
) -> None:
    config = config_variant(tmp_path, lambda d: d["general_settings"].update(callbacks=["vibe_router.router_instance"]))
    code, report = run_main(capsys, config, "--offline")
    assert code == 1 and statuses(report)["callbacks"] == "fail"
    assert "silently ignored" in detail(report, "callbacks") and "does not include" not in detail(report, "callbacks")


def test_callbacks_as_a_single_string_fail(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                           offline_env: None) -> None:
    config = config_variant(tmp_path, lambda d: d["litellm_settings"].update(callbacks="vibe_router.router_instance"))
    code, report = run_main(capsys, config, "--offline")
    assert code == 1 and statuses(report)["callbacks"] == "fail"
    assert "drops its per-model budget limiter" in detail(report, "callbacks")
    assert "write [vibe_router.router_instance]" in detail(report, "callbacks")


def test_missing_callback_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str], offline_env: None) -> None:
    config = config_variant(tmp_path, lambda d: d["litellm_settings"].pop("callbacks"))
    code, report = run_main(capsys, config, "--offline")
    assert code == 1 and report["ok"] is False
    assert statuses(report)["callbacks"] == "fail"
    assert "the plugin would never load" in detail(report, "callbacks")


def test_unknown_pool_fails_with_its_key_and_the_plugin_is_not_built(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline_env: None
) -> None:
    def unknown_pool(document: dict[str, Any]) -> None:
        document["vibe_router"]["virtual_models"]["auto-chat"]["tiers"][0]["pool"] = "pool-chat-maxi"

    code, report = run_main(capsys, config_variant(tmp_path, unknown_pool), "--offline")
    assert code == 1
    assert statuses(report)["routing policy"] == "fail" and statuses(report)["plugin"] == "skip"
    assert detail(report, "routing policy").startswith("at vibe_router.virtual_models.auto-chat.tiers[0].pool:")
    assert "pool-chat-maxi" in detail(report, "routing policy")


def test_fallback_to_a_missing_group_fails(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline_env: None
) -> None:
    config = config_variant(tmp_path, lambda d: d["router_settings"]["fallbacks"].append({"pool-chat-mini": ["gpt-9"]}))
    code, report = run_main(capsys, config, "--offline")
    assert code == 1 and statuses(report)["fallbacks"] == "fail"
    assert detail(report, "fallbacks") == "router_settings.fallbacks[3]: 'gpt-9' is not a model group"


def test_unset_environ_value_fails_and_the_env_file_or_compose_can_set_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VIBE_VERIFY_UNSET", raising=False)
    monkeypatch.delenv("CODEX_API_KEY")
    config = config_variant(tmp_path, lambda d: d["model_list"][0]["litellm_params"].update(
        api_key="os.environ/VIBE_VERIFY_UNSET"))
    code, report = run_main(capsys, config, "--offline")
    assert code == 1 and detail(report, "environment") == "os.environ/ values unset: CODEX_API_KEY, VIBE_VERIFY_UNSET"

    env_file = tmp_path / "deploy.env"
    env_file.write_text("# settings\nVIBE_VERIFY_UNSET='from-file'\nexport CODEX_API_KEY=sk-codex\nEMPTY=\n")
    code, report = run_main(capsys, config, "--offline", "--env-file", str(env_file))
    assert code == 0 and detail(report, "environment").endswith(" os.environ/ values are set (deploy.env, environment)")

    compose = tmp_path / "compose.yml"  # a compose default counts: it is what the container gets
    compose.write_text("services:\n  litellm:\n    environment:\n      VIBE_VERIFY_UNSET: ${X:-d}\n"
                       "      CODEX_API_KEY: ${CODEX_KEY:?set it}\n")
    code, report = run_main(capsys, config, "--offline", "--compose", str(compose))
    assert code == 1 and detail(report, "environment") == "os.environ/ values unset: CODEX_API_KEY"


def test_public_master_key_fails(capsys: pytest.CaptureFixture[str], offline_env: None,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_MASTER_KEY", "sk-1234")
    code, report = run_main(capsys, CONFIG, "--offline")
    assert code == 1 and statuses(report)["master key"] == "fail"
    assert "publicly known" in detail(report, "master key")


def test_an_inherited_hook_fails(capsys: pytest.CaptureFixture[str], offline_env: None,
                                 monkeypatch: pytest.MonkeyPatch) -> None:
    import vibe_router.plugin as plugin

    real = plugin.build_router_instance

    class Subclass(plugin.VibeRouter):  # async_pre_call_hook only inherited: LiteLLM would skip it
        pass

    monkeypatch.setattr(plugin, "build_router_instance", lambda: Subclass(real().policy.config))
    code, report = run_main(capsys, CONFIG, "--offline")
    assert code == 1 and statuses(report)["plugin"] == "fail"
    assert "inherits async_pre_call_hook" in detail(report, "plugin")


def test_auto_chat_key_must_match_cliproxyapi_api_keys(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offline_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    cliproxy = tmp_path / "cliproxyapi.config.yaml"
    cliproxy.write_text('api-keys:\n  - "sk-auto-chat-0123"\n  - "sk-other"\n')
    args = ("--offline", "--cliproxy-config", str(cliproxy), "--compose", str(REPO_ROOT / "docker-compose.yml"))
    monkeypatch.setenv("CLIPROXY_AUTO_CHAT_KEY", "sk-auto-chat-0123")
    monkeypatch.setenv("CHAT_API_BASE", "http://cliproxyapi:8317/v1")
    monkeypatch.delenv("CHAT_API_KEY")
    code, report = run_main(capsys, CONFIG, *args)  # compose hands the auto-chat key to LiteLLM as CHAT_API_KEY
    assert code == 0 and statuses(report)["auto-chat key"] == "ok", report
    monkeypatch.setenv("CHAT_API_KEY", "sk-different")
    code, report = run_main(capsys, CONFIG, *args)
    assert code == 1 and "CHAT_API_KEY differs" in detail(report, "auto-chat key")
    monkeypatch.setenv("CLIPROXY_AUTO_CHAT_KEY", "sk-not-listed")
    code, report = run_main(capsys, CONFIG, *args)
    assert code == 1 and "is not in api-keys of cliproxyapi.config.yaml" in detail(report, "auto-chat key")


def test_the_example_auto_chat_key_passes_the_match_but_is_refused(
    capsys: pytest.CaptureFixture[str], offline_env: None
) -> None:
    code, report = run_main(capsys, CONFIG, "--offline", "--env-file", str(REPO_ROOT / ".env.example"))
    assert code == 1 and statuses(report)["auto-chat key"] == "fail"
    assert "public example key" in detail(report, "auto-chat key")


def test_json_output_shape(capsys: pytest.CaptureFixture[str], offline_env: None) -> None:
    code, report = run_main(capsys, CONFIG, "--offline")
    assert code == 0
    assert set(report) == {"ok", "offline", "config", "checks"} and report["config"] == str(CONFIG)
    for check in report["checks"]:
        assert set(check) == {"name", "status", "detail", "hint"} and check["status"] in ("ok", "fail", "skip")


def test_unreadable_config_fails(tmp_path: Path, capsys: pytest.CaptureFixture[str], offline_env: None) -> None:
    (tmp_path / "bad.yaml").write_text("model_list: [\n")
    code, report = run_main(capsys, tmp_path / "bad.yaml", "--offline")
    assert code == 1 and [c["name"] for c in report["checks"]] == ["config", "auto-chat key"]


# --- online ------------------------------------------------------------------------------------


def test_online_against_the_running_proxy(proxy: Proxy, echo: EchoUpstream, tmp_path: Path) -> None:
    empty = tmp_path / "empty.env"
    empty.write_text("")
    result = run_cli("--json", "--base-url", proxy.url, "--key", proxy.key, "--config", str(CONFIG),
                     "--env-file", str(empty), env=clean_env(**pool_env(echo)))
    report = json.loads(result.stdout)
    assert result.returncode == 0, result.stdout
    assert statuses(report) == {
        "routing policy": "ok", "callbacks": "ok", "plugin": "ok", "fallbacks": "ok", "environment": "ok",
        "master key": "ok", "auto-chat key": "skip", "redis": "skip", "proxy": "ok", "readiness": "ok",
        "models": "ok", "plugin in proxy": "ok", "cliproxyapi": "skip",
    }
    assert detail(report, "models") == "/v1/models lists auto-chat, auto-codex, auto-claude"
    assert detail(report, "cliproxyapi").startswith(f"not checked: the auto-chat pools use {echo.url}/v1")


def test_online_with_a_wrong_key(proxy: Proxy, capsys: pytest.CaptureFixture[str], offline_env: None) -> None:
    code, report = run_main(capsys, CONFIG, "--base-url", proxy.url, "--key", "sk-wrong", "--cliproxy-url", "")
    assert code == 1 and statuses(report)["models"] == "fail" and statuses(report)["proxy"] == "ok"
    assert statuses(report)["cliproxyapi"] == "skip"


def test_online_without_a_proxy(capsys: pytest.CaptureFixture[str], offline_env: None) -> None:
    code, report = run_main(capsys, CONFIG, "--base-url", f"http://127.0.0.1:{free_port()}", "--timeout", "2")
    assert code == 1 and statuses(report)["proxy"] == "fail" and "models" not in statuses(report)
    assert "no answer" in detail(report, "proxy")


@pytest.fixture(scope="module")
def redis_server() -> Iterator[tuple[int, str]]:
    if not shutil.which("redis-server"):
        pytest.skip("redis-server is not installed (test.sh installs it)")
    port, password = free_port(), "verify-test-pw"
    server = subprocess.Popen(["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                               "--appendonly", "no", "--requirepass", password],
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    import redis

    client = redis.Redis(port=port, password=password)
    for _ in range(50):
        try:
            client.ping()
            break
        except redis.ConnectionError:
            threading.Event().wait(0.1)
    yield port, password
    server.terminate()
    server.wait(timeout=10)


def test_redis_ping(redis_server: tuple[int, str], monkeypatch: pytest.MonkeyPatch, offline_env: None) -> None:
    port, password = redis_server
    for env, expected in (({"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(port), "REDIS_PASSWORD": password}, "ok"),
                          ({"REDIS_URL": f"redis://:{password}@127.0.0.1:{port}/0"}, "ok"),
                          ({"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(port), "REDIS_PASSWORD": "wrong"}, "fail")):
        ctx = verify.Context(CONFIG, verify.Settings(env, {}))
        verify.check_redis(ctx)
        assert ctx.checks[0]["status"] == expected, ctx.checks
    ctx = verify.Context(CONFIG, verify.Settings({}, {"REDIS_PASSWORD": password, "REDIS_HOST_PORT": str(port)},
                                                 compose={"services": {"redis": {"image": "redis"}}}))
    verify.check_redis(ctx)  # the compose Redis, reached through its published port
    assert ctx.checks[0]["status"] == "ok" and ctx.checks[0]["detail"] == f"127.0.0.1:{port} answers PING"


class FakeCLIProxyAPI(BaseHTTPRequestHandler):
    key = "sk-auto-chat-fake"
    models = ["gpt-5-mini", "gpt-5"]

    def do_GET(self) -> None:  # noqa: N802 - http.server's naming
        if self.path == "/healthz":
            self._send(200, {"status": "ok"})
        elif self.headers.get("Authorization") != f"Bearer {self.key}":
            self._send(401, {"error": "Invalid API key"})
        else:
            self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in self.models]})

    def _send(self, status: int, body: dict[str, Any]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


@pytest.fixture(scope="module")
def fake_cliproxy() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeCLIProxyAPI)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()


@pytest.mark.parametrize(("key", "models", "status", "text"), [
    ("sk-auto-chat-fake", ("openai/gpt-5-mini", "openai/gpt-5"), "ok", "accepts the auto-chat key"),
    ("sk-revoked", ("openai/gpt-5-mini", "openai/gpt-5"), "fail", "answered 401"),
    ("sk-auto-chat-fake", ("openai/gpt-5-mini", "openai/gpt-5.5"), "fail", "does not serve gpt-5.5"),
    (None, ("openai/gpt-5-mini", "openai/gpt-5"), "ok", "no CLIPROXY_AUTO_CHAT_KEY to try"),
])
def test_cliproxyapi_check(fake_cliproxy: str, key: str | None, models: tuple[str, str], status: str,
                           text: str) -> None:
    env = {"CHAT_API_BASE": f"{fake_cliproxy}/v1", "CHAT_MINI_MODEL": models[0], "CHAT_STANDARD_MODEL": models[1]}
    ctx = verify.Context(CONFIG, verify.Settings({**env, **({"CLIPROXY_AUTO_CHAT_KEY": key} if key else {})}, {}))
    verify.check_cliproxyapi(ctx, fake_cliproxy, timeout=5)
    assert ctx.checks[0]["status"] == status and text in ctx.checks[0]["detail"], ctx.checks


def test_cliproxyapi_down_fails_when_the_chat_pools_use_it() -> None:
    ctx = verify.Context(CONFIG, verify.Settings({}, {}, compose={"services": {"litellm": {"environment": {
        "CHAT_API_BASE": "${CHAT_API_BASE:-http://cliproxyapi:8317/v1}"}}}}))
    verify.check_cliproxyapi(ctx, f"http://127.0.0.1:{free_port()}", timeout=2)
    assert ctx.checks[0]["status"] == "fail" and "no answer" in ctx.checks[0]["detail"]
