#!/usr/bin/env bash
# Run zizmor, from a virtualenv cached under ~/.cache/cmkcheck and built from
# the pinned scripts/zizmor/requirements.txt (as scripts/cfn-lint.sh does for
# cfn-lint): scripts/zizmor.sh [ZIZMOR ARGS...] FILE...
# Offline: the audits that ask GitHub's API (for example whether a pinned SHA
# is still a tag's) need a token, which `make lint` neither has nor wants.
#
# Environment:
#   ZIZMOR_VENV    virtualenv (default ~/.cache/cmkcheck/zizmor-venv)
#   ZIZMOR_PYTHON  interpreter for the venv (default python3)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
req=$here/zizmor/requirements.txt
venv=${ZIZMOR_VENV:-$HOME/.cache/cmkcheck/zizmor-venv}
py=${ZIZMOR_PYTHON:-python3}
marker=$venv/.cmkcheck-zizmor-installed

log() { printf 'zizmor.sh: %s\n' "$*" >&2; }

command -v "$py" >/dev/null 2>&1 || { log "ERROR: $py not found (set ZIZMOR_PYTHON)"; exit 1; }
want="$("$py" -c 'import platform; print(platform.python_version())') $(sha256sum "$req" | cut -c1-16)"
if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
	mkdir -p "$(dirname "$venv")"
	# Two `make lint` at once share the venv: one builds it, the other waits.
	exec {lock}>>"$venv.lock"
	if command -v flock >/dev/null 2>&1; then flock -w 600 "$lock"; fi
	if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
		log "installing $(grep -m1 '^zizmor==' "$req") into $venv"
		rm -f "$marker"
		"$py" -m venv --clear "$venv"
		"$venv/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps -r "$req"
		"$venv/bin/zizmor" --version >/dev/null
		echo "$want" >"$marker"
	fi
	exec {lock}>&-
fi
exec "$venv/bin/zizmor" --offline "$@"
