"""config_final.yaml parses, and every config error names the key it is about."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml

from tests.support.configs import heuristic_document
from tests.support.stack import pool_env
from vibe_router.config import ConfigError, RouterConfig, load_config, parse_config, resolve_config_path
from vibe_router.policy import Policy
from vibe_router.scoring.heuristic import HeuristicScorer

ROOT = Path(__file__).resolve().parents[1]
CONFIG = ROOT / "config_final.yaml"
DOCUMENT = yaml.safe_load(CONFIG.read_text(encoding="utf-8"))
VM = "vibe_router.virtual_models"


def document() -> dict[str, Any]:
    """config_final.yaml with every virtual model on the heuristic, whose settings most errors here are about."""
    return heuristic_document()


def section(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["vibe_router"]


def model(doc: dict[str, Any], name: str = "auto-chat") -> dict[str, Any]:
    return doc["vibe_router"]["virtual_models"][name]


def heuristic(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["vibe_router"]["scorers"]["heuristic"]


# --------------------------------------------------------------------------- the repo's config

def test_repo_config_parses() -> None:
    config = load_config(CONFIG)
    assert isinstance(config, RouterConfig)
    assert config.source == str(CONFIG)
    assert (config.log_preview, config.max_scored_chars) == (False, 8000)
    assert set(config.virtual_models) == {"auto-chat", "auto-codex", "auto-claude"}
    ladders = {name: [(t.name, t.pool, t.min_score) for t in vm.tiers] for name, vm in config.virtual_models.items()}
    # auto-chat on the gain scorer, at the min_score `vibe-router calibrate` gave (tests/test_learned_gain.py).
    threshold = config.virtual_models["auto-chat"].tiers[1].min_score
    assert ladders == {
        "auto-chat": [("cheap", "pool-chat-mini", None), ("standard", "pool-chat-standard", threshold)],
        "auto-codex": [("cheap", "pool-codex-mini", None), ("standard", "pool-codex-standard", 50)],
        "auto-claude": [("cheap", "pool-claude-haiku", None), ("standard", "pool-claude-sonnet", 50)],
    }
    scorers = {name: vm.scorer_name for name, vm in config.virtual_models.items()}
    assert scorers == {"auto-chat": "gain", "auto-codex": "heuristic", "auto-claude": "heuristic"}
    assert {"auto-chat", "pool-chat-mini", "pool-claude-sonnet"} <= config.pools


def test_callbacks_live_under_litellm_settings() -> None:
    # general_settings.callbacks is silently ignored by LiteLLM (DESIGN.md).
    # A list: LiteLLM 1.108.7 replaces its own callbacks with a single string (see test_e2e_routing).
    assert DOCUMENT["litellm_settings"]["callbacks"] == ["vibe_router.router_instance"]
    assert "callbacks" not in DOCUMENT.get("general_settings", {})


def test_every_default_deployment_has_a_price() -> None:
    # An unpriced model logs no spend and costs LiteLLM ~1.7 ms of CPU per request (bench.overhead).
    import litellm

    env = pool_env(SimpleNamespace(url="http://127.0.0.1:9"))
    unpriced = []
    for entry in DOCUMENT["model_list"]:
        info = entry.get("model_info") or {}
        model = entry["litellm_params"]["model"]
        model = env[model.removeprefix("os.environ/")] if model.startswith("os.environ/") else model
        price = info.get("input_cost_per_token") or litellm.get_model_info(model).get("input_cost_per_token")
        if not price:
            unpriced.append((entry["model_name"], model))
    assert unpriced == []


def test_scorer_settings_override_is_applied_per_virtual_model() -> None:
    config = parse_config(document())
    codex, chat = (config.virtual_models[name].scorer for name in ("auto-codex", "auto-chat"))
    assert isinstance(codex, HeuristicScorer) and isinstance(chat, HeuristicScorer)
    assert "migrate" in codex.settings.complex_keywords
    assert "migrate" not in chat.settings.complex_keywords
    assert codex.settings.simple_keywords == chat.settings.simple_keywords  # not overridden: inherited
    assert codex.settings.complex_weight == chat.settings.complex_weight == 150


def test_override_of_a_weight_changes_only_that_model() -> None:
    doc = document()
    model(doc, "auto-claude")["scorer_settings"] = {"simple_weight": -5}
    config = parse_config(doc)
    assert config.virtual_models["auto-claude"].scorer.settings.simple_weight == -5
    assert config.virtual_models["auto-chat"].scorer.settings.simple_weight == -100


def test_wrapper_tags_and_max_scored_chars_reach_the_policy() -> None:
    doc = document()
    section(doc)["wrapper_tags"] = ["harness"]
    section(doc)["max_scored_chars"] = 101
    policy = Policy(parse_config(doc))
    text = "<harness>ctx</harness><system-reminder>kept</system-reminder>" + "x" * 500
    turn = policy.view("chat", {"messages": [{"role": "user", "content": text}]})
    assert turn.text.startswith("<system-reminder>kept")
    assert len(turn.text) <= 101


# --------------------------------------------------------------------------- errors name the key

def _set(path: Callable[[dict[str, Any]], dict[str, Any]], key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        path(doc)[key] = value
    return edit


def _tier(index: int, key: str, value: Any) -> Callable[[dict[str, Any]], None]:
    return _set(lambda doc: model(doc)["tiers"][index], key, value)


def _add_tier(min_score: Any) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        model(doc)["tiers"].append({"name": "max", "pool": "pool-claude-sonnet", "min_score": min_score})
    return edit


def _delete(path: Callable[[dict[str, Any]], dict[str, Any]], key: str) -> Callable[[dict[str, Any]], None]:
    def edit(doc: dict[str, Any]) -> None:
        del path(doc)[key]
    return edit


def _new_model(doc: dict[str, Any]) -> None:
    section(doc)["virtual_models"]["auto-new"] = copy.deepcopy(model(doc))


def _custom_scorer(doc: dict[str, Any]) -> None:
    section(doc)["scorers"]["fancy"] = {"kind": "magic"}
    model(doc)["scorer"] = "fancy"


ERRORS = [
    # pools and tiers
    ("unknown pool", _tier(0, "pool", "pool-nope"), f"{VM}.auto-chat.tiers[0].pool"),
    ("pool missing", _delete(lambda doc: model(doc)["tiers"][1], "pool"), f"{VM}.auto-chat.tiers[1].pool"),
    ("threshold not a number", _tier(1, "min_score", "fifty"), f"{VM}.auto-chat.tiers[1].min_score"),
    ("threshold a boolean", _tier(1, "min_score", True), f"{VM}.auto-chat.tiers[1].min_score"),
    ("threshold missing", _delete(lambda doc: model(doc)["tiers"][1], "min_score"),
     f"{VM}.auto-chat.tiers[1].min_score"),
    ("first tier with min_score", _tier(0, "min_score", 0), f"{VM}.auto-chat.tiers[0].min_score"),
    ("equal thresholds", _add_tier(50), f"{VM}.auto-chat.tiers[2].min_score"),
    ("falling thresholds", _add_tier(10), f"{VM}.auto-chat.tiers[2].min_score"),
    ("duplicate tier name", _tier(1, "name", "cheap"), f"{VM}.auto-chat.tiers[1].name"),
    ("tier without name", _delete(lambda doc: model(doc)["tiers"][0], "name"), f"{VM}.auto-chat.tiers[0].name"),
    ("tier not a mapping", _set(lambda doc: model(doc), "tiers", ["pool-chat-mini"]), f"{VM}.auto-chat.tiers[0]"),
    ("tier typo", _tier(0, "pol", "pool-chat-mini"), f"{VM}.auto-chat.tiers[0].pol"),
    # virtual models
    ("no tiers", _delete(model, "tiers"), f"{VM}.auto-chat.tiers"),
    ("empty tiers", _set(model, "tiers", []), f"{VM}.auto-chat.tiers"),
    ("not in model_list", _new_model, f"{VM}.auto-new"),
    ("virtual model typo", _set(model, "teirs", []), f"{VM}.auto-chat.teirs"),
    ("virtual model not a mapping", _set(lambda doc: section(doc)["virtual_models"], "auto-chat", "cheap"),
     f"{VM}.auto-chat"),
    ("no virtual models", _set(section, "virtual_models", {}), VM),
    ("unknown scorer", _set(model, "scorer", "magic"), f"{VM}.auto-chat.scorer"),
    ("scorer not a name", _set(model, "scorer", ["heuristic"]), f"{VM}.auto-chat.scorer"),
    ("unknown scorer kind", _custom_scorer, "vibe_router.scorers.fancy.kind"),
    # heuristic settings
    ("setting of a bad type", _set(heuristic, "length_cap", "200"), "vibe_router.scorers.heuristic.length_cap"),
    ("boolean weight", _set(heuristic, "simple_weight", False), "vibe_router.scorers.heuristic.simple_weight"),
    ("keywords not a list", _set(heuristic, "simple_keywords", "hi"), "vibe_router.scorers.heuristic.simple_keywords"),
    ("keyword not a string", _set(heuristic, "complex_keywords", ["debug", 42]),
     "vibe_router.scorers.heuristic.complex_keywords"),
    ("unknown setting", _set(heuristic, "lenght_cap", 200), "vibe_router.scorers.heuristic.lenght_cap"),
    ("bad override", _set(lambda doc: model(doc, "auto-codex")["scorer_settings"], "complex_weight", "high"),
     f"{VM}.auto-codex.scorer_settings.complex_weight"),
    ("unknown override", _set(lambda doc: model(doc, "auto-codex")["scorer_settings"], "complex_wieght", 1),
     f"{VM}.auto-codex.scorer_settings.complex_wieght"),
    ("overrides not a mapping", _set(model, "scorer_settings", ["x"]), f"{VM}.auto-chat.scorer_settings"),
    # the section
    ("section typo", _set(section, "log_previw", True), "vibe_router.log_previw"),
    ("log_preview not a boolean", _set(section, "log_preview", "yes"), "vibe_router.log_preview"),
    ("max_scored_chars zero", _set(section, "max_scored_chars", 0), "vibe_router.max_scored_chars"),
    ("max_scored_chars a float", _set(section, "max_scored_chars", 8000.0), "vibe_router.max_scored_chars"),
    ("wrapper_tags not a list", _set(section, "wrapper_tags", "system-reminder"), "vibe_router.wrapper_tags"),
    ("empty wrapper tag", _set(section, "wrapper_tags", ["system-reminder", ""]), "vibe_router.wrapper_tags"),
    ("scorers not a mapping", _set(section, "scorers", ["heuristic"]), "vibe_router.scorers"),
    ("missing section", lambda doc: doc.pop("vibe_router"), "vibe_router"),
    ("section not a mapping", lambda doc: doc.update(vibe_router=["auto-chat"]), "vibe_router"),
    ("missing model_list", lambda doc: doc.pop("model_list"), "model_list"),
]


@pytest.mark.parametrize(("edit", "key"), [pytest.param(edit, key, id=name) for name, edit, key in ERRORS])
def test_config_error_names_the_key(edit: Callable[[dict[str, Any]], Any], key: str) -> None:
    doc = document()
    edit(doc)
    with pytest.raises(ConfigError) as caught:
        parse_config(doc)
    assert caught.value.key == key
    assert str(caught.value).startswith(f"{key}: ")
    assert "\n" not in str(caught.value)


@pytest.mark.parametrize("value", [None, [], "vibe_router: {}", 3])
def test_document_that_is_not_a_mapping(value: Any) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_config(value)
    assert caught.value.key == "vibe_router"


def test_nan_threshold_is_rejected() -> None:
    doc = document()
    model(doc)["tiers"][1]["min_score"] = float("nan")
    with pytest.raises(ConfigError) as caught:
        parse_config(doc)
    assert caught.value.key == f"{VM}.auto-chat.tiers[1].min_score"


def test_valid_edits_still_parse() -> None:
    doc = document()
    _add_tier(300)(doc)
    model(doc)["tiers"][1]["min_score"] = 49.5
    section(doc)["virtual_models"]["auto-chat"].pop("scorer")  # heuristic is the default scorer
    config = parse_config(doc)
    assert [t.min_score for t in config.virtual_models["auto-chat"].tiers] == [None, 49.5, 300]


# --------------------------------------------------------------------------- files

def test_invalid_yaml(tmp_path: Path) -> None:
    path = tmp_path / "broken.yaml"
    path.write_text("vibe_router:\n  virtual_models: [unclosed\n  log_preview: : :\n", encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_config(path)
    assert caught.value.key == "vibe_router"
    assert "not valid YAML" in caught.value.message and "\n" not in str(caught.value)


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as caught:
        load_config(tmp_path / "nope.yaml")
    assert caught.value.key == "vibe_router"
    assert "cannot read config file" in caught.value.message


def test_yaml_without_the_section(tmp_path: Path) -> None:
    path = tmp_path / "litellm_only.yaml"
    path.write_text(yaml.safe_dump({k: v for k, v in DOCUMENT.items() if k != "vibe_router"}), encoding="utf-8")
    with pytest.raises(ConfigError, match="missing section") as caught:
        load_config(path)
    assert caught.value.key == "vibe_router"


def test_resolve_config_path(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("VIBE_ROUTER_CONFIG", raising=False)
    assert resolve_config_path() == Path("config_final.yaml")
    monkeypatch.setenv("VIBE_ROUTER_CONFIG", "/etc/vibe.yaml")
    assert resolve_config_path() == Path("/etc/vibe.yaml")
    assert resolve_config_path("explicit.yaml") == Path("explicit.yaml")
