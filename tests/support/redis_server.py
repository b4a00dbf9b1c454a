"""A real redis-server on loopback that tests can kill and restart on the same port."""

from __future__ import annotations

import shutil
import subprocess
import time
from urllib.parse import quote

import redis

from tests.support.processes import free_port
from vibe_router.redis_connection import RedisConnection


class RedisServer:
    def __init__(self, password: str = "vibe-test-redis") -> None:
        executable = shutil.which("redis-server")
        if executable is None:
            raise FileNotFoundError("redis-server is not installed (./test.sh installs it with apt-get)")
        self.executable = executable
        self.port = free_port()
        self.password = password
        self.process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        """A URL for the server, the password percent-encoded (as a URL needs it)."""
        return f"redis://:{quote(self.password, safe='')}@127.0.0.1:{self.port}/0"

    def connection(self) -> RedisConnection:
        return RedisConnection(host="127.0.0.1", port=self.port, password=self.password)

    def env(self) -> dict[str, str]:
        """The variables LiteLLM and vibe-router read."""
        return {"REDIS_HOST": "127.0.0.1", "REDIS_PORT": str(self.port), "REDIS_PASSWORD": self.password}

    def client(self) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, password=self.password, socket_timeout=2)

    def start(self, timeout: float = 10.0) -> RedisServer:
        self.process = subprocess.Popen(
            [self.executable, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--requirepass", self.password],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + timeout
        try:
            while time.monotonic() < deadline:
                try:
                    if self.client().ping():
                        return self
                except redis.RedisError:
                    time.sleep(0.05)
            raise TimeoutError(f"redis-server did not answer on port {self.port}")
        except BaseException:  # a fixture that fails here never reaches its kill(): do it now
            self.kill()
            raise

    def kill(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
