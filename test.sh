#!/usr/bin/env bash
# ./test.sh — the whole test suite, from a fresh clone: installs the pinned packages into
# .venv-dev (requirements/dev.lock), installs redis-server and prometheus if they are missing (the tests start
# their own), lints, runs pytest.
# Extra arguments go to pytest (e.g. ./test.sh -k messages).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")"

requirements/venv.sh .venv-dev requirements/dev.lock  # VIBE_PYTHON: another interpreter, as in deploy.sh
missing=()
for server in redis-server prometheus; do command -v "$server" >/dev/null || missing+=("$server"); done
if (( ${#missing[@]} )); then
  if [[ $(id -u) == 0 ]] && command -v apt-get >/dev/null; then
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  else
    echo "test.sh: missing ${missing[*]}: sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
    exit 1
  fi
fi

export LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY_DISABLED=true
export HF_HUB_OFFLINE=1 NO_PROXY="127.0.0.1,localhost" no_proxy="127.0.0.1,localhost"
.venv-dev/bin/ruff check .
.venv-dev/bin/python -m pytest "$@"
