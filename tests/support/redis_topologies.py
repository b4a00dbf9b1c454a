"""A real 3-master Redis Cluster, and a real Sentinel setup (master, replica, 3 sentinels, quorum 2).

Every process is the Debian redis-server on loopback, on free ports, in a temporary directory
that `stop()` removes. Both setups use passwords, so the variables that carry them are tested.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import redis

from tests.support.processes import free_port
from vibe_router.redis_connection import RedisConnection

DATA_PASSWORD = "topo/pass#word@x:y"
SENTINEL_PASSWORD = "sentinel-secret-7"
SERVICE = "vibemaster"


def _executable(name: str) -> str:
    found = shutil.which(name)
    if found is None:
        raise FileNotFoundError(f"{name} is not installed (./test.sh installs redis-server and redis-tools)")
    return found


def wait_for(check: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except (redis.RedisError, OSError):
            pass
        time.sleep(0.05)
    raise TimeoutError(what)


class _Processes:
    """redis-server processes by port, in one temporary directory."""

    def __init__(self, prefix: str) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix=prefix))
        self.processes: dict[int, subprocess.Popen[bytes]] = {}
        self.arguments: dict[int, list[str]] = {}

    def spawn(self, port: int, arguments: list[str]) -> None:
        self.arguments[port] = arguments
        log = open(self.directory / f"{port}.log", "ab")  # noqa: SIM115 (the process keeps it)
        self.processes[port] = subprocess.Popen([_executable("redis-server"), *arguments], cwd=self.directory,
                                                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        log.close()

    def kill(self, port: int) -> None:
        process = self.processes.get(port)
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGKILL)
            process.wait(timeout=10)

    def restart(self, port: int) -> None:
        self.spawn(port, self.arguments[port])

    def stop(self) -> None:
        for port in list(self.processes):
            self.kill(port)
        shutil.rmtree(self.directory, ignore_errors=True)


def _data_client(port: int, timeout: float = 2.0) -> redis.Redis:
    return redis.Redis(host="127.0.0.1", port=port, password=DATA_PASSWORD, socket_timeout=timeout)


class RedisClusterSetup:
    """Three masters, no replicas: slots 0-16383 split by `redis-cli --cluster create`."""

    def __init__(self, masters: int = 3) -> None:
        self.procs = _Processes("vibe-redis-cluster-")
        self.ports = [free_port() for _ in range(masters)]

    def start(self) -> RedisClusterSetup:
        try:
            for port in self.ports:
                self.procs.spawn(port, [
                    "--port", str(port), "--bind", "127.0.0.1", "--cluster-enabled", "yes",
                    "--cluster-port", str(free_port()), "--cluster-config-file", f"nodes-{port}.conf",
                    "--cluster-node-timeout", "1000", "--save", "", "--appendonly", "no",
                    "--requirepass", DATA_PASSWORD, "--masterauth", DATA_PASSWORD, "--dbfilename", f"{port}.rdb"])
            for port in self.ports:
                wait_for(lambda port=port: _data_client(port).ping(), 10, f"cluster node {port} did not start")
            subprocess.run([_executable("redis-cli"), "--cluster", "create",
                            *(f"127.0.0.1:{port}" for port in self.ports), "--cluster-yes"],
                           check=True, capture_output=True, timeout=30,
                           env={**os.environ, "REDISCLI_AUTH": DATA_PASSWORD})
            self.wait_ok()
            return self
        except BaseException:
            self.stop()
            raise

    def wait_ok(self, timeout: float = 20.0) -> None:
        def ok() -> bool:
            return all(_data_client(port).cluster("info")["cluster_state"] == "ok" for port in self.ports)

        wait_for(ok, timeout, "the cluster did not reach cluster_state:ok")

    def env(self) -> dict[str, str]:
        """LiteLLM's variables for this cluster."""
        nodes = [{"host": "127.0.0.1", "port": port} for port in self.ports]
        return {"REDIS_CLUSTER_NODES": json.dumps(nodes), "REDIS_PASSWORD": DATA_PASSWORD}

    def connection(self) -> RedisConnection:
        connection = RedisConnection.from_env(self.env())
        assert connection is not None
        return connection

    def client(self) -> redis.RedisCluster:
        return redis.RedisCluster(host="127.0.0.1", port=self.ports[0], password=DATA_PASSWORD, socket_timeout=2)

    def port_of(self, key: str) -> int:
        """The port of the master that holds `key`'s slot."""
        return int(self.client().get_node_from_key(key).port)

    def kill(self, port: int) -> None:
        self.procs.kill(port)

    def restart(self, port: int) -> None:
        """The node comes back on its port with its nodes.conf (its slots) and no data."""
        self.procs.restart(port)
        wait_for(lambda: _data_client(port).ping(), 10, f"cluster node {port} did not restart")
        self.wait_ok()

    def stop(self) -> None:
        self.procs.stop()


class SentinelSetup:
    """A master, a replica of it, and three sentinels that fail over with a quorum of two."""

    def __init__(self, sentinels: int = 3, down_after_ms: int = 1000) -> None:
        self.procs = _Processes("vibe-redis-sentinel-")
        self.master_port, self.replica_port = free_port(), free_port()
        self.sentinel_ports = [free_port() for _ in range(sentinels)]
        self.down_after_ms = down_after_ms

    def start(self) -> SentinelSetup:
        try:
            data = ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--requirepass", DATA_PASSWORD,
                    "--masterauth", DATA_PASSWORD, "--repl-diskless-sync-delay", "0"]
            self.procs.spawn(self.master_port, ["--port", str(self.master_port), *data])
            self.procs.spawn(self.replica_port, ["--port", str(self.replica_port), *data,
                                                 "--replicaof", "127.0.0.1", str(self.master_port)])
            wait_for(lambda: _data_client(self.replica_port).info("replication")["master_link_status"] == "up",
                     15, "the replica did not sync")
            for port in self.sentinel_ports:
                path = self.procs.directory / f"sentinel-{port}.conf"
                path.write_text("\n".join([
                    f"port {port}", "bind 127.0.0.1", f"dir {self.procs.directory}",
                    f"requirepass {SENTINEL_PASSWORD}", f"sentinel sentinel-pass {SENTINEL_PASSWORD}",
                    f"sentinel monitor {SERVICE} 127.0.0.1 {self.master_port} 2",
                    f"sentinel auth-pass {SERVICE} {DATA_PASSWORD}",
                    f"sentinel down-after-milliseconds {SERVICE} {self.down_after_ms}",
                    f"sentinel failover-timeout {SERVICE} 2000", ""]))
                self.procs.spawn(port, [str(path), "--sentinel"])
            wait_for(self._sentinels_agree, 15, "the sentinels did not find each other and the replica")
            return self
        except BaseException:
            self.stop()
            raise

    def sentinel(self, port: int) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=port, password=SENTINEL_PASSWORD, socket_timeout=2)

    def _sentinels_agree(self) -> bool:
        for port in self.sentinel_ports:
            master = self.sentinel(port).sentinel_master(SERVICE)
            if master["num-other-sentinels"] < len(self.sentinel_ports) - 1 or master["num-slaves"] < 1:
                return False
        return True

    def master_port_now(self) -> int:
        """The master's port as a majority of the sentinels name it."""
        named: dict[int, int] = {}
        for port in self.sentinel_ports:
            try:
                _, master = self.sentinel(port).sentinel_get_master_addr_by_name(SERVICE)
            except (redis.RedisError, TypeError):
                continue
            named[int(master)] = named.get(int(master), 0) + 1
        return max(named, key=lambda port: named[port]) if named else self.master_port

    def wait_for_new_master(self, old: int, timeout: float = 20.0) -> int:
        """Wait until the sentinels name another master and it accepts writes; its port."""
        def promoted() -> bool:
            port = self.master_port_now()
            return port != old and _data_client(port).info("replication")["role"] == "master"

        wait_for(promoted, timeout, "no failover happened")
        return self.master_port_now()

    def failover(self) -> None:
        """SENTINEL FAILOVER: the replica is promoted, the old master demoted to its replica."""
        self.sentinel(self.sentinel_ports[0]).execute_command("SENTINEL", "FAILOVER", SERVICE)

    def env(self) -> dict[str, str]:
        """LiteLLM's variables for this setup."""
        return {"REDIS_SENTINEL_NODES": json.dumps([["127.0.0.1", port] for port in self.sentinel_ports]),
                "REDIS_SERVICE_NAME": SERVICE, "REDIS_PASSWORD": DATA_PASSWORD,
                "REDIS_SENTINEL_PASSWORD": SENTINEL_PASSWORD}

    def connection(self) -> RedisConnection:
        connection = RedisConnection.from_env(self.env())
        assert connection is not None
        return connection

    def data_client(self, port: int) -> redis.Redis:
        return _data_client(port)

    def kill(self, port: int) -> None:
        self.procs.kill(port)

    def stop(self) -> None:
        self.procs.stop()


def values(client: Any, keys: list[str]) -> list[Any]:
    """Each key's value, read one key at a time (the keys may sit in different slots)."""
    return [client.get(key) for key in keys]
