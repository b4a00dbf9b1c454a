#!/usr/bin/env bash
# requirements/venv.sh VENV LOCK: the one way this project makes a virtual environment.
#   1. VENV is made with $VIBE_PYTHON (default python3; a name or a path, pyenv versions found too).
#   2. Its pip, whichever the interpreter bundled, is brought to requirements/installer.lock.
#   3. LOCK is installed exactly: hashes required, --no-deps (the lock is the whole closure, so no
#      resolver looks at what the registry has added since), then `pip check`.
#   4. vibe-router itself, editable, built by the pinned setuptools (no build isolation).
# When LOCK (or the installer lock) changes, VENV is remade from nothing, so a package a lock
# dropped does not linger. A VENV that matches its locks is left as it is.
set -euo pipefail

die() { echo "requirements/venv.sh: $*" >&2; exit 1; }

[[ $# == 2 ]] || die "usage: requirements/venv.sh VENV LOCK"
venv="$1"
lock="$2"
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(dirname "$here")"
[[ -f "$lock" ]] || die "no lock file $lock"

resolve_python() {  # a runnable interpreter for a name or path; pyenv's shim for an inactive version is not one
  local wanted="$1" found
  if "$wanted" -c 'import sys' >/dev/null 2>&1; then echo "$wanted"; return 0; fi
  if [[ "$wanted" =~ ^python(3\.[0-9]+)$ ]] && command -v pyenv >/dev/null; then
    found="$(ls -d "$(pyenv root)/versions/${BASH_REMATCH[1]}".*/bin/"$wanted" 2>/dev/null | sort -V | tail -n 1)"
    [[ -n "$found" ]] && { echo "$found"; return 0; }
  fi
  return 1
}

stamp="$venv/.installed-locks"
wanted="$(cat "$here/installer.lock" "$lock")"
if [[ -x "$venv/bin/python" && -f "$stamp" && "$(cat "$stamp")" == "$wanted" ]] \
   && "$venv/bin/python" -c "import vibe_router, vibe_router_tools" 2>/dev/null; then
  exit 0
fi

python_name="${VIBE_PYTHON:-python3}"
python="$(resolve_python "$python_name")" \
  || die "VIBE_PYTHON=$python_name does not run here; name or path a Python 3.11+ (e.g. VIBE_PYTHON=/usr/bin/python3.12)"
"$python" -c 'import sys; sys.exit(sys.version_info < (3, 11))' || die "$python is older than Python 3.11"
echo "requirements/venv.sh: making $venv with $python and installing $(basename "$lock") (a few minutes the first time)"
"$python" -m venv --clear "$venv" || die "$python -m venv failed (is the venv module installed?)"

pip=("$venv/bin/python" -m pip --disable-pip-version-check -q)
"${pip[@]}" install --require-hashes --no-deps -r "$here/installer.lock" || die "installing installer.lock failed"
"${pip[@]}" install --require-hashes --no-deps -r "$lock" || die "installing $(basename "$lock") failed"
"${pip[@]}" check || die "$(basename "$lock") is not a consistent set of packages (pip check)"
# setuptools prints an informational note ("Editable installation. Please be careful with folders
# ...") on every editable install; only that message is silenced, any real warning still shows.
PYTHONWARNINGS="ignore:Editable installation" "${pip[@]}" install --no-deps --no-build-isolation -e "$root" \
  || die "installing vibe-router itself failed"
printf '%s' "$wanted" > "$stamp"
