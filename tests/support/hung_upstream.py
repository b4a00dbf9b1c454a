"""A fake upstream that accepts connections, reads what arrives, and never answers.

This is what a hung provider looks like from LiteLLM: the TCP connection succeeds, the
request is sent, and no byte ever comes back. It runs on a thread of the test process.
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class HungUpstream:
    """`with HungUpstream() as hung:` listens on `hung.url` until the block ends."""

    def __init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", 0))
        self._server.settimeout(0.2)
        self.port = int(self._server.getsockname()[1])
        self.url = f"http://127.0.0.1:{self.port}"
        self._held: list[socket.socket] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, name="hung-upstream", daemon=True)

    @property
    def connections(self) -> int:
        """Connections accepted so far (each one a request LiteLLM sent and waited on)."""
        with self._lock:
            return len(self._held)

    def request_lines(self) -> list[str]:
        """The first line of what each connection sent so far ("" while nothing arrived)."""
        lines = []
        with self._lock:
            for connection in self._held:
                try:
                    head = connection.recv(4096, socket.MSG_PEEK)
                except (BlockingIOError, OSError):
                    head = b""
                lines.append(head.split(b"\r\n", 1)[0].decode("latin-1"))
        return lines

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self._server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.setblocking(False)  # never read to the end: the request just sits there
            with self._lock:
                self._held.append(connection)

    def start(self) -> HungUpstream:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=5)
        self._server.close()
        with self._lock:
            for connection in self._held:
                connection.close()

    def __enter__(self) -> HungUpstream:
        return self.start()

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None,
                 traceback: TracebackType | None) -> None:
        self.stop()
