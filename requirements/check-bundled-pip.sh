#!/usr/bin/env bash
# requirements/check-bundled-pip.sh: can a newcomer's pip take our locks as they stand?
# In a venv made from nothing, with the pip the interpreter bundles (23.2.1 for CPython 3.11.7),
# each lock is resolved in hash mode (a dry run: nothing is installed). It fails when the lock is
# not a whole, exact closure for that pip, as the lock with only `httpx[http2]==0.28.1` was once
# the registry served httpx 0.29.0. CI runs it (.ci/run); it needs the registry.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
venv="$(mktemp -d)/bundled-pip"
trap 'rm -rf "$(dirname "$venv")"' EXIT
"${VIBE_PYTHON:-python3}" -m venv "$venv"
echo "check-bundled-pip: $("$venv/bin/python" -m pip --version)"
for lock in installer runtime dev; do
  "$venv/bin/python" -m pip install --disable-pip-version-check -q --dry-run --ignore-installed \
    --require-hashes -r "$here/$lock.lock" \
    || { echo "check-bundled-pip: the interpreter's own pip cannot install requirements/$lock.lock" >&2; exit 1; }
  echo "check-bundled-pip: requirements/$lock.lock resolves with the bundled pip"
done
