"""The routing policy from the `vibe_router:` section of a LiteLLM config file.

Every error names the key it is about, so a bad config stops the proxy with one line.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import yaml
from pydantic import ValidationInfo, field_validator, model_validator

from vibe_router.capture import CaptureSection, CaptureSettings
from vibe_router.config_conversation import (
    OverridesSpec,
    Price,
    PriceSpec,
    RedisSpec,
    SessionLabels,
    SessionsSpec,
    Sticky,
    StickySection,
    session_labels,
)
from vibe_router.config_scenarios import ScenariosSpec
from vibe_router.config_values import (
    ConfigError,
    Finite,
    Names,
    Section,
    Text,
    Whole,
    fail,
    parse,
    required,
    section_of,
    worded,
)
from vibe_router.health import HealthSection, HealthSettings
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
class Tier:  # the annotations are the checks of its config section
    name: Annotated[Text, worded("each tier needs a name")]
    pool: Annotated[str, worded("unknown pool {got}: not a model_name in model_list")]
    min_score: Finite | None = None


TierSection = section_of(Tier)


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


class VirtualModelSpec(Section):
    scorer: Annotated[Text, worded("must be the name of a scorer")] = "heuristic"
    scorer_settings: dict[str, Any] | None = None
    tiers: list[TierSection] = required()
    sticky: StickySection = StickySection()
    scenarios: ScenariosSpec = ScenariosSpec()
    shadow: bool | None = None  # the section's `shadow` when not given

    @field_validator("tiers", mode="before")
    @classmethod
    def _declared(cls, value: Any) -> Any:
        if not isinstance(value, list) or not value:
            raise fail("declare the tiers, cheapest first (a list of {name, pool, min_score})")
        return value

    @model_validator(mode="after")
    def _ladder(self, info: ValidationInfo) -> VirtualModelSpec:
        """Named tiers on physical pools, thresholds rising; scenarios aimed at a tier or a physical pool."""
        pools, virtual = info.context["pools"], info.context["virtual"]
        for index, tier in enumerate(self.tiers):
            at, previous = f"tiers[{index}]", self.tiers[index - 1].min_score if index else None
            if tier.name in self.tier_names[:index]:
                raise fail(f"duplicate tier name {tier.name!r}", f"{at}.name")
            if tier.pool in virtual:
                raise fail(f"{tier.pool!r} is a virtual model, not a physical pool", f"{at}.pool")
            if tier.pool not in pools:
                raise fail(f"unknown pool {tier.pool!r}: not a model_name in model_list", f"{at}.pool")
            if index == 0 and tier.min_score is not None:
                raise fail("the first (cheapest) tier takes every score: remove min_score", f"{at}.min_score")
            if index and tier.min_score is None:
                raise fail("must be a finite number, got None", f"{at}.min_score")
            if previous is not None and tier.min_score <= previous:
                raise fail(f"thresholds must rise tier by tier ({tier.min_score} <= {previous})", f"{at}.min_score")
        self.scenarios.check("scenarios", self.tier_names, set(pools) - virtual)
        return self

    @property
    def tier_names(self) -> list[str]:
        return [tier.name for tier in self.tiers]


class RouterSpec(Section):
    """The `vibe_router:` section."""

    log_preview: bool = False
    reject_malformed: bool = True
    max_scored_chars: Whole = DEFAULT_MAX_TEXT_CHARS
    wrapper_tags: Annotated[Names, worded("must be a list of tag names")] = DEFAULT_WRAPPER_TAGS
    scorers: dict[str, dict[str, Any]] | None = None
    virtual_models: dict[str, VirtualModelSpec] | None = None
    sessions: SessionsSpec = SessionsSpec()
    overrides: OverridesSpec = OverridesSpec()
    redis: RedisSpec = RedisSpec()
    prices: dict[str, PriceSpec] | None = None
    shadow: bool = False
    capture: CaptureSection = CaptureSection()
    health: HealthSection = HealthSection()

    @model_validator(mode="after")
    def _names(self, info: ValidationInfo) -> RouterSpec:
        """Virtual models and priced pools in model_list; a client model belongs to one virtual model."""
        pools = info.context["pools"]
        if not self.virtual_models:
            raise fail("declare at least one virtual model", "virtual_models")
        owners: dict[str, str] = {}
        for name, spec in self.virtual_models.items():
            if name not in pools:
                raise fail("virtual model is not in model_list (list it there: it is the fail-open route)",
                           f"virtual_models.{name}")
            housekeeping = spec.scenarios.housekeeping
            for alias in sorted(housekeeping.client_models) if housekeeping else ():
                at = f"virtual_models.{name}.scenarios.housekeeping.client_models"
                if alias in pools:
                    raise fail(f"{alias!r} is a model_name in model_list: requests for it are not rerouted", at)
                if alias in owners:
                    raise fail(f"{alias!r} is already a client model of {owners[alias]}", at)
                owners[alias] = name
        for pool in self.prices or {}:
            if pool not in pools:
                raise fail(f"unknown pool {pool!r}: not a model_name in model_list", f"prices.{pool}")
        return self


def parse_config(document: Any, source: str = "") -> RouterConfig:
    if not isinstance(document, dict):
        raise ConfigError(SECTION, "the config file must be a YAML mapping")
    section = document.get(SECTION)
    if not isinstance(section, dict):
        raise ConfigError(SECTION, "missing section (the routing policy lives under a top-level `vibe_router:` key)")
    pools = _model_names(document)
    virtual = section.get("virtual_models")
    context = {"pools": pools, "virtual": set(virtual) if isinstance(virtual, dict) else set()}
    spec = parse(RouterSpec, section, SECTION, context)
    physical = set(pools) - context["virtual"]
    models = {name: _virtual_model(name, vm, spec, physical) for name, vm in (spec.virtual_models or {}).items()}
    redis = spec.redis.build(f"{SECTION}.redis")
    if spec.capture.enabled and spec.capture.redis_stream and redis.connection is None:
        raise ConfigError(f"{SECTION}.capture.redis_stream", "names a Redis stream, but no Redis is configured (set "
                          "REDIS_HOST, REDIS_URL, REDIS_SENTINEL_NODES or REDIS_CLUSTER_NODES, and keep redis.enabled)")
    return RouterConfig(
        virtual_models=models,
        pools=frozenset(pools),
        log_preview=spec.log_preview,
        reject_malformed=spec.reject_malformed,
        max_scored_chars=spec.max_scored_chars,
        stripper=WrapperStripper(spec.wrapper_tags),
        session_header=spec.sessions.header,
        session_labels=session_labels(spec.sessions, f"{SECTION}.sessions", document),
        overrides=spec.overrides.build(),
        redis=redis,
        capture=CaptureSettings(**dict(spec.capture)),
        health=HealthSettings(**dict(spec.health)),
        prices={pool: Price(price.input, price.output) for pool, price in (spec.prices or {}).items()},
        source=source,
        deployments=_deployments(document),
        client_models={alias: model for model in models.values() if model.scenarios.housekeeping
                       for alias in model.scenarios.housekeeping.client_models},
    )


def _virtual_model(name: str, spec: VirtualModelSpec, section: RouterSpec, physical: set[str]) -> VirtualModel:
    key = f"{SECTION}.virtual_models.{name}"
    return VirtualModel(
        name=name,
        tiers=tuple(Tier(**dict(tier)) for tier in spec.tiers),
        scorer=_scorer(spec.scorer, spec.scorer_settings or {}, section.scorers or {}, key),
        scorer_name=spec.scorer,
        sticky=Sticky(**dict(spec.sticky)),
        scenarios=spec.scenarios.check(f"{key}.scenarios", spec.tier_names, physical),
        shadow=section.shadow if spec.shadow is None else spec.shadow,
    )


def _scorer(name: str, overrides: dict[str, Any], sections: dict[str, dict[str, Any]], key: str) -> Scorer:
    base = sections.get(name, {"kind": name} if name in ("heuristic", "learned", "gain") else None)
    if base is None:
        raise ConfigError(f"{key}.scorer", f"unknown scorer {name!r}: not defined under {SECTION}.scorers")
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
