"""A fast fake upstream for the overhead benchmark: fixed tiny answers, one asyncio loop.

The repo's echo upstream parses and records every body (80 KB each here) in a thread per
connection; on a 2-core machine that competes with the proxy being measured. This one
reads the body, picks `model` and `stream` out of it with a regex, and sends a precomputed
answer in the echo upstream's formats (OpenAI chat, completions, Responses; Anthropic
Messages; plain or SSE). Standard library only.

    python -m bench.upstream --port 0     # prints "echo upstream listening on http://..."
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import re
import sys

from vibe_router_tools.echo_formats import ENDPOINTS
from vibe_router_tools.echo_upstream import LISTED_MODELS

MODEL = re.compile(rb'"model"\s*:\s*"([^"]{1,200})"')
STREAM = re.compile(rb'"stream"\s*:\s*true')
TINY_BODY = {"messages": [{"role": "user", "content": "hi"}]}
MAX_HEADER_BYTES = 64 * 1024

_answers: dict[tuple[str, str, bool], tuple[bytes, bytes]] = {}


def answer_for(path: str, model: str, stream: bool) -> tuple[bytes, bytes]:
    """(content type, body) of the fixed answer for an API path, model and stream flag."""
    key = (path, model, stream)
    if key not in _answers:
        plain, streamed = ENDPOINTS[path]
        if stream:
            frames = []
            for name, payload in streamed(model, {"model": model, **TINY_BODY}):
                data = payload if isinstance(payload, str) else json.dumps(payload)
                frames.append((f"event: {name}\n" if name else "") + f"data: {data}\n\n")
            _answers[key] = (b"text/event-stream", "".join(frames).encode())
        else:
            _answers[key] = (b"application/json", json.dumps(plain(model, {"model": model, **TINY_BODY})).encode())
    return _answers[key]


def respond(method: bytes, target: bytes, body: bytes) -> tuple[int, bytes, bytes]:
    path = target.split(b"?", 1)[0].decode("latin-1").rstrip("/") or "/"
    path = path[3:] if path.startswith("/v1/") else path
    if method == b"GET" and path == "/healthz":
        return 200, b"text/plain", b"ok"
    if method == b"GET" and path == "/models":
        data = [{"id": m, "object": "model", "created": 0, "owned_by": "echo"} for m in LISTED_MODELS]
        return 200, b"application/json", json.dumps({"object": "list", "data": data}).encode()
    if method == b"POST" and path in ENDPOINTS:
        found = MODEL.search(body)
        model = found.group(1).decode("utf-8", "replace") if found else "echo"
        content_type, payload = answer_for(path, model, STREAM.search(body) is not None)
        return 200, content_type, payload
    return 404, b"application/json", json.dumps({"error": {"message": f"no route {path}"}}).encode()


async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Serve keep-alive HTTP/1.1 requests with Content-Length bodies until the client closes."""
    try:
        while True:
            head = await reader.readuntil(b"\r\n\r\n")
            request_line, _, header_block = head.partition(b"\r\n")
            method, target, _ = request_line.split(b" ", 2)
            length, close = 0, False
            for line in header_block.split(b"\r\n"):
                name, _, value = line.partition(b":")
                name = name.strip().lower()
                if name == b"content-length":
                    length = int(value)
                elif name == b"connection" and value.strip().lower() == b"close":
                    close = True
            body = await reader.readexactly(length) if length else b""
            status, content_type, payload = respond(method, target, body)
            reason = b"OK" if status == 200 else b"Not Found"
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n%s\r\n%s" % (
                status, reason, content_type, len(payload), b"Connection: close\r\n" if close else b"", payload))
            await writer.drain()
            if close:
                break
    except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError, ValueError):
        pass
    finally:
        writer.close()


async def serve(host: str, port: int) -> None:
    server = await asyncio.start_server(handle, host, port, limit=MAX_HEADER_BYTES, backlog=512)
    bound_host, bound_port = server.sockets[0].getsockname()[:2]
    print(f"echo upstream listening on http://{bound_host}:{bound_port}", flush=True)
    async with server:
        await server.serve_forever()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="bench.upstream", description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0, help="0 = any free port (default)")
    args = parser.parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(serve(args.host, args.port))
    return 0


if __name__ == "__main__":
    sys.exit(main())
