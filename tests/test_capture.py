"""Capture's settings, which turns it takes, and its writer: rotation, bounds, and drops it counts."""

from __future__ import annotations

import json
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from vibe_router.capture import Capture, CaptureSettings, is_new_human_turn, parse_capture
from vibe_router.config_values import ConfigError
from vibe_router.request import build_view
from vibe_router.wire import REPLAY_FIELDS

DECISION = {"virtual_model": "auto-chat", "tier": "cheap", "pool": "pool-chat-mini", "score": -98.0,
            "decided_by": "score", "session": "f06744951943"}


def turn(text: str = "hi") -> Any:
    return build_view("chat", {"messages": [{"role": "user", "content": text}]})


def captured(capture: Capture, count: int, text: str = "hi") -> None:
    body = {"model": "pool-chat-mini", "messages": [{"role": "user", "content": text}], "user": "someone"}
    for _ in range(count):
        capture.finish(capture.begin(body, turn(text), DECISION), {"status": "success", "served_by": "pool-chat-mini"})
    capture.flush()


def lines(directory: Path) -> list[dict[str, Any]]:
    files = sorted(directory.glob("capture-*.jsonl"))
    return [json.loads(line) for path in files for line in path.read_text().splitlines()]


@pytest.mark.parametrize(("raw", "key", "message"), [
    ({"enabled": True}, "vibe_router.capture", "neither directory nor redis_stream"),
    ({"sample": 1.5}, "vibe_router.capture.sample", "between 0 and 1"),
    ({"sample": -0.1}, "vibe_router.capture.sample", "at least 0"),
    ({"max_bytes": 0}, "vibe_router.capture.max_bytes", "positive whole number"),
    ({"keep_text": "no"}, "vibe_router.capture.keep_text", "true or false"),
    ({"where": "/tmp"}, "vibe_router.capture.where", "unknown key"),
])
def test_bad_settings_name_their_key(raw: dict[str, Any], key: str, message: str) -> None:
    with pytest.raises(ConfigError) as error:
        parse_capture(raw, "vibe_router.capture")
    assert error.value.key == key and message in error.value.message


def test_off_by_default() -> None:
    assert parse_capture(None, "vibe_router.capture") == CaptureSettings()
    assert not Capture(CaptureSettings()).wants("score", False, False)


@pytest.mark.parametrize(("decided_by", "continuation", "reasoning", "new"), [
    ("score", False, False, True),
    ("sticky:escalate_only", False, False, True),
    ("override:header", False, False, True),
    ("continuation", True, False, False),
    ("score", True, False, False),
    ("reasoning", False, True, False),
    ("scenario:housekeeping", False, False, False),
])
def test_only_new_human_turns_are_captured(decided_by: str, continuation: bool, reasoning: bool, new: bool) -> None:
    assert is_new_human_turn(decided_by, continuation, reasoning) is new


def test_a_record_holds_the_turn_the_decision_and_the_outcome(tmp_path: Path) -> None:
    capture = Capture(CaptureSettings(enabled=True, directory=str(tmp_path)))
    captured(capture, 1, "Implement a distributed consensus algorithm")
    (record,) = lines(tmp_path)
    assert record["text"] == "Implement a distributed consensus algorithm"
    assert record["request"] == {"model": "auto-chat", "messages": [
        {"role": "user", "content": "Implement a distributed consensus algorithm"}]}, "only what replaying needs"
    assert record["decision"] == DECISION
    assert record["turn"]["turns"] == 1 and record["outcome"]["served_by"] == "pool-chat-mini"
    assert capture.counts["captured"] == 1 and capture.dropped == {}


def test_without_text_a_record_holds_counts_only(tmp_path: Path) -> None:
    capture = Capture(CaptureSettings(enabled=True, directory=str(tmp_path), keep_text=False))
    captured(capture, 1, "a secret prompt")
    (record,) = lines(tmp_path)
    assert "text" not in record and "request" not in record
    assert "a secret prompt" not in (tmp_path / next(p.name for p in tmp_path.iterdir())).read_text()


def test_files_rotate_and_the_oldest_go_past_the_bound(tmp_path: Path) -> None:
    capture = Capture(CaptureSettings(enabled=True, directory=str(tmp_path), file_bytes=2_000, max_bytes=6_000))
    captured(capture, 40)
    files = sorted(tmp_path.glob("capture-*.jsonl"))
    assert len(files) >= 2
    assert sum(path.stat().st_size for path in files) <= 6_000
    assert int(files[0].stem.rsplit("-", 1)[1]) > 1, "the first files were deleted"
    assert capture.counts["captured"] == 40


def test_starts_without_an_outcome_are_bounded_and_counted(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("vibe_router.capture.PENDING_MAX", 3)
    capture = Capture(CaptureSettings(enabled=True, directory=str(tmp_path)))
    body = {"messages": [{"role": "user", "content": "hi"}]}
    started = [capture.begin(body, turn(), DECISION) for _ in range(5)]
    assert capture.dropped == {"no_outcome": 2}
    capture.finish(started[0], {"status": "success"})  # its start was dropped: nothing is written
    capture.finish("no-such-id", {"status": "success"})
    capture.finish(started[4], {"status": "success"})
    capture.flush()
    assert [record["id"] for record in lines(tmp_path)] == [started[4]]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    """A 64 KiB tmpfs: a disk that fills up (needs root, as CI has)."""
    mount = tmp_path / "disk"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(mount)], capture_output=True,
                          text=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here (needs root): {made.stderr.strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_a_full_disk_drops_records_and_counts_them(small_disk: Path) -> None:
    capture = Capture(CaptureSettings(enabled=True, directory=str(small_disk), file_bytes=1_000_000,
                                      max_bytes=10_000_000))
    captured(capture, 200, "x" * 1_000)
    written = len(lines(small_disk))
    assert 0 < written < 200
    assert capture.counts["captured"] == written
    assert capture.dropped == {"disk": 200 - written}


def test_a_redis_stream_without_redis_is_a_config_error(monkeypatch: pytest.MonkeyPatch) -> None:
    """No silent fallback to a Redis on localhost: the stream needs the deployment's Redis."""
    from tests.support.configs import heuristic_document
    from vibe_router.config import parse_config

    for name in ("REDIS_URL", "REDIS_HOST", "REDIS_SENTINEL_NODES", "REDIS_CLUSTER_NODES"):
        monkeypatch.delenv(name, raising=False)
    document = heuristic_document()
    document["vibe_router"]["capture"] = {"enabled": True, "redis_stream": "vibe-router:capture"}
    with pytest.raises(ConfigError) as error:
        parse_config(document)
    assert error.value.key == "vibe_router.capture.redis_stream" and "no Redis is configured" in error.value.message
    monkeypatch.setenv("REDIS_HOST", "127.0.0.1")
    assert parse_config(document).capture.redis_stream == "vibe-router:capture"


def test_a_deleted_directory_is_made_again_and_one_that_cannot_be_is_a_drop(tmp_path: Path) -> None:
    """The writer keeps its file open: a file deleted under it is noticed, never written into the void."""
    import shutil

    directory = tmp_path / "records"
    capture = Capture(CaptureSettings(enabled=True, directory=str(directory)))
    captured(capture, 2)
    shutil.rmtree(directory)
    captured(capture, 3)
    assert len(lines(directory)) == 3 and capture.counts["captured"] == 5
    shutil.rmtree(directory)
    directory.write_text("a file where the directory was")
    captured(capture, 2)
    assert capture.counts["captured"] == 5 and capture.dropped == {"disk": 2}
    directory.unlink()
    captured(capture, 1)
    assert len(lines(directory)) == 1 and capture.counts["captured"] == 6


def test_a_record_json_cannot_write_is_dropped_and_the_writer_goes_on(tmp_path: Path) -> None:
    capture = Capture(CaptureSettings(enabled=True, directory=str(tmp_path)))
    captured(capture, 1, "\ud800 a lone surrogate")
    captured(capture, 1, "fine")
    assert [record["text"] for record in lines(tmp_path)] == ["fine"]
    assert capture.counts["captured"] == 1 and capture.dropped == {"disk": 1}


def test_a_file_moved_away_is_left_alone_and_the_next_record_starts_one_at_its_path(tmp_path: Path) -> None:
    capture = Capture(CaptureSettings(enabled=True, directory=str(tmp_path)))
    captured(capture, 2)
    (current,) = tmp_path.glob("capture-*.jsonl")
    archived = current.rename(tmp_path / "archived.txt")
    captured(capture, 3)
    assert len(archived.read_text().splitlines()) == 2, "nothing more goes into the moved file"
    assert len(lines(tmp_path)) == 3 and capture.counts["captured"] == 5


def test_finishes_from_many_threads_start_one_writer(tmp_path: Path) -> None:
    capture = Capture(CaptureSettings(enabled=True, directory=str(tmp_path)))
    body = {"model": "pool-chat-mini", "messages": [{"role": "user", "content": "hi"}]}
    started = [capture.begin(body, turn(), DECISION) for _ in range(16)]
    gate = threading.Barrier(len(started))

    def finish(capture_id: str) -> None:
        gate.wait()
        capture.finish(capture_id, {"status": "success"})

    before = {id(thread) for thread in threading.enumerate() if thread.name == "vibe-router-capture"}
    workers = [threading.Thread(target=finish, args=(capture_id,)) for capture_id in started]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    capture.flush()
    writers = [thread for thread in threading.enumerate()
               if thread.name == "vibe-router-capture" and id(thread) not in before]
    assert len(writers) == 1 and len(lines(tmp_path)) == 16


@pytest.mark.parametrize(("endpoint", "asked"), [
    ("chat", {"max_completion_tokens": 8, "response_format": {"type": "json_object"}}),
    ("messages", {"max_tokens": 8, "output_config": {"effort": "high", "format": {"type": "json_schema"}}}),
    ("responses", {"max_output_tokens": 8, "text": {"format": {"type": "json_schema"}}}),
])
def test_what_a_record_keeps_of_a_request_reads_as_the_request_did(endpoint: str, asked: dict[str, Any]) -> None:
    body = {"model": "auto-chat", "input" if endpoint == "responses" else "messages": [
        {"role": "user", "content": "Give me JSON"}], **asked, "user": "someone", "metadata": {"x": 1}}
    kept = {key: body[key] for key in REPLAY_FIELDS if key in body}
    assert set(body) - set(kept) == {"user", "metadata"}
    assert build_view(endpoint, kept) == build_view(endpoint, body)
