"""What each pool costs: its model_info in the config, else a price look-up (LiteLLM's cost map).

The look-up is passed in (`plugin.litellm_model_info`), so this module imports no litellm.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from vibe_router.config import RouterConfig
from vibe_router.config_conversation import Price

ModelInfo = Callable[[str], Mapping[str, Any]]


def unpriced_pools(config: RouterConfig, model_info: ModelInfo) -> list[tuple[str, str]]:
    """(name, model) of the deployments the router sends to that neither the config nor LiteLLM prices."""
    used = set(config.virtual_models)
    for virtual in config.virtual_models.values():
        used.update(tier.pool for tier in virtual.tiers)
        used.update(virtual.scenarios.pools)
    unpriced = []
    for deployment in config.deployments:
        if deployment.name in used and deployment.model and not deployment.priced \
                and not model_info(deployment.model).get("input_cost_per_token"):
            unpriced.append((deployment.name, deployment.model))
    return unpriced


def pool_prices(config: RouterConfig, model_info: ModelInfo) -> dict[str, Price]:
    """Each deployment's price as LiteLLM charges it: its model_info, else LiteLLM's cost map."""
    prices = {}
    for deployment in config.deployments:
        if deployment.price is not None:
            prices[deployment.name] = deployment.price
            continue
        info = model_info(deployment.model) if deployment.model else {}
        if info.get("input_cost_per_token") is not None and info.get("output_cost_per_token") is not None:
            prices[deployment.name] = Price(info["input_cost_per_token"] * 1_000_000,
                                            info["output_cost_per_token"] * 1_000_000)
    return prices
