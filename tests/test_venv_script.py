"""requirements/venv.sh: which interpreter it makes a venv with, and what it says when there is none."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.support.processes import REPO_ROOT

SCRIPT = REPO_ROOT / "requirements" / "venv.sh"


def resolve(name: str, path: str) -> subprocess.CompletedProcess[str]:
    """Run venv.sh's resolve_python alone, with PATH as given."""
    program = f'source <(sed -n "/^resolve_python/,/^}}/p" {SCRIPT}); resolve_python {name}'
    return subprocess.run(["bash", "-c", program], capture_output=True, text=True, timeout=30,
                          env={**os.environ, "PATH": path})


def fake_pyenv(tmp_path: Path) -> Path:
    """A pyenv whose shim for python3.12 fails (3.12 not active) and whose versions hold 3.12.1 and 3.12.9."""
    bin_dir, root = tmp_path / "bin", tmp_path / "pyenv"
    bin_dir.mkdir()
    (bin_dir / "pyenv").write_text(f"#!/bin/sh\n[ \"$1\" = root ] && echo {root}\n")
    (bin_dir / "python3.12").write_text("#!/bin/sh\necho 'pyenv: python3.12: command not found' >&2\nexit 127\n")
    for version in ("3.12.1", "3.12.9", "3.13.0"):
        versions = root / "versions" / version / "bin"
        versions.mkdir(parents=True)
        (versions / f"python{version[:4]}").symlink_to(sys.executable)
    for script in bin_dir.iterdir():
        script.chmod(0o755)
    return bin_dir


def test_a_runnable_name_is_used_as_it_is(tmp_path: Path) -> None:
    result = resolve("python3", f"{Path(sys.executable).parent}:/usr/bin:/bin")
    assert result.returncode == 0 and result.stdout.strip() == "python3"


def test_pyenvs_shim_for_an_inactive_version_is_replaced_by_its_newest_install(tmp_path: Path) -> None:
    bin_dir = fake_pyenv(tmp_path)
    result = resolve("python3.12", f"{bin_dir}:/usr/bin:/bin")
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == str(tmp_path / "pyenv/versions/3.12.9/bin/python3.12")


def test_an_interpreter_that_does_not_run_stops_with_one_line_naming_the_setting(tmp_path: Path) -> None:
    result = subprocess.run([str(SCRIPT), str(tmp_path / "venv"), str(REPO_ROOT / "requirements/runtime.lock")],
                            capture_output=True, text=True, timeout=30,
                            env={**os.environ, "VIBE_PYTHON": "python3.99-not-here"})
    assert result.returncode == 1
    assert result.stderr.strip().splitlines() == [
        "requirements/venv.sh: VIBE_PYTHON=python3.99-not-here does not run here; name or path a Python 3.11+ "
        "(e.g. VIBE_PYTHON=/usr/bin/python3.12)"
    ]
    assert not (tmp_path / "venv").exists()
