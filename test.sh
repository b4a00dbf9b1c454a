#!/usr/bin/env bash
# ./test.sh — the whole test suite, from a fresh clone: installs the pinned packages into
# .venv-dev (requirements/dev.lock), installs redis-server if it is missing (the tests start their own), lints, runs pytest.
# Extra arguments go to pytest (e.g. ./test.sh -k messages).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

requirements/venv.sh .venv-dev requirements/dev.lock  # VIBE_PYTHON: another interpreter, as in deploy.sh
if ! command -v redis-server >/dev/null; then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null
  else
    echo "test.sh: redis-server is missing: sudo apt-get install -y redis-server" >&2
    exit 1
  fi
fi

export LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY_DISABLED=true
export HF_HUB_OFFLINE=1 NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
.venv-dev/bin/ruff check .
.venv-dev/bin/python -m pytest "$@"
