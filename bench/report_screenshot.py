"""docs/report.png: `vibe-router report` on a lab's captured and labelled traffic, seen in Chromium.

    .venv-dev/bin/python -m bench.report_screenshot [--out docs/report.png]

It starts the echo upstream with a hidden rule (its cheap models are wrong about zebras) and a
real proxy with capture on and a judge pool, sends the lab's 80 prompts, labels them through the
proxy (`vibe-router label`), renders the report with the labels, and has headless Chromium
(Debian's `chromium`) take a screenshot of the page. About two minutes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import openai

from tests.support.configs import config_variant
from tests.support.processes import REPO_ROOT, start_echo_upstream
from tests.support.quality_lab import HIDDEN_RULE, lab_prompts, with_capture_and_judge
from tests.support.stack import start_routed_proxy

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync",
                  "--hide-scrollbars"]


def vibe_router(*args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "vibe_router_tools.cli", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=900, check=True)
    return done.stdout


def make_report(work: Path) -> Path:
    captures, labels = work / "captures", work / "labelled.jsonl"
    config = config_variant(work, with_capture_and_judge(captures))
    upstream = start_echo_upstream(ECHO_WEAK_FAILS_ON=HIDDEN_RULE)
    proxy = start_routed_proxy(upstream, config)
    try:
        client = openai.OpenAI(base_url=f"{proxy.url}/v1", api_key=proxy.key, max_retries=0)
        prompts = lab_prompts()
        for text in prompts:
            client.chat.completions.create(model="auto-chat", messages=[{"role": "user", "content": text}])
        deadline = time.monotonic() + 60
        while sum(len(path.read_text().splitlines()) for path in captures.glob("*.jsonl")) < len(prompts):
            if time.monotonic() > deadline:
                raise TimeoutError("not every turn was captured")
            time.sleep(0.2)
        summary = vibe_router("label", str(captures), "--judge", "pool-judge", "--config", str(config),
                              "--base-url", proxy.url, "--key", proxy.key, "--out", str(labels))
        print(summary.strip().splitlines()[-1], file=sys.stderr)
    finally:
        proxy.stop()
        upstream.stop()
    page = vibe_router("report", str(captures), "--labels", str(labels), "--config", str(config),
                       "--out", str(work / "report")).strip()
    return Path(page)


def screenshot(page: Path | str, out: Path, size: str = "1000,1300", wait_ms: int = 0) -> None:
    """Headless Chromium's screenshot of a file or a URL; `wait_ms` lets the page's scripts fetch and draw."""
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if chromium is None:
        raise SystemExit("screenshot: Chromium is missing (Debian: apt-get install -y chromium)")
    target = page.resolve().as_uri() if isinstance(page, Path) else page
    waiting = [f"--virtual-time-budget={wait_ms}"] if wait_ms else []
    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([chromium, *CHROMIUM_FLAGS, *waiting, f"--user-data-dir={profile}", f"--window-size={size}",
                        f"--screenshot={out.resolve()}", target], capture_output=True, timeout=120, check=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=REPO_ROOT / "docs" / "report.png")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as work:
        page = make_report(Path(work))
        print(json.dumps({"page": str(page)}), file=sys.stderr)
        screenshot(page, args.out)
    print(f"wrote {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
