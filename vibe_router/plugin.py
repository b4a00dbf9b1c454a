"""The LiteLLM adapter: the only module that imports litellm.

LiteLLM dispatches `async_pre_call_hook` only when it is defined on the registered
object's own class, so every hook below lives on `VibeRouter` itself.
"""

from __future__ import annotations

import json
import logging
import os
import sys
import time
from collections.abc import Callable
from typing import Any

import httpx
import litellm
from fastapi import HTTPException
from litellm.integrations.custom_logger import CustomLogger

from vibe_router import logs, metrics, pricing
from vibe_router.capture import Capture, outcome_of
from vibe_router.config import ConfigError, RouterConfig, load_config, resolve_config_path
from vibe_router.config_conversation import Price
from vibe_router.log_lines import decision_json, decision_line, outcome_json, outcome_line
from vibe_router.logs import log, preview, request_line
from vibe_router.proxy_metadata import (
    METADATA_KEY,
    RoutingRecord,
    caller,
    find_record,
    mark_spend,
    request_headers,
    request_metadata,
)
from vibe_router.redis_clients import sync_client
from vibe_router.router import Router, RouteRequest
from vibe_router.sessions import SessionStore
from vibe_router.wire import BY_CALL_TYPE, WireFormat

OVERRIDE_HEADER = "x-vibe-router-override"
CAPTURE_REDIS_TIMEOUT_S = 1.0  # the capture writer's thread waits at most this long on Redis
CONFIG_ERROR_EXIT = 78  # EX_CONFIG
class InvalidRequest(HTTPException):
    """A 400 naming the field: LiteLLM puts `type` and `param` at the top level of the error object,
    where the OpenAI SDKs read them (`error.param`). Anthropic's error object has no `param`, and
    LiteLLM's /v1/messages passes only `provider_specific_fields` along: the field goes there too."""

    type = "invalid_request_error"

    def __init__(self, message: str, param: str, wire: WireFormat) -> None:
        super().__init__(status_code=400, detail=message)
        self.message = message  # /v1/completions reads this (else str(self): "400: ...")
        self.param = param
        self.provider_specific_fields = {"param": param} if wire.error_param_in_provider_fields else None


class VibeRouter(CustomLogger):
    """Rewrites a virtual model to the pool its request needs."""

    def __init__(self, config: RouterConfig, store: SessionStore | None = None) -> None:
        super().__init__()
        self.router = Router(config, store)
        self.policy = self.router.policy
        self.metrics = self.router.metrics
        self.capture = Capture(config.capture, _sync_redis(config) if config.capture.redis_stream else None)

    async def async_pre_call_hook(self, user_api_key_dict: Any, cache: Any, data: dict, call_type: Any) -> dict:
        wire = BY_CALL_TYPE.get(str(call_type))  # `wire.for_call_type`, without a call
        if wire is None or not isinstance(data, dict):
            return data
        virtual = self.policy.virtual_model_for(data.get("model"))
        if virtual is None:
            return data
        endpoint = wire.endpoint
        self._reject_forbidden_shape(wire, data)
        try:
            await self._route(endpoint, data, user_api_key_dict)
        except Exception as exc:  # a router failure never fails the request
            log.error(
                "ROUTING FAILURE virtual_model=%s endpoint=%s error=%s: fail open to the virtual model's deployment",
                virtual.name, endpoint, type(exc).__name__,
            )
            data["model"] = virtual.name
            request_metadata(data, endpoint)[METADATA_KEY] = RoutingRecord(virtual_model=virtual.name, fail_open=True)
            self.router.count_fields(virtual.name, {"fail_open": 1})
        return data

    def _reject_forbidden_shape(self, wire: WireFormat, data: dict) -> None:
        """A body the wire format forbids gets a 400 naming the field, not LiteLLM's slow 500."""
        if not self.policy.config.reject_malformed:
            return
        endpoint = wire.endpoint
        try:
            problem = wire.shape_error(data, start=self.policy.known_prefix(endpoint, data))
        except Exception:  # the check itself must never fail a request
            return
        if problem:
            self.metrics.reject(endpoint)
            log.warning("REJECTED virtual_model=%s endpoint=%s: %s", data.get("model"), endpoint, problem)
            raise InvalidRequest(f"vibe-router: invalid request: {problem}", problem.split(":", 1)[0], wire)

    async def _route(self, endpoint: str, data: dict, user_api_key_dict: Any) -> None:
        started = time.perf_counter()
        metadata = request_metadata(data, endpoint)
        request = RouteRequest(endpoint, data, request_headers(data, metadata), caller(user_api_key_dict, metadata))
        routed = await self.router.route(request)
        if routed is None:
            return
        decision = routed.decision
        record = RoutingRecord(decision.record())
        elapsed = time.perf_counter() - started
        self.metrics.observe_decision(elapsed)
        record["decision_ms"] = round(elapsed * 1_000_000) / 1000  # round(x, 3) is slower
        if routed.override_refused:  # the caller learns why its override did nothing, not only the log
            record["headers"] = {**record["headers"], OVERRIDE_HEADER: f"refused: {routed.override_refused}"}
        if not decision.shadow:
            data["model"] = decision.pool
        turn = routed.turn
        if self.capture.wants(decision.decided_by, turn.continuation, turn.carries_reasoning):
            record["capture"] = self.capture.begin(data, turn, decision.spend_record())
        metadata[METADATA_KEY] = record
        mark_spend(metadata, decision)
        show_preview = self.policy.config.log_preview and not litellm.turn_off_message_logging
        text_preview = preview(routed.turn.text) if show_preview else None
        if bool(litellm.json_logs) != logs.json_lines():  # the config's json_logs may come after callbacks
            logs.use_json_lines(bool(litellm.json_logs))
        request_line(logging.INFO, decision_json if litellm.json_logs else decision_line, decision,
                     record["decision_ms"], text_preview, routed.turn)

    async def async_post_call_response_headers_hook(
        self,
        data: dict,
        user_api_key_dict: Any,
        response: Any,
        request_headers: Any = None,
        litellm_call_info: Any = None,
    ) -> dict[str, str] | None:
        record = find_record(data)
        if not record or record.get("fail_open"):
            return {"x-vibe-router-fail-open": "true"} if record else None
        headers = record.get("headers")
        return dict(headers) if isinstance(headers, dict) else None

    async def async_post_call_failure_hook(
        self,
        request_data: dict,
        original_exception: Exception,
        user_api_key_dict: Any,
        traceback_str: str | None = None,
    ) -> HTTPException | None:
        """A 401 for a missing or unknown key where LiteLLM without a database answers 500 or 400."""
        try:
            return unauthenticated(original_exception)
        except Exception:  # never make a failure worse: LiteLLM answers as it would have
            return None

    async def async_log_success_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._log_outcome("SUCCESS", kwargs, start_time, end_time)

    async def async_log_failure_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._log_outcome("FAILURE", kwargs, start_time, end_time)

    def _log_outcome(self, outcome: str, kwargs: dict, start_time: Any, end_time: Any) -> None:
        try:
            logged = kwargs.get("standard_logging_object") or {}
            self._track_health(outcome, kwargs, logged)
            record = find_record(kwargs.get("litellm_params") or {}) or find_record(kwargs)
            if not record:
                return
            latency_ms = (end_time - start_time).total_seconds() * 1000
            served = logged.get("model_group") or kwargs.get("model") or record.get("pool")
            request_line(logging.INFO if outcome == "SUCCESS" else logging.WARNING,
                         outcome_json if litellm.json_logs else outcome_line, outcome, record, served, latency_ms)
            if record.get("capture"):
                self.capture.finish(record["capture"], outcome_of(outcome, kwargs, logged, served, latency_ms))
            if outcome == "SUCCESS":
                fields: dict[str, float] = {
                    f"tokens_in:{served}": int(logged.get("prompt_tokens") or 0),
                    f"tokens_out:{served}": int(logged.get("completion_tokens") or 0),
                }
                cost = logged.get("response_cost")
                if isinstance(cost, int | float) and cost > 0:
                    fields[f"cost_usd:{served}"] = float(cost)
                self.router.count_fields(record["virtual_model"], fields)
            else:
                self.router.count_fields(record["virtual_model"], {f"failures:{served}": 1})
        except Exception as exc:  # logging must never disturb a request
            log.debug("outcome log skipped: %s", exc)

    def _track_health(self, outcome: str, kwargs: dict, logged: dict) -> None:
        """Tell the pool's health what happened to one call to it (any caller's, a fallback's too)."""
        pool = logged.get("model_group") or ((kwargs.get("litellm_params") or {}).get("metadata") or {}).get(
            "model_group")
        if pool not in self.policy.config.pools:
            return
        health = self.router.health
        if outcome == "SUCCESS":
            change = health.succeeded(pool)
        else:
            error = pool_fault(kwargs.get("exception"))
            change = health.failed(pool, error) if error else None
        if change is None:
            return
        if change.kind == "recovered":
            log.info("POOL RECOVERED pool=%s after failures=%d: routed to again", change.pool, change.failures)
        else:
            log.warning("POOL COOLDOWN pool=%s failures=%d error=%s cooldown_s=%g: its requests go to the next "
                        "tier up (decided_by=health) until a probe succeeds", change.pool, change.failures,
                        change.error, change.cooldown_seconds)


# LiteLLM 1.108.7's auth, with a master key and no database: no key raises a bare Exception whose
# error path imports `prisma` (absent without a database) and so ends in a 500; a key that is not
# the master key raises "No connected db." with code 400.
MISSING_KEY_MESSAGES = ("No api key passed in.", "Malformed API Key passed in.")


def unauthenticated(exception: Exception) -> HTTPException | None:
    """The 401 for an auth failure that LiteLLM would answer otherwise, or None to leave it be."""
    from litellm.proxy._types import ProxyErrorTypes, ProxyException  # loaded by the proxy; 90 ms anywhere else

    if isinstance(exception, ProxyException) and exception.type == ProxyErrorTypes.no_db_connection:
        message = "invalid API key"
    elif type(exception) is Exception and str(exception).startswith(MISSING_KEY_MESSAGES):
        message = "missing API key: send `Authorization: Bearer <key>`"
    else:
        return None
    return HTTPException(status_code=401, detail=f"Authentication Error: {message}")


# Upstream answers that say the pool itself is unwell (not the request): auth or quota of its own key,
# an unknown model, a timeout, rate limits, server errors.
POOL_FAULT_STATUSES = frozenset({401, 402, 403, 404, 408, 429})
CHAIN_LIMIT = 12


def pool_fault(exception: BaseException | None) -> str | None:
    """What went wrong, when a failed call is the pool's fault: "Timeout", a connection error's name,
    or "HTTP_<status>" of an upstream answer. None when the request was at fault (the upstream said
    400) or when the call never reached the upstream (LiteLLM's own errors, which it also reports
    as 500s: "Unmapped prompt format" is an APIConnectionError with no network error behind it)."""
    for link in _chain(exception):
        if isinstance(link, (litellm.Timeout, httpx.TimeoutException, TimeoutError)):
            return "Timeout"
        if isinstance(link, httpx.HTTPStatusError):
            status = link.response.status_code
            return f"HTTP_{status}" if status in POOL_FAULT_STATUSES or status >= 500 else None
        if isinstance(link, (httpx.TransportError, ConnectionError)):
            return type(link).__name__
    return None


def _chain(exception: BaseException | None) -> list[BaseException]:
    """The exception and those behind it (causes, contexts, LiteLLM's `original_exception`), nearest first."""
    found: list[BaseException] = []
    waiting = [exception]
    while waiting and len(found) < CHAIN_LIMIT:
        link = waiting.pop(0)
        if not isinstance(link, BaseException) or any(link is seen for seen in found):
            continue
        found.append(link)
        waiting += [link.__cause__, link.__context__, getattr(link, "original_exception", None)]
    return found


def _sync_redis(config: RouterConfig) -> Callable[[], Any]:
    """A synchronous Redis client for the capture writer's thread, made on first use."""
    made: list[Any] = []

    def client() -> Any:
        if not made:
            assert config.redis.connection is not None  # the config refuses a stream without Redis
            # One attempt per record: a dead Redis is a drop, not a stall.
            made.append(sync_client(config.redis.connection, CAPTURE_REDIS_TIMEOUT_S, retries=False))
        return made[0]

    return client


def litellm_model_info(model: str) -> dict[str, Any]:
    """LiteLLM's model info (its prices among it); quietly empty for a model it does not know at all."""
    quiet, litellm.suppress_debug_info = litellm.suppress_debug_info, True  # no provider-list banner
    try:
        return dict(litellm.get_model_info(model))
    except Exception:
        return {}
    finally:
        litellm.suppress_debug_info = quiet


def pool_prices(config: RouterConfig) -> dict[str, Price]:
    """Each deployment's price as LiteLLM charges it: its model_info, else LiteLLM's cost map."""
    return pricing.pool_prices(config, litellm_model_info)


def unpriced_pools(config: RouterConfig) -> list[tuple[str, str]]:
    """(name, model) of the deployments the router sends to that neither the config nor LiteLLM prices."""
    return pricing.unpriced_pools(config, litellm_model_info)


def _config_path() -> str:
    if os.environ.get("VIBE_ROUTER_CONFIG"):
        return os.environ["VIBE_ROUTER_CONFIG"]
    proxy_server = sys.modules.get("litellm.proxy.proxy_server")
    proxy_config = getattr(proxy_server, "user_config_file_path", None)
    return str(resolve_config_path(proxy_config or os.environ.get("CONFIG_FILE_PATH")))


def build_router_instance() -> VibeRouter:
    """Load the policy; a bad config stops the proxy with one line that names the key."""
    path = _config_path()
    logs.use_json_lines(bool(litellm.json_logs))
    try:
        config = load_config(path)
    except ConfigError as exc:
        line = f"config error in {path} at {exc.key}: {exc.message}"
        if litellm.json_logs:
            line = json.dumps({"level": "ERROR", "component": "vibe_router", "message": line})
        else:
            line = f"[VIBE-ROUTER] {line}"
        print(line, file=sys.stderr, flush=True)
        # Exit here rather than raise: the proxy would bury the line under a long traceback.
        os._exit(CONFIG_ERROR_EXIT)
    log.info(
        "plugin loaded: config=%s virtual_models=%s pools=%d sessions=%s",
        path, ",".join(config.virtual_models), len(config.pools),
        config.redis.connection.describe() if config.redis.connection else "in-process (no Redis variable set)",
    )
    for name, model in unpriced_pools(config):
        log.warning("UNPRICED POOL pool=%s model=%s: LiteLLM has no price for this model, so it logs no spend for "
                    "it and looks for one on every request (CPU); give its model_list entry model_info "
                    "input_cost_per_token and output_cost_per_token", name, model or "-")
    for virtual in config.virtual_models.values():
        if virtual.unavailable:
            log.error("SCORER UNAVAILABLE virtual_model=%s: %s: its requests fail open to the virtual model's "
                      "deployment until the model file is fixed", virtual.name, virtual.unavailable)
    instance = VibeRouter(config)
    metrics.register(lambda: instance)
    return instance
