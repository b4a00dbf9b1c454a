from __future__ import annotations

import logging
import os
from collections.abc import Iterator

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")
os.environ.setdefault("LITELLM_TELEMETRY_DISABLED", "true")

import pytest

from tests.support.logs import Captured
from tests.support.processes import EchoUpstream, Proxy, start_echo_upstream
from tests.support.redis_server import RedisServer
from tests.support.redis_topologies import RedisClusterSetup, SentinelSetup
from tests.support.stack import start_routed_proxy


@pytest.fixture(scope="session")
def echo() -> Iterator[EchoUpstream]:
    upstream = start_echo_upstream()
    yield upstream
    upstream.stop()


@pytest.fixture(scope="session")
def proxy(echo: EchoUpstream) -> Iterator[Proxy]:
    """The repo's config_final.yaml in a real LiteLLM proxy, pools on the echo upstream."""
    running = start_routed_proxy(echo)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def redis_server() -> Iterator[RedisServer]:
    """A real redis-server on loopback for one test module, which may kill and restart it."""
    server = RedisServer().start()
    yield server
    server.kill()


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterSetup]:
    """A real 3-master Redis Cluster on loopback for one test module."""
    setup = RedisClusterSetup().start()
    yield setup
    setup.stop()


@pytest.fixture(scope="module")
def sentinel() -> Iterator[SentinelSetup]:
    """A real Sentinel setup (master, replica, 3 sentinels, quorum 2) for one test module, which may fail it over."""
    setup = SentinelSetup().start()
    yield setup
    setup.stop()


@pytest.fixture
def captured() -> Iterator[Captured]:
    """The router's log lines emitted during one test."""
    handler = Captured()
    logger = logging.getLogger("vibe_router")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)
