"""A LiteLLM callback for tests: writes what LiteLLM's spend logs would keep of each request.

It appends, per successful or failed request, the standard logging payload's `request_tags`
and `metadata.spend_logs_metadata` (the fields LiteLLM's spend-log row is made from) as one
JSON line to $SPEND_SPY_FILE. Loaded from a test config's `litellm_settings.callbacks`.
"""

from __future__ import annotations

import json
import os
from typing import Any

from litellm.integrations.custom_logger import CustomLogger


class SpendSpy(CustomLogger):
    async def async_log_success_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._write(kwargs)

    async def async_log_failure_event(self, kwargs: dict, response_obj: Any, start_time: Any, end_time: Any) -> None:
        self._write(kwargs)

    def _write(self, kwargs: dict) -> None:
        payload = kwargs.get("standard_logging_object") or {}
        row = {"model_group": payload.get("model_group"), "request_tags": payload.get("request_tags"),
               "spend_logs_metadata": (payload.get("metadata") or {}).get("spend_logs_metadata")}
        with open(os.environ["SPEND_SPY_FILE"], "a", encoding="utf-8") as out:
            out.write(json.dumps(row) + "\n")


spy = SpendSpy()
