"""The routing policy from the `vibe_router:` section of a LiteLLM config file.

Every error names the key it is about, so a bad config stops the proxy with one line.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from vibe_router.capture import CaptureSettings, parse_capture
from vibe_router.config_conversation import (
    Price,
    SessionLabels,
    Sticky,
    parse_overrides,
    parse_prices,
    parse_redis,
    parse_scenarios,
    parse_session_labels,
    parse_sticky,
)
from vibe_router.config_values import (
    ConfigError,
    boolean,
    mapping,
    number,
    optional_string,
    positive_int,
    reject_unknown,
)
from vibe_router.health import HealthSettings, parse_health
from vibe_router.overrides import OverrideSettings
from vibe_router.request import DEFAULT_MAX_TEXT_CHARS
from vibe_router.scenarios import Scenarios
from vibe_router.scoring import Scorer, ScorerSettingsError, UnavailableScorer, build_scorer
from vibe_router.sessions import RedisSettings
from vibe_router.wrappers import DEFAULT_WRAPPER_TAGS, WrapperStripper

SECTION = "vibe_router"
ENV_REFERENCE = "os.environ/"  # LiteLLM's way to take a value from the environment
MODEL_FILE_KEY = "model"  # a scorer setting naming a model file
CONFIG_ENV = "VIBE_ROUTER_CONFIG"
DEFAULT_CONFIG_FILE = "config_final.yaml"


@dataclass(frozen=True)
class Tier:
    name: str
    pool: str
    min_score: float | None = None


@dataclass(frozen=True)
class VirtualModel:
    name: str
    tiers: tuple[Tier, ...]
    scorer: Scorer
    scorer_name: str
    sticky: Sticky = field(default_factory=Sticky)
    scenarios: Scenarios = field(default_factory=Scenarios)
    shadow: bool = False

    @property
    def unavailable(self) -> str | None:
        """Why this virtual model cannot be scored (its requests fail open), if it cannot."""
        return self.scorer.problem if isinstance(self.scorer, UnavailableScorer) else None

    def tier_index(self, name: str) -> int:
        return next(index for index, tier in enumerate(self.tiers) if tier.name == name)

    def tier_for(self, score: float) -> Tier:
        chosen = self.tiers[0]
        for tier in self.tiers[1:]:
            if tier.min_score is not None and score >= tier.min_score:
                chosen = tier
        return chosen


@dataclass(frozen=True)
class Deployment:
    """A model_list entry as LiteLLM will see it: its model (environment references resolved)
    and its price when its entry gives one (`model_info.input_cost_per_token` and `output_cost_per_token`)."""

    name: str
    model: str
    price: Price | None = None  # from its model_info, USD per million tokens

    @property
    def priced(self) -> bool:
        return self.price is not None


@dataclass(frozen=True)
class RouterConfig:
    virtual_models: dict[str, VirtualModel]
    pools: frozenset[str]
    log_preview: bool = False
    reject_malformed: bool = True
    max_scored_chars: int = DEFAULT_MAX_TEXT_CHARS
    stripper: WrapperStripper = field(default_factory=WrapperStripper)
    session_header: str | None = None
    session_labels: SessionLabels = field(default_factory=SessionLabels.per_process)
    overrides: OverrideSettings = field(default_factory=OverrideSettings)
    redis: RedisSettings = field(default_factory=RedisSettings)
    health: HealthSettings = field(default_factory=HealthSettings)
    prices: dict[str, Price] = field(default_factory=dict)
    source: str = ""
    client_models: dict[str, VirtualModel] = field(default_factory=dict)
    deployments: tuple[Deployment, ...] = ()
    capture: CaptureSettings = field(default_factory=CaptureSettings)

    def virtual_model_for(self, model: object) -> VirtualModel | None:
        """The virtual model a requested name routes as (its own name or a housekeeping client model)."""
        if not isinstance(model, str):
            return None
        return self.virtual_models.get(model) or self.client_models.get(model)


def resolve_config_path(explicit: str | os.PathLike[str] | None = None) -> Path:
    """--config, else $VIBE_ROUTER_CONFIG, else config_final.yaml in the current directory."""
    return Path(explicit or os.environ.get(CONFIG_ENV) or DEFAULT_CONFIG_FILE)


def load_config(path: str | os.PathLike[str]) -> RouterConfig:
    path = Path(path)
    try:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(SECTION, f"cannot read config file {path}: {exc.strerror or exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(SECTION, f"{path} is not valid YAML: {exc}".replace("\n", " ")) from None
    return parse_config(document, source=str(path))


def parse_config(document: Any, source: str = "") -> RouterConfig:
    if not isinstance(document, dict):
        raise ConfigError(SECTION, "the config file must be a YAML mapping")
    section = document.get(SECTION)
    if not isinstance(section, dict):
        raise ConfigError(SECTION, "missing section (the routing policy lives under a top-level `vibe_router:` key)")
    pools = _model_names(document)
    reject_unknown(section, SECTION, SECTION_KEYS)
    scorer_sections = mapping(section.get("scorers", {}), f"{SECTION}.scorers")
    virtual = mapping(section.get("virtual_models"), f"{SECTION}.virtual_models")
    if not virtual:
        raise ConfigError(f"{SECTION}.virtual_models", "declare at least one virtual model")
    shadow = boolean(section.get("shadow", False), f"{SECTION}.shadow")
    models = {
        name: _virtual_model(name, spec, pools, scorer_sections, virtual, shadow) for name, spec in virtual.items()
    }
    tags = section.get("wrapper_tags", list(DEFAULT_WRAPPER_TAGS))
    if not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
        raise ConfigError(f"{SECTION}.wrapper_tags", "must be a list of tag names")
    return RouterConfig(
        virtual_models=models,
        pools=frozenset(pools),
        log_preview=boolean(section.get("log_preview", False), f"{SECTION}.log_preview"),
        reject_malformed=boolean(section.get("reject_malformed", True), f"{SECTION}.reject_malformed"),
        max_scored_chars=positive_int(
            section.get("max_scored_chars", DEFAULT_MAX_TEXT_CHARS), f"{SECTION}.max_scored_chars"
        ),
        stripper=WrapperStripper(tuple(tags)),
        session_header=_session_header(section.get("sessions")),
        session_labels=parse_session_labels(section.get("sessions"), f"{SECTION}.sessions", document),
        overrides=parse_overrides(section.get("overrides"), f"{SECTION}.overrides"),
        redis=parse_redis(section.get("redis"), f"{SECTION}.redis"),
        capture=parse_capture(section.get("capture"), f"{SECTION}.capture"),
        health=parse_health(section.get("health"), f"{SECTION}.health"),
        prices=parse_prices(section.get("prices"), f"{SECTION}.prices", pools),
        source=source,
        deployments=_deployments(document),
        client_models=_client_models(models, pools),
    )


def _session_header(value: Any) -> str | None:
    key = f"{SECTION}.sessions"
    sessions = mapping(value, key)
    reject_unknown(sessions, key, {"header", "label_key"})
    return optional_string(sessions.get("header"), f"{key}.header")


def _client_models(models: dict[str, VirtualModel], pools: list[str]) -> dict[str, VirtualModel]:
    """Client model names (Claude Code's small/fast model) that route as a virtual model's housekeeping."""
    aliases: dict[str, VirtualModel] = {}
    for virtual in models.values():
        housekeeping = virtual.scenarios.housekeeping
        for alias in sorted(housekeeping.client_models) if housekeeping else ():
            key = f"{SECTION}.virtual_models.{virtual.name}.scenarios.housekeeping.client_models"
            if alias in pools:
                raise ConfigError(key, f"{alias!r} is a model_name in model_list: requests for it are not rerouted")
            if alias in aliases:
                raise ConfigError(key, f"{alias!r} is already a client model of {aliases[alias].name}")
            aliases[alias] = virtual
    return aliases


SECTION_KEYS = {
    "log_preview", "max_scored_chars", "scorers", "virtual_models", "wrapper_tags",
    "sessions", "overrides", "redis", "prices", "shadow", "reject_malformed", "capture", "health",
}
VIRTUAL_MODEL_KEYS = {"scorer", "scorer_settings", "tiers", "sticky", "scenarios", "shadow"}
TIER_KEYS = {"name", "pool", "min_score"}


def _virtual_model(
    name: str,
    spec: Any,
    pools: list[str],
    scorer_sections: dict[str, Any],
    virtual_names: Iterable[str],
    shadow: bool,
) -> VirtualModel:
    key = f"{SECTION}.virtual_models.{name}"
    spec = mapping(spec, key)
    reject_unknown(spec, key, VIRTUAL_MODEL_KEYS)
    if name not in pools:
        raise ConfigError(key, "virtual model is not in model_list (list it there: it is the fail-open route)")
    tiers = _tiers(spec.get("tiers"), f"{key}.tiers", pools, virtual_names)
    scorer_name = spec.get("scorer", "heuristic")
    if not isinstance(scorer_name, str):
        raise ConfigError(f"{key}.scorer", "must be the name of a scorer")
    scorer = _scorer(scorer_name, spec.get("scorer_settings", {}), scorer_sections, key)
    tier_names = [tier.name for tier in tiers]
    return VirtualModel(
        name=name,
        tiers=tiers,
        scorer=scorer,
        scorer_name=scorer_name,
        sticky=parse_sticky(spec.get("sticky"), f"{key}.sticky"),
        scenarios=parse_scenarios(
            spec.get("scenarios"), f"{key}.scenarios", tier_names, set(pools) - set(virtual_names)
        ),
        shadow=boolean(spec.get("shadow", shadow), f"{key}.shadow"),
    )


def _tiers(value: Any, key: str, pools: list[str], virtual_names: Iterable[str]) -> tuple[Tier, ...]:
    if not isinstance(value, list) or not value:
        raise ConfigError(key, "declare the tiers, cheapest first (a list of {name, pool, min_score})")
    tiers: list[Tier] = []
    for index, raw in enumerate(value):
        tier_key = f"{key}[{index}]"
        raw = mapping(raw, tier_key)
        reject_unknown(raw, tier_key, TIER_KEYS)
        name, pool = raw.get("name"), raw.get("pool")
        if not isinstance(name, str) or not name:
            raise ConfigError(f"{tier_key}.name", "each tier needs a name")
        if name in (tier.name for tier in tiers):
            raise ConfigError(f"{tier_key}.name", f"duplicate tier name {name!r}")
        if pool in virtual_names:
            raise ConfigError(f"{tier_key}.pool", f"{pool!r} is a virtual model, not a physical pool")
        if pool not in pools:
            raise ConfigError(f"{tier_key}.pool", f"unknown pool {pool!r}: not a model_name in model_list")
        tiers.append(Tier(name=name, pool=pool, min_score=_threshold(raw, index, tier_key, tiers)))
    return tuple(tiers)


def _threshold(raw: dict[str, Any], index: int, key: str, earlier: list[Tier]) -> float | None:
    value = raw.get("min_score")
    if index == 0:
        if value is not None:
            raise ConfigError(f"{key}.min_score", "the first (cheapest) tier takes every score: remove min_score")
        return None
    value = number(value, f"{key}.min_score")
    previous = earlier[-1].min_score if earlier else None
    if previous is not None and value <= previous:
        raise ConfigError(f"{key}.min_score", f"thresholds must rise tier by tier ({value} <= {previous})")
    return float(value)


def _scorer(name: str, overrides: Any, sections: dict[str, Any], key: str) -> Scorer:
    base = sections.get(name, {"kind": name} if name in ("heuristic", "learned", "gain") else None)
    if base is None:
        raise ConfigError(f"{key}.scorer", f"unknown scorer {name!r}: not defined under {SECTION}.scorers")
    base = mapping(base, f"{SECTION}.scorers.{name}")
    overrides = mapping(overrides, f"{key}.scorer_settings")
    settings = {**base, **overrides}
    kind = settings.get("kind", name)
    try:
        return build_scorer(kind, settings)
    except ScorerSettingsError as exc:
        where = f"{key}.scorer_settings" if exc.key in overrides else f"{SECTION}.scorers.{name}"
        if exc.key == MODEL_FILE_KEY:
            # A missing or corrupt model file must not take the proxy down: fail open, loudly.
            return UnavailableScorer(f"{where}.{exc.key}: {exc}")
        raise ConfigError(f"{where}.{exc.key}", str(exc)) from None


def _model_info_price(info: dict[str, Any]) -> Price | None:
    """A model_list entry's own price (LiteLLM reads `1e-6` written as a string too), per million tokens."""
    try:
        return Price(float(info["input_cost_per_token"]) * 1_000_000, float(info["output_cost_per_token"]) * 1_000_000)
    except (KeyError, TypeError, ValueError):
        return None


def _model_names(document: dict[str, Any]) -> list[str]:
    model_list = document.get("model_list")
    if not isinstance(model_list, list):
        raise ConfigError("model_list", "missing: declare the virtual models and the pools there")
    return [entry["model_name"] for entry in model_list if isinstance(entry, dict) and "model_name" in entry]


def _deployments(document: dict[str, Any]) -> tuple[Deployment, ...]:
    found = []
    for entry in document.get("model_list") or ():
        params = entry.get("litellm_params") if isinstance(entry, dict) else None
        if not isinstance(params, dict) or not isinstance(params.get("model"), str):
            continue
        model = params["model"]
        if model.startswith(ENV_REFERENCE):
            model = os.environ.get(model.removeprefix(ENV_REFERENCE), "")
        info = entry.get("model_info") if isinstance(entry.get("model_info"), dict) else {}
        found.append(Deployment(str(entry.get("model_name")), model, _model_info_price(info)))
    return tuple(found)
