#!/usr/bin/env bash
# Creates the fine-tuning virtual environment (issue 15) under .cache/lm-venv from PyPI, idempotently: the exact
# package set pinned in model/lm/requirements.txt (torch, transformers, peft, safetensors, gguf, sentencepiece and
# their dependencies, installed with --no-deps so nothing outside the list comes in). The downloaded wheels are kept in
# .cache/pip/wheels, so a rebuilt venv installs from disk. A stamp (the lock file's sha256) makes a
# re-run a no-op until the lock changes. Prints each step, the time it took and the sizes.
# Exit codes: 0 ready; 2 no python3 >= 3.10 with venv; 3 PyPI unreachable (the caller may skip with that reason).
# Usage: bash deploy/local/lm-venv.sh [--check]   (--check: exit 0 if ready, 1 if not, install nothing)
set -euo pipefail
cd "$(dirname "$0")/../.."
cache="${SDA_CACHE_DIR:-.cache}"
venv="${SDA_LM_VENV:-$cache/lm-venv}"
lock=model/lm/requirements.txt
stamp="$venv/.sda-lock.sha256"
want=$(sha256sum "$lock" | cut -d' ' -f1)

if [ -x "$venv/bin/python" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$want" ]; then
  [ "${1:-}" = "--check" ] || echo "lm-venv: ready at $venv ($(du -sh "$venv" | cut -f1)); lock $lock unchanged" >&2
  exit 0
fi
[ "${1:-}" = "--check" ] && exit 1

py="${SDA_PYTHON:-python3}"
if ! "$py" -c 'import sys, venv, ensurepip; sys.exit(0 if sys.version_info >= (3, 10) else 1)' 2>/dev/null; then
  echo "lm-venv: need Python 3.10+ with the venv and ensurepip modules ($py: $("$py" --version 2>&1 || echo missing)); on Debian: apt-get install python3-venv" >&2
  exit 2
fi
if ! "$py" - <<'PY' 2>/dev/null
import urllib.request
urllib.request.urlopen("https://pypi.org/simple/peft/", timeout=15).read(1)
PY
then
  echo "lm-venv: PyPI (https://pypi.org) is not reachable from this machine; the fine-tuning venv cannot be created" >&2
  exit 3
fi

t0=$(date +%s)
echo "lm-venv: creating $venv with $("$py" --version)" >&2
rm -rf "$venv"
"$py" -m venv "$venv"
wheels="$cache/pip/wheels"
mkdir -p "$wheels"
n=$(grep -cv '^\s*\(#\|$\)' "$lock")
# pip's HTTP cache does not keep these downloads here, so the wheels themselves are kept: a wheel already in
# $wheels is not downloaded again (a rebuilt venv installs from disk).
echo "lm-venv: pip download of the $n wheels pinned in $lock into $wheels (about 3.3 GB the first time; present ones are reused)" >&2
t_dl=$(date +%s)
"$venv/bin/pip" download --no-deps --disable-pip-version-check --progress-bar off -d "$wheels" -r "$lock" 2>&1 \
  | grep --line-buffered -E '^(Collecting|  Downloading|Saved|ERROR)' | sed -u 's/^ */lm-venv:   /' >&2
echo "lm-venv: wheels ready in $(( $(date +%s) - t_dl )) s ($(du -sh "$wheels" | cut -f1))" >&2
t_in=$(date +%s)
# --no-compile: no .pyc pass over torch's thousands of files at install (Python compiles what it imports, lazily).
nice -n 10 "$venv/bin/pip" install --no-deps --no-index --no-compile --disable-pip-version-check --find-links "$wheels" -r "$lock" 2>&1 \
  | grep --line-buffered -E '^(Installing|Successfully|ERROR)' | cut -c1-160 | sed -u 's/^/lm-venv:   /' >&2
echo "lm-venv: installed in $(( $(date +%s) - t_in )) s" >&2
"$venv/bin/python" - <<'PY' >&2
import torch, transformers, peft, safetensors, gguf
print(f"lm-venv: import check: torch {torch.__version__} (CUDA available: {torch.cuda.is_available()}), transformers {transformers.__version__}, peft {peft.__version__}, gguf ok")
PY
echo "$want" >"$stamp"
t1=$(date +%s)
echo "lm-venv: ready in $((t1 - t0)) s: venv $(du -sh "$venv" | cut -f1), wheels $(du -sh "$wheels" | cut -f1)" >&2
