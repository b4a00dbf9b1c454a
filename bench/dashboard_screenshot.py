"""docs/grafana/dashboard.png: the Grafana dashboard's queries over real traffic, drawn by Prometheus.

    .venv-dev/bin/python -m bench.dashboard_screenshot [--seconds 150] [--out docs/grafana/dashboard.png]

It starts the echo upstream, redis-server, a real proxy with the plugin and LiteLLM's
`prometheus` callback, and Debian's Prometheus scraping its /metrics every second. It sends
conversations to the three virtual models for `--seconds`, kills Redis for a tenth of that in
the middle, and then has headless Chromium take a screenshot of Prometheus' own graph page
showing the dashboard's main queries. (Grafana is not installable on the development host;
tests/test_e2e_dashboard.py checks that every query of docs/grafana/vibe-router.json is
answered by the same kind of Prometheus.)
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
import tempfile
import time
import urllib.parse
from pathlib import Path

import openai

from bench.report_screenshot import screenshot
from tests.support.configs import config_variant
from tests.support.processes import REPO_ROOT, start_echo_upstream
from tests.support.prometheus import Prometheus, dashboard, panel_queries, with_prometheus
from tests.support.quality_lab import lab_prompts
from tests.support.redis_server import RedisServer
from tests.support.stack import start_routed_proxy

SHOWN = {  # (panel, legend) of the queries drawn, in the dashboard's order
    ("Share routed cheap", "{{virtual_model}}"), ("What decided", "{{decided_by}}"),
    ("Decision time", "p50"), ("Decision time", "p99"),
    ("Cost per pool (LiteLLM's response_cost)", "{{pool}}"), ("Redis", "up (1) / down (0)"),
}
VIRTUAL_MODELS = ("auto-chat", "auto-claude", "auto-codex")


def conversations(proxy_url: str, key: str, seconds: float, redis_server: RedisServer) -> int:
    """Conversations of 1-4 turns from the lab's prompts until `seconds` pass; Redis away for a tenth."""
    client = openai.OpenAI(base_url=f"{proxy_url}/v1", api_key=key, max_retries=0)
    chooser, prompts = random.Random(7), lab_prompts()
    started, sent, outage, down = time.monotonic(), 0, (0.45 * seconds, 0.55 * seconds), False
    for number in itertools.count():
        elapsed = time.monotonic() - started
        if elapsed > seconds:
            return sent
        if not down and outage[0] <= elapsed < outage[1]:
            redis_server.kill()
            down = True
        elif down and elapsed >= outage[1]:
            redis_server.start()
            down = False
        model, messages = VIRTUAL_MODELS[number % 3], []
        for _ in range(chooser.randint(1, 4)):
            messages.append({"role": "user", "content": chooser.choice(prompts)})
            reply = client.chat.completions.create(model=model, messages=list(messages),
                                                   extra_headers={"x-session-id": f"dash-{number}"})
            messages.append({"role": "assistant", "content": reply.choices[0].message.content or ""})
            sent += 1
        time.sleep(0.05)
    return sent


def graph_urls(prometheus: Prometheus, seconds: float) -> list[tuple[str, str]]:
    """(panel title and legend, Prometheus' graph page for that query) for the shown panels."""
    urls = []
    for title, legend, expr in panel_queries(dashboard()):
        if (title, legend) in SHOWN:
            params = {"g0.expr": expr, "g0.tab": "0", "g0.range_input": f"{round(seconds / 60) + 1}m"}
            urls.append((f"{title} ({legend})" if "{{" not in legend else title,
                         f"{prometheus.url}/classic/graph?{urllib.parse.urlencode(params)}"))
    return urls


def shoot(urls: list[tuple[str, str]], out: Path, work: Path) -> None:
    """One screenshot per query, laid out two by two with the panel's title above each."""
    from PIL import Image, ImageDraw

    shots = []
    for index, (title, url) in enumerate(urls):
        path = work / f"shot-{index}.png"
        screenshot(url, path, size="1200,900", wait_ms=10000)
        shots.append((title, Image.open(path).convert("RGB").crop((0, 230, 1200, 860))))
    width, height, caption = 1200, 630, 40
    sheet = Image.new("RGB", (2 * width, ((len(shots) + 1) // 2) * (height + caption)), "white")
    draw = ImageDraw.Draw(sheet)
    for index, (title, shot) in enumerate(shots):
        x, y = (index % 2) * width, (index // 2) * (height + caption)
        draw.text((x + 20, y + 10), title, fill="black", font_size=26)
        sheet.paste(shot, (x, y + caption))
    sheet.resize((sheet.width * 2 // 3, sheet.height * 2 // 3)).save(out, optimize=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=150.0, help="seconds of traffic (150)")
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "grafana" / "dashboard.png")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        redis_server = RedisServer().start()
        upstream = start_echo_upstream()
        proxy = start_routed_proxy(upstream, config_variant(Path(work), with_prometheus), **redis_server.env())
        prometheus = Prometheus(proxy)
        try:
            sent = conversations(proxy.url, proxy.key, args.seconds, redis_server)
            time.sleep(3)
            print(f"sent {sent} requests", file=sys.stderr)
            shoot(graph_urls(prometheus, args.seconds), args.out, Path(work))
        finally:
            prometheus.stop()
            proxy.stop()
            upstream.stop()
            redis_server.kill()
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
