#!/usr/bin/env bash
# deploy.sh — run the LiteLLM proxy with vibe-router.
#
#   ./deploy.sh                  Docker: preflight, docker compose up -d, wait for health, verify
#   ./deploy.sh --local          no Docker: .venv + litellm on 127.0.0.1:$PORT
#   ./deploy.sh --local --demo   the same, with every pool answered by the bundled echo upstream, capture
#                                on into $VIBE_RUN_DIR/capture and a judge pool (the loop in docs/capture.md)
#   ./deploy.sh --down           stop what this script started (local processes and/or compose)
#   ./deploy.sh --logs           follow the routing log lines
#
# Settings come from the environment, then .env, then these defaults:
#   PORT=4000                the local proxy's port (--local)
#   ECHO_PORT=8399           the echo upstream's port (--demo)
#   ECHO_WEAK_FAILS_ON=zebra the demo's hidden class: its cheap models answer prompts matching this
#                            regular expression wrongly, and its judge knows it (docs/capture.md)
#   LITELLM_MASTER_KEY       required, except with --demo, which generates one
#   VIBE_PYTHON=python3      the interpreter a new .venv is made with: a name or a path
#                            (CPython 3.12+ for production: docs/troubleshooting.md)
#   VIBE_ROUTER_CONFIG       the LiteLLM config (default ./config_final.yaml); --demo runs a copy of it,
#                            $VIBE_RUN_DIR/demo.yaml, with capture and a judge pool added
#   VIBE_RUN_DIR=.run        where the key, the pids and the logs of a local run are kept
# A local run writes the master key to $VIBE_RUN_DIR/key and its settings to $VIBE_RUN_DIR/local.env.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RUN_DIR="${VIBE_RUN_DIR:-$ROOT/.run}"
VENV="$ROOT/.venv"
CONFIG="${VIBE_ROUTER_CONFIG:-$ROOT/config_final.yaml}"

die() { echo "deploy.sh: $*" >&2; exit 1; }
say() { echo "deploy.sh: $*"; }

load_env_file() {  # KEY=VALUE lines; the environment wins over the file
  local file="$1" line key value
  [[ -f "$file" ]] || return 0
  while IFS= read -r line || [[ -n "$line" ]]; do
    [[ "$line" =~ ^[[:space:]]*([A-Za-z_][A-Za-z0-9_]*)=(.*)$ ]] || continue
    key="${BASH_REMATCH[1]}"; value="${BASH_REMATCH[2]}"
    value="${value%\"}"; value="${value#\"}"; value="${value%\'}"; value="${value#\'}"
    [[ -n "${!key:-}" || -z "$value" ]] || export "$key=$value"
  done < "$file"
}

ensure_venv() {  # the proxy's venv: requirements/runtime.lock only (no test or training packages)
  "$ROOT/requirements/venv.sh" "$VENV" "$ROOT/requirements/runtime.lock" || die "could not make $VENV"
}

warn_old_python() {  # CPython 3.11 and older can crash a LiteLLM proxy under load
  "$VENV/bin/python" -c 'import sys; sys.exit(sys.version_info < (3, 12))' && return 0
  say "warning: $VENV runs Python $("$VENV/bin/python" -c 'import platform; print(platform.python_version())'): \
CPython 3.11 and older can crash a busy LiteLLM proxy (CPython gh-148891; docs/troubleshooting.md). For production: \
./deploy.sh --down; rm -rf .venv; VIBE_PYTHON=python3.12 ./deploy.sh --local (the name or path of a 3.12+ python)"
}

pid_alive() { [[ -f "$1" ]] && kill -0 "$(cat "$1")" 2>/dev/null; }

stop_pid() {
  local file="$1" pid
  pid_alive "$file" || { rm -f "$file"; return 0; }
  pid="$(cat "$file")"
  kill "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
  kill -9 "$pid" 2>/dev/null || true
  rm -f "$file"
}

wait_http() {  # url timeout-seconds what
  local url="$1" timeout="$2" what="$3" waited=0
  until curl -fsS -o /dev/null "$url" 2>/dev/null; do
    sleep 1; waited=$((waited + 1))
    (( waited < timeout )) || return 1
  done
  say "$what is up ($url)"
}

port_in_use() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

require_free_port() {  # port variable-name what
  port_in_use "$1" || return 0
  die "port $1 is already in use, so $3 cannot start there and nothing was started. Stop what listens \
on $1, or pick another port: $2=$(($1 + 1)) ./deploy.sh ${*:4}"
}

start_echo_upstream() {
  local port="${ECHO_PORT:-8399}"
  ECHO_WEAK_FAILS_ON="${ECHO_WEAK_FAILS_ON-zebra}" \
    nohup "$VENV/bin/vibe-router" echo-upstream --host 127.0.0.1 --port "$port" \
    > "$RUN_DIR/echo.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/echo.pid"
  wait_http "http://127.0.0.1:$port/healthz" 20 "echo upstream" \
    || die "the echo upstream did not start on port $port; see $RUN_DIR/echo.log"
  local base="http://127.0.0.1:$port"
  export CHAT_API_BASE="$base/v1" CODEX_API_BASE="$base/v1" CLAUDE_API_BASE="$base"
  export CHAT_API_KEY=sk-echo CODEX_API_KEY=sk-echo CLAUDE_API_KEY=sk-echo
}

demo_config() {  # the demo runs $CONFIG with capture into $RUN_DIR/capture and a judge pool added
  "$VENV/bin/python" -m vibe_router_tools.demo_config "$CONFIG" "$RUN_DIR/demo.yaml" "$RUN_DIR/capture" \
    || { stop_pid "$RUN_DIR/echo.pid"; die "could not write the demo's config $RUN_DIR/demo.yaml from $CONFIG"; }
  CONFIG="$RUN_DIR/demo.yaml"
}

local_defaults() {  # upstreams as seen from this host
  : "${CHAT_API_BASE:=http://127.0.0.1:8317/v1}" "${CODEX_API_BASE:=http://127.0.0.1:3000/v1}"
  : "${CLAUDE_API_BASE:=http://127.0.0.1:3000}"
  : "${CHAT_MINI_MODEL:=openai/gpt-5-mini}" "${CHAT_STANDARD_MODEL:=openai/gpt-5}"
  : "${CODEX_MINI_MODEL:=openai/gpt-5-codex-mini}" "${CODEX_STANDARD_MODEL:=openai/gpt-5-codex}"
  : "${CLAUDE_HAIKU_MODEL:=anthropic/claude-haiku-4-5}" "${CLAUDE_SONNET_MODEL:=anthropic/claude-sonnet-4-5}"
  export CHAT_API_BASE CODEX_API_BASE CLAUDE_API_BASE CHAT_MINI_MODEL CHAT_STANDARD_MODEL \
    CODEX_MINI_MODEL CODEX_STANDARD_MODEL CLAUDE_HAIKU_MODEL CLAUDE_SONNET_MODEL
  export LITELLM_LOCAL_MODEL_COST_MAP=True LITELLM_TELEMETRY_DISABLED=true
}

write_local_env() {  # what the local proxy runs with, for verify.py --env-file .run/local.env
  local name
  (umask 077; : > "$RUN_DIR/local.env")
  for name in PORT LITELLM_MASTER_KEY CHAT_API_BASE CHAT_API_KEY CODEX_API_BASE CODEX_API_KEY CLAUDE_API_BASE \
      CLAUDE_API_KEY CHAT_MINI_MODEL CHAT_STANDARD_MODEL CODEX_MINI_MODEL CODEX_STANDARD_MODEL \
      CLAUDE_HAIKU_MODEL CLAUDE_SONNET_MODEL REDIS_HOST REDIS_PORT REDIS_PASSWORD REDIS_URL; do
    [[ -z "${!name:-}" ]] || printf '%s=%s\n' "$name" "${!name}" >> "$RUN_DIR/local.env"
  done
}

run_local() {
  local demo="$1" args="--local"
  export PORT="${PORT:-4000}"
  local port="$PORT"
  command -v curl >/dev/null || die "curl is required"
  mkdir -p "$RUN_DIR"
  stop_pid "$RUN_DIR/litellm.pid"  # a rerun replaces what this script started before
  stop_pid "$RUN_DIR/echo.pid"
  [[ "$demo" == 1 ]] && args="--local --demo"
  require_free_port "$port" PORT "the proxy" $args
  [[ "$demo" == 1 ]] && require_free_port "${ECHO_PORT:-8399}" ECHO_PORT "the echo upstream" $args
  ensure_venv
  warn_old_python
  if [[ -z "${LITELLM_MASTER_KEY:-}" ]]; then
    [[ "$demo" == 1 ]] || die "LITELLM_MASTER_KEY is not set (export it or put it in .env)"
    LITELLM_MASTER_KEY="sk-demo-$("$VENV/bin/python" -c 'import secrets; print(secrets.token_hex(12))')"
    export LITELLM_MASTER_KEY
    say "generated a demo master key: $LITELLM_MASTER_KEY"
  fi
  [[ "$LITELLM_MASTER_KEY" != "sk-1234" ]] || die "LITELLM_MASTER_KEY must not be sk-1234 (LiteLLM refuses it)"
  (umask 077; printf '%s\n' "$LITELLM_MASTER_KEY" > "$RUN_DIR/key")
  [[ "$demo" == 1 ]] && start_echo_upstream
  [[ "$demo" == 1 ]] && demo_config
  local_defaults
  [[ "$demo" == 1 ]] || [[ -n "${CHAT_API_KEY:-}${CODEX_API_KEY:-}${CLAUDE_API_KEY:-}" ]] \
    || die "no upstream keys: set CHAT_API_KEY, CODEX_API_KEY and CLAUDE_API_KEY (or use --demo)"
  : "${CHAT_API_KEY:=${CLIPROXY_AUTO_CHAT_KEY:-}}"
  export CHAT_API_KEY="${CHAT_API_KEY:-unset}" CODEX_API_KEY="${CODEX_API_KEY:-unset}"
  export CLAUDE_API_KEY="${CLAUDE_API_KEY:-unset}"
  if [[ -n "${REDIS_HOST:-}" ]]; then say "using Redis at $REDIS_HOST:${REDIS_PORT:-6379}"; fi
  write_local_env
  export PYTHONPATH="$ROOT${PYTHONPATH:+:$PYTHONPATH}" VIBE_ROUTER_CONFIG="$CONFIG"
  cd "$ROOT"
  nohup "$VENV/bin/litellm" --config "$CONFIG" --host 127.0.0.1 --port "$port" \
    > "$RUN_DIR/litellm.log" 2>&1 < /dev/null &
  echo $! > "$RUN_DIR/litellm.pid"
  if ! wait_http "http://127.0.0.1:$port/health/liveliness" 120 "LiteLLM proxy with vibe-router" \
     || ! pid_alive "$RUN_DIR/litellm.pid"; then
    tail -n 5 "$RUN_DIR/litellm.log" >&2 || true
    stop_pid "$RUN_DIR/litellm.pid"
    stop_pid "$RUN_DIR/echo.pid"
    die "the proxy did not become healthy and nothing is left running; see $RUN_DIR/litellm.log"
  fi
  grep -F "plugin loaded" "$RUN_DIR/litellm.log" | tail -1 || die "the proxy runs but vibe-router did not load"
  cat <<EOF

The router is up on http://127.0.0.1:$port$([[ "$demo" == 1 ]] && echo " (demo: pools answer from the echo upstream)")
Try it (the master key is in $RUN_DIR/key):
  KEY=\$(cat $RUN_DIR/key)
  curl -s http://127.0.0.1:$port/v1/chat/completions -H "Authorization: Bearer \$KEY" \\
    -H 'content-type: application/json' -D - \\
    -d '{"model":"auto-chat","messages":[{"role":"user","content":"hi"}]}'
  ./deploy.sh --logs
  .venv/bin/python verify.py --base-url http://127.0.0.1:$port
  ./deploy.sh --down
$([[ "$demo" == 1 ]] && echo "Capture is on (into $RUN_DIR/capture); the learning loop on this demo: docs/capture.md")
EOF
}

has_docker() { command -v docker >/dev/null && docker info >/dev/null 2>&1; }

compose() { docker compose --project-directory "$ROOT" "$@"; }

run_docker() {
  has_docker || die "no Docker engine is running here (docker info failed). Run without Docker: ./deploy.sh --local (or --local --demo)"
  docker compose version >/dev/null 2>&1 || die "docker compose (v2) is not installed"
  [[ -f "$ROOT/.env" ]] || die ".env is missing: cp .env.example .env and fill in the keys"
  local config="$ROOT/config_final.yaml"  # the file docker-compose.yml mounts
  ensure_venv
  "$VENV/bin/python" "$ROOT/verify.py" --offline --config "$config" || die "config lint failed (verify.py --offline)"
  compose up -d --wait --wait-timeout 180 \
    || die "the stack did not become healthy within 180 s; see: docker compose ps; docker compose logs"
  "$VENV/bin/python" "$ROOT/verify.py" --config "$config" --base-url "http://127.0.0.1:${LITELLM_PORT:-4000}" \
    || die "verify.py found problems"
  cat <<EOF

Next:
  curl -s http://127.0.0.1:${LITELLM_PORT:-4000}/v1/chat/completions -H "Authorization: Bearer \$LITELLM_MASTER_KEY" \\
    -H 'content-type: application/json' -d '{"model":"auto-chat","messages":[{"role":"user","content":"hi"}]}' -D -
  ./deploy.sh --logs
  python3 test_route.py --base-url http://127.0.0.1:${LITELLM_PORT:-4000} --key \$LITELLM_MASTER_KEY
EOF
}

down() {
  stop_pid "$RUN_DIR/litellm.pid"
  stop_pid "$RUN_DIR/echo.pid"
  rm -f "$RUN_DIR/key" "$RUN_DIR/local.env"
  if has_docker && [[ -f "$ROOT/.env" ]]; then compose down || true; fi
  say "stopped"
}

follow_logs() {
  if [[ -f "$RUN_DIR/litellm.pid" ]] && pid_alive "$RUN_DIR/litellm.pid"; then
    tail -F "$RUN_DIR/litellm.log" | grep --line-buffered -F '[VIBE-ROUTER]'
  elif has_docker && [[ -f "$ROOT/.env" ]]; then
    compose logs -f litellm | grep --line-buffered -F '[VIBE-ROUTER]'
  else
    die "nothing is running (start it with ./deploy.sh or ./deploy.sh --local)"
  fi
}

main() {
  local mode=docker demo=0 arg
  for arg in "$@"; do
    case "$arg" in
      --local) mode=local ;;
      --demo) demo=1 ;;
      --down) mode=down ;;
      --logs) mode=logs ;;
      -h|--help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed -e '$d' -e 's/^# \{0,1\}//'; exit 0 ;;
      *) die "unknown option $arg (see ./deploy.sh --help)" ;;
    esac
  done
  load_env_file "$ROOT/.env"
  case "$mode" in
    local) run_local "$demo" ;;
    down) down ;;
    logs) follow_logs ;;
    docker) [[ "$demo" == 0 ]] || die "--demo runs without Docker: ./deploy.sh --local --demo"; run_docker ;;
  esac
}

main "$@"
