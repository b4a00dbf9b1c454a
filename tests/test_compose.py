"""Static checks of the Docker deployment: no Docker engine is needed (or available) here.

docker-compose.yml against the Compose Specification's JSON schema (vendored under
tests/vendor/compose-spec/), its mounts, variables, image pins, ports and healthchecks;
.env.example against everything that reads it; cliproxyapi.config.yaml against CLIProxyAPI v7.
"""

from __future__ import annotations

import configparser
import json
import re
import subprocess
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

from tests.support.processes import REPO_ROOT
from vibe_router_tools.verify import INTERPOLATION, MissingVariable, env_refs, interpolate

COMPOSE = REPO_ROOT / "docker-compose.yml"
ENV_EXAMPLE = REPO_ROOT / ".env.example"
CLIPROXY_CONFIG = REPO_ROOT / "cliproxyapi.config.yaml"
SCHEMA = REPO_ROOT / "tests" / "vendor" / "compose-spec" / "compose-spec.json"
SERVICES = ("litellm", "redis", "cliproxyapi")
REQUIRED_SECRETS = ("LITELLM_MASTER_KEY", "REDIS_PASSWORD", "CLIPROXY_AUTO_CHAT_KEY")
# Top-level keys of CLIProxyAPI v7 this project may use (DESIGN.md, "Upstreams in the deployment").
CLIPROXY_KEYS = {
    "host", "port", "auth-dir", "api-keys", "debug", "proxy-url", "request-retry", "quota-exceeded",
    "routing", "codex-api-key", "claude-api-key", "gemini-api-key", "openai-compatibility",
}
ENV_LINE = re.compile(r"^#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


@pytest.fixture(scope="module")
def compose_text() -> str:
    return COMPOSE.read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def compose(compose_text: str) -> dict[str, Any]:
    return yaml.safe_load(compose_text)


def env_example() -> dict[str, str]:
    """Every variable .env.example documents (commented-out ones too), with its example value."""
    documented: dict[str, str] = {}
    for line in ENV_EXAMPLE.read_text(encoding="utf-8").splitlines():
        match = ENV_LINE.match(line)
        if match:
            documented[match[1]] = match[2].strip()
    return documented


def compose_variables(text: str) -> set[str]:
    names: set[str] = set()
    for match in INTERPOLATION.finditer(text):
        if not match["escaped"]:
            names.add(match["braced"] or match["bare"])
            names |= compose_variables(match["arg"] or "")
    return names


def interpolated(node: Any, env: dict[str, str]) -> Any:
    """The document as docker compose sees it after interpolation with `env`."""
    if isinstance(node, dict):
        return {key: interpolated(value, env) for key, value in node.items()}
    if isinstance(node, list):
        return [interpolated(value, env) for value in node]
    return interpolate(node, env) if isinstance(node, str) else node


def test_compose_file_validates_against_the_compose_specification(compose: dict[str, Any]) -> None:
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft7Validator(schema)
    filled = {name: value or "filled-in" for name, value in env_example().items()}  # as a user fills .env
    for document in (compose, interpolated(compose, filled)):
        errors = [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in validator.iter_errors(document)]
        assert errors == []


def test_vendored_schema_keeps_its_license() -> None:
    license_text = (SCHEMA.parent / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in license_text and "Version 2.0" in license_text
    assert (SCHEMA.parent / "NOTICE").is_file()


def test_the_three_services_exist_with_restart_and_healthchecks(compose: dict[str, Any]) -> None:
    services = compose["services"]
    assert set(SERVICES) <= set(services)
    for name in SERVICES:
        assert services[name].get("restart") == "unless-stopped", name
        test = services[name].get("healthcheck", {}).get("test")
        assert test and test[0] in ("CMD", "CMD-SHELL"), name
        assert not services[name].get("build"), f"{name}: use the pinned image, not a build"


def test_healthchecks_use_what_each_image_has(compose: dict[str, Any]) -> None:
    services = compose["services"]
    litellm = " ".join(services["litellm"]["healthcheck"]["test"])
    assert "python3" in litellm and "/health/liveliness" in litellm and "curl" not in litellm
    cliproxy = " ".join(services["cliproxyapi"]["healthcheck"]["test"])
    assert "/dev/tcp/127.0.0.1/8317" in cliproxy and "/healthz" in cliproxy
    assert "curl" not in cliproxy and "wget" not in cliproxy  # gone from the image since v7.1.51
    redis_check = " ".join(services["redis"]["healthcheck"]["test"])
    assert "redis-cli" in redis_check and "ping" in redis_check and "REDIS_PASSWORD" in redis_check


def test_litellm_waits_for_healthy_dependencies(compose: dict[str, Any]) -> None:
    depends = compose["services"]["litellm"]["depends_on"]
    assert {name: spec["condition"] for name, spec in depends.items()} == {
        "redis": "service_healthy", "cliproxyapi": "service_healthy",
    }


def test_litellm_image_matches_the_python_pin(compose: dict[str, Any]) -> None:
    lock = (REPO_ROOT / "requirements" / "runtime.lock").read_text(encoding="utf-8")
    pinned = re.search(r"^litellm(?:\[[^\]]*\])?==([^\s\\]+)", lock, re.MULTILINE)
    assert pinned, "requirements/runtime.lock pins litellm"
    assert compose["services"]["litellm"]["image"] == f"ghcr.io/berriai/litellm:v{pinned[1]}"
    assert f'"litellm[proxy]=={pinned[1]}"' in (REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8")


def test_images_are_pinned(compose: dict[str, Any]) -> None:
    images = {name: compose["services"][name]["image"] for name in SERVICES}
    assert images["cliproxyapi"] == "eceasy/cli-proxy-api:v7.2.140"
    assert re.fullmatch(r"redis:7\.2\.\d+-alpine", images["redis"])
    for image in images.values():
        assert ":" in image and not image.endswith((":latest", ":main-stable", ":main-latest")), image


def test_litellm_loads_the_plugin_from_a_mount(compose: dict[str, Any]) -> None:
    litellm = compose["services"]["litellm"]
    env = litellm["environment"]
    assert litellm["command"] == ["--config", env["VIBE_ROUTER_CONFIG"], "--port", "4000"]
    mounts = {volume.split(":")[1]: volume for volume in litellm["volumes"]}
    assert mounts[env["VIBE_ROUTER_CONFIG"]] == f"./config_final.yaml:{env['VIBE_ROUTER_CONFIG']}:ro"
    assert mounts[f"{env['PYTHONPATH']}/vibe_router"].startswith("./vibe_router:")
    assert all(volume.endswith(":ro") for volume in litellm["volumes"])
    assert env["LITELLM_LOCAL_MODEL_COST_MAP"] == "True" and env["LITELLM_TELEMETRY_DISABLED"] == "true"
    assert env["REDIS_HOST"] == "redis"
    assert "host.docker.internal:host-gateway" in litellm["extra_hosts"]


def test_every_mounted_host_path_exists_and_named_volumes_are_declared(compose: dict[str, Any]) -> None:
    declared = set(compose.get("volumes") or {})
    for name, service in compose["services"].items():
        for volume in service.get("volumes") or []:
            source = volume["source"] if isinstance(volume, dict) else volume.split(":")[0]
            if source.startswith((".", "/")):
                assert (REPO_ROOT / source).exists(), f"{name}: {source} is not in the repo"
            else:
                assert source in declared, f"{name}: named volume {source} is not declared"
    cliproxy = compose["services"]["cliproxyapi"]["volumes"]
    assert "./cliproxyapi.config.yaml:/CLIProxyAPI/config.yaml:ro" in cliproxy
    assert any(volume.endswith(":/root/.cli-proxy-api") for volume in cliproxy)


def test_ports_bind_loopback_only(compose: dict[str, Any]) -> None:
    published = 0
    for name, service in compose["services"].items():
        for port in service.get("ports") or []:
            published += 1
            if isinstance(port, dict):
                assert port.get("host_ip") == "127.0.0.1", name
            else:
                assert interpolate(str(port), {}).startswith("127.0.0.1:"), f"{name}: {port}"
    assert published >= 3
    assert "127.0.0.1:${LITELLM_PORT:-4000}:4000" in compose["services"]["litellm"]["ports"]


def strings(node: Any) -> list[str]:
    """Every string in a parsed document (what compose interpolates; comments are not)."""
    if isinstance(node, dict):
        return [s for key, value in node.items() for s in strings(key) + strings(value)]
    if isinstance(node, list):
        return [s for value in node for s in strings(value)]
    return [node] if isinstance(node, str) else []


def test_every_compose_variable_is_documented_in_env_example(compose: dict[str, Any]) -> None:
    used = {name for text in strings(compose) for name in compose_variables(text)}
    assert {"LITELLM_MASTER_KEY", "REDIS_PASSWORD", "CLIPROXY_AUTO_CHAT_KEY", "LITELLM_PORT"} <= used
    assert used - set(env_example()) == set()


def test_every_config_environ_value_is_documented_and_passed_to_litellm(compose: dict[str, Any]) -> None:
    config = yaml.safe_load((REPO_ROOT / "config_final.yaml").read_text(encoding="utf-8"))
    names = set(env_refs(config))
    assert names, "config_final.yaml reads its upstreams from os.environ/"
    assert names - set(env_example()) == set()
    assert names - set(compose["services"]["litellm"]["environment"]) == set()


def test_deploy_sh_ports_are_documented() -> None:
    assert {"PORT", "ECHO_PORT", "LITELLM_PORT"} <= set(env_example())


def test_every_env_example_variable_has_a_comment() -> None:
    lines = ENV_EXAMPLE.read_text(encoding="utf-8").splitlines()
    for index, line in enumerate(lines):
        if not ENV_LINE.match(line):
            continue
        block = []
        for previous in reversed(lines[:index]):
            if not previous.strip():
                break
            block.append(previous)
        assert any(p.startswith("#") and not ENV_LINE.match(p) for p in block), f"no comment above {line!r}"


def test_required_secrets_stop_compose_with_a_message(compose_text: str, compose: dict[str, Any]) -> None:
    for name in REQUIRED_SECRETS:
        assert re.search(r"\$\{" + name + r":\?[^}]+\}", compose_text), f"{name} must be ${{{name}:?message}}"
        assert not re.search(r"\$\{" + name + r":?-", compose_text), f"{name} must not have a default"
    litellm_env = compose["services"]["litellm"]["environment"]
    with pytest.raises(MissingVariable, match="LITELLM_MASTER_KEY"):
        interpolate(litellm_env["LITELLM_MASTER_KEY"], {})
    assert interpolate(litellm_env["CHAT_API_KEY"], {"CLIPROXY_AUTO_CHAT_KEY": "sk-c"}) == "sk-c"


def test_pool_defaults_match_deploy_sh_and_the_deployment(compose: dict[str, Any]) -> None:
    env = compose["services"]["litellm"]["environment"]
    defaults = {name: interpolate(value, {}) for name, value in env.items() if name.endswith(("_BASE", "_MODEL"))}
    assert defaults["CHAT_API_BASE"] == "http://cliproxyapi:8317/v1"
    assert defaults["CODEX_API_BASE"] == "http://host.docker.internal:3000/v1"
    assert defaults["CLAUDE_API_BASE"] == "http://host.docker.internal:3000"
    deploy = (REPO_ROOT / "deploy.sh").read_text(encoding="utf-8")
    local = dict(re.findall(r"\$\{([A-Z_]+_MODEL):=([^}]+)\}", deploy))
    assert local and {name: defaults[name] for name in local} == local


def test_redis_keeps_no_persistent_state_and_requires_its_password(compose: dict[str, Any]) -> None:
    command = compose["services"]["redis"]["command"]
    assert command[:2] == ["redis-server", "--requirepass"]
    assert command[command.index("--save") + 1] == "" and command[command.index("--appendonly") + 1] == "no"
    assert not compose["services"]["redis"].get("volumes")


def test_cliproxyapi_config_uses_only_current_keys() -> None:
    config = yaml.safe_load(CLIPROXY_CONFIG.read_text(encoding="utf-8"))
    assert set(config) <= CLIPROXY_KEYS, set(config) - CLIPROXY_KEYS
    assert config["port"] == 8317 and config["auth-dir"] == "/root/.cli-proxy-api"
    assert config["host"] == ""  # inside the container; compose publishes on 127.0.0.1 only


def test_cliproxyapi_api_keys_include_the_documented_auto_chat_key() -> None:
    config = yaml.safe_load(CLIPROXY_CONFIG.read_text(encoding="utf-8"))
    key = env_example()["CLIPROXY_AUTO_CHAT_KEY"]
    assert key and config["api-keys"][0] == key
    assert not {"your-api-key-1", "your-api-key-2", "your-api-key-3"} & set(config["api-keys"])


def test_cliproxyapi_login_steps_are_documented() -> None:
    text = CLIPROXY_CONFIG.read_text(encoding="utf-8")
    for flag in ("-codex-login", "-claude-login", "-no-browser", "1455:1455", "54545:54545"):
        assert flag in text, flag
    assert "build: ./CLIProxyAPI" in COMPOSE.read_text(encoding="utf-8")


@pytest.mark.parametrize(
    ("text", "env", "expected"),
    [
        ("${A:-d}", {}, "d"),
        ("${A:-d}", {"A": ""}, "d"),
        ("${A-d}", {"A": ""}, ""),
        ("${A:-${B:-x}}", {}, "x"),
        ("127.0.0.1:${P:-4000}:4000", {"P": "5000"}, "127.0.0.1:5000:4000"),
        ("$$REDIS_PASSWORD $A", {"A": "a"}, "$REDIS_PASSWORD a"),
    ],
)
def test_interpolation_follows_compose(text: str, env: dict[str, str], expected: str) -> None:
    assert interpolate(text, env) == expected


def test_interpolation_required_variable() -> None:
    with pytest.raises(MissingVariable, match="K: set K"):
        interpolate("${K:?set K}", {"K": ""})
    assert interpolate("${K:?set K}", {"K": "v"}) == "v"
    assert compose_variables("${A:-${B}} $$C $D") == {"A", "B", "D"}


def test_repo_paths_are_files() -> None:
    for path in (COMPOSE, ENV_EXAMPLE, CLIPROXY_CONFIG, SCHEMA):
        assert Path(path).is_file(), path


def test_cliproxyapi_submodule_is_pinned_to_v7_2_140() -> None:
    """The from-source alternative: a submodule CI never needs to check out."""
    modules = configparser.ConfigParser()
    modules.read(REPO_ROOT / ".gitmodules")
    assert modules['submodule "CLIProxyAPI"']["url"] == "https://github.com/router-for-me/CLIProxyAPI.git"
    assert modules['submodule "CLIProxyAPI"']["path"] == "CLIProxyAPI"
    listing = subprocess.run(["git", "ls-files", "-s", "CLIProxyAPI"], cwd=REPO_ROOT, capture_output=True, text=True)
    entry = listing.stdout
    assert entry.split()[:2] == ["160000", "a7e3596b7e351d800e58ed29529fbca3d1c18737"]
