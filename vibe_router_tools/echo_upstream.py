"""A fake LLM provider for demos and tests ("echo upstream"), standard library only.

It speaks the OpenAI chat, text-completion and Responses formats and the Anthropic
Messages format, plain and streaming (SSE), well enough for a LiteLLM proxy and the
official SDKs. Every answer is ``echo from <model>: <start of the last user text>``.

With ECHO_WEAK_FAILS_ON set, answers are graded by a hidden rule (vibe_router_tools.echo_quality).
Test hooks: ``GET|DELETE /_echo/requests`` (recorded POSTs) and
``POST|DELETE /_echo/faults`` (``{"<model>": {"status": 500, "delay": 1.5}}``).
This module must not import litellm: it runs in the stock LiteLLM image.
"""

from __future__ import annotations

import argparse
import json
import sys
import threading
import time
from collections import deque
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from vibe_router_tools.echo_formats import ENDPOINTS, Event, Json

MAX_RECORDS = 2000
RECORDED_HEADERS = ("authorization", "x-api-key", "anthropic-version", "content-type")
LISTED_MODELS = ("gpt-5", "gpt-5-mini", "gpt-4o-mini", "claude-sonnet-4-5", "claude-haiku-4-5")


class EchoState:
    """Recorded requests and injected faults, shared by all handler threads."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: deque[Json] = deque(maxlen=MAX_RECORDS)
        self.faults: dict[str, Json] = {}

    def record(self, entry: Json) -> Json:
        """Keep `entry`; return the fault injected for its model ({} if none)."""
        with self.lock:
            self.records.append(entry)
            return dict(self.faults.get(entry["model"], {}))

    def read(self) -> tuple[list[Json], dict[str, Json]]:
        with self.lock:
            return list(self.records), dict(self.faults)

    def update(self, faults: dict[str, Json] | None = None, clear: str = "") -> None:
        """Add faults, and/or clear "requests" (the records) or "faults"."""
        with self.lock:
            self.faults.update(faults or {})
            if clear == "requests":
                self.records.clear()
            elif clear == "faults":
                self.faults.clear()


# ---------------------------------------------------------------- HTTP plumbing

def _api_path(raw_path: str) -> str:
    path = raw_path.split("?", 1)[0].rstrip("/") or "/"
    return path[3:] if path.startswith("/v1/") else path


def error_body(path: str, status: int, message: str) -> Json:
    if path == "/messages":
        return {"type": "error", "error": {"type": "api_error", "message": message}}
    return {"error": {"message": message, "type": "echo_error", "param": None,
                      "code": str(status)}}


class EchoHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: EchoServer

    def log_message(self, format: str, *args: Any) -> None:
        """Stay quiet: no access log lines."""

    def _send_json(self, status: int, payload: Any) -> None:
        self._send_bytes(status, json.dumps(payload).encode(), "application/json")

    def _send_bytes(self, status: int, data: bytes, content_type: str) -> None:
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _send_stream(self, events: Iterator[Event]) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for name, payload in events:
            data = payload if isinstance(payload, str) else json.dumps(payload)
            frame = (f"event: {name}\n" if name else "") + f"data: {data}\n\n"
            self._write_chunk(frame.encode())
        self._write_chunk(b"")

    def _write_chunk(self, data: bytes) -> None:
        self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
        self.wfile.flush()

    def _read_json(self) -> Any:
        raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
        return json.loads(raw) if raw.strip() else {}

    def do_GET(self) -> None:
        path = _api_path(self.path)
        if path == "/healthz":
            self._send_bytes(200, b"ok", "text/plain")
        elif path == "/models":
            data = [{"id": m, "object": "model", "created": 0, "owned_by": "echo"}
                    for m in LISTED_MODELS]
            self._send_json(200, {"object": "list", "data": data})
        elif path == "/_echo/requests":
            self._send_json(200, self.server.state.read()[0])
        elif path == "/_echo/faults":
            self._send_json(200, self.server.state.read()[1])
        else:
            self._send_json(404, error_body(path, 404, f"no route GET {path}"))

    def do_DELETE(self) -> None:
        path = _api_path(self.path)
        if path not in ("/_echo/requests", "/_echo/faults"):
            self._send_json(404, error_body(path, 404, f"no route DELETE {path}"))
            return
        self.server.state.update(clear=path.removeprefix("/_echo/"))
        self._send_json(200, {"ok": True})

    def do_POST(self) -> None:
        path = _api_path(self.path)
        try:
            body = self._read_json()
        except ValueError as exc:
            self._send_json(400, error_body(path, 400, f"invalid JSON body: {exc}"))
            return
        if path == "/_echo/faults":
            self._post_faults(body)
        elif path in ENDPOINTS and isinstance(body, dict):
            self._post_api(path, body)
        elif path in ENDPOINTS:
            self._send_json(400, error_body(path, 400, "the body must be a JSON object"))
        else:
            self._send_json(404, error_body(path, 404, f"no route POST {path}"))

    def _post_faults(self, body: Any) -> None:
        if not isinstance(body, dict) or not all(isinstance(v, dict) for v in body.values()):
            self._send_json(400, {"error": {"message": "expected {model: {status, delay}}"}})
            return
        self.server.state.update(faults=body)
        self._send_json(200, {"ok": True, "faults": self.server.state.read()[1]})

    def _post_api(self, path: str, body: Json) -> None:
        model, stream = str(body.get("model", "")), bool(body.get("stream"))
        headers = {h: self.headers[h] for h in RECORDED_HEADERS if h in self.headers}
        fault = self.server.state.record({"path": self.path.split("?", 1)[0], "model": model,
                                          "stream": stream, "headers": headers, "body": body})
        if fault.get("delay"):
            time.sleep(float(fault["delay"]))
        if fault.get("status"):
            status = int(fault["status"])
            self._send_json(status, error_body(path, status, f"injected fault for {model}"))
            return
        plain, streamed = ENDPOINTS[path]
        try:
            if stream:
                self._send_stream(streamed(model, body))
            else:
                self._send_json(200, plain(model, body))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True


class EchoServer(ThreadingHTTPServer):
    daemon_threads = True
    state: EchoState


def make_server(host: str, port: int) -> ThreadingHTTPServer:
    """Bind an echo upstream on host:port (port 0 picks a free one); call serve_forever()."""
    server = EchoServer((host, port), EchoHandler)
    server.state = EchoState()
    return server


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="echo-upstream", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="interface (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8399, help="port, 0 = any (default 8399)")
    args = parser.parse_args(argv)
    try:
        server = make_server(args.host, args.port)
    except OSError as exc:
        print(f"echo upstream: cannot listen on {args.host}:{args.port}: {exc}", file=sys.stderr)
        return 1
    host, port = server.server_address[:2]
    print(f"echo upstream listening on http://{host}:{port}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
