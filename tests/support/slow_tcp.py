"""A TCP proxy that holds back some of the server's replies: a slow Redis on a busy host.

Requests go through at once (Redis runs the command); a share of the replies wait a random
30-100 ms before they reach the client, in order, as on a host whose cores are busy.
It runs in its own process (`python -m tests.support.slow_tcp`); SIGUSR1 makes it fast,
SIGUSR2 slow again.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import random
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from tests.support.processes import REPO_ROOT, free_port


class SlowTcpProxy:
    """The proxy process, seen from a test."""

    def __init__(self, target_port: int, share: float = 0.3, delay: tuple[float, float] = (0.03, 0.1),
                 fast: bool = False) -> None:
        self.target_port = target_port
        self.port = free_port()
        self.share = share
        self.delay = delay
        self.fast = fast
        self._log = Path(tempfile.mkdtemp(prefix="slow-tcp-")) / "delayed.log"
        self._process: subprocess.Popen[bytes] | None = None

    def start(self) -> SlowTcpProxy:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "tests.support.slow_tcp", str(self.port), str(self.target_port), str(self.share),
             str(self.delay[0]), str(self.delay[1]), str(self._log), *(["--fast"] if self.fast else [])],
            cwd=REPO_ROOT)
        deadline = time.monotonic() + 10
        while not self._log.exists():
            if time.monotonic() > deadline or self._process.poll() is not None:
                raise TimeoutError("the slow TCP proxy did not start")
            time.sleep(0.02)
        return self

    def make_fast(self) -> None:
        """From now on every reply goes through at once."""
        self._signal(signal.SIGUSR1)

    def make_slow(self) -> None:
        """From now on `share` of the replies are held back again."""
        self._signal(signal.SIGUSR2)

    def _signal(self, number: int) -> None:
        assert self._process is not None
        self._process.send_signal(number)
        time.sleep(0.1)

    @property
    def delayed(self) -> int:
        """How many replies were held back so far."""
        return self._log.read_text().count("\n")

    def stop(self) -> None:
        if self._process is not None and self._process.poll() is None:
            self._process.kill()
            self._process.wait(timeout=10)


async def serve(port: int, target_port: int, slow_share: float, fast: bool, delay: tuple[float, float],
                log: Path) -> None:
    share = [0.0 if fast else slow_share]
    chooser = random.Random(21)
    marks = log.with_suffix(".tmp").open("a", buffering=1)

    async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, slow: bool) -> None:
        try:
            while chunk := await reader.read(65536):
                if slow and chooser.random() < share[0]:
                    marks.write("d\n")
                    await asyncio.sleep(chooser.uniform(*delay))
                writer.write(chunk)
                await writer.drain()
        except OSError:
            pass
        finally:
            writer.close()

    async def connection(client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter) -> None:
        try:
            server_reader, server_writer = await asyncio.open_connection("127.0.0.1", target_port)
        except OSError:
            client_writer.close()
            return
        await asyncio.gather(pipe(client_reader, server_writer, False), pipe(server_reader, client_writer, True))

    server = await asyncio.start_server(connection, "127.0.0.1", port)
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, lambda: share.__setitem__(0, 0.0))
    loop.add_signal_handler(signal.SIGUSR2, lambda: share.__setitem__(0, slow_share))
    marks.close()
    log.with_suffix(".tmp").rename(log)  # ready: the test waits for this name
    marks = log.open("a", buffering=1)
    async with server:
        await server.serve_forever()


def main() -> None:
    parser = argparse.ArgumentParser()
    for name in ("port", "target_port"):
        parser.add_argument(name, type=int)
    for name in ("share", "min_delay", "max_delay"):
        parser.add_argument(name, type=float)
    parser.add_argument("log", type=Path)
    parser.add_argument("--fast", action="store_true", help="start with every reply going through at once")
    args = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.port, args.target_port, args.share, args.fast, (args.min_delay, args.max_delay),
                          args.log))


if __name__ == "__main__":
    main()
