#!/usr/bin/env bash
# The one way this repository installs a Python tool: scripts/venv.sh NAME
# builds a virtualenv cached under ~/.cache/cmkcheck/NAME-venv from the pinned
# scripts/NAME/requirements.txt (every package pinned, installed --no-deps),
# once for each interpreter version and requirements file, and prints the
# venv's directory. cfn-lint.sh, zizmor.sh, check-jsonschema.sh and
# format-validators.sh are this plus what runs from the venv.
#
#   scripts/venv.sh NAME [SMOKE...]   SMOKE: a command run with the venv's bin/
#                                     first on PATH once installed (a check that
#                                     the tool imports and runs)
# Environment:
#   CMK_VENV_PYTHON   interpreter for the venvs (default python3)
#   CMK_VENV_CACHE    where the venvs live (default ~/.cache/cmkcheck)
set -euo pipefail

name=${1:?usage: scripts/venv.sh NAME [SMOKE...]}
shift
here=$(cd "$(dirname "$0")" && pwd)
req=$here/$name/requirements.txt
venv=${CMK_VENV_CACHE:-$HOME/.cache/cmkcheck}/$name-venv
py=${CMK_VENV_PYTHON:-python3}
marker=$venv/.cmkcheck-installed

log() { printf 'venv.sh %s: %s\n' "$name" "$*" >&2; }

[[ -f $req ]] || { log "ERROR: no $req"; exit 1; }
command -v "$py" >/dev/null 2>&1 || { log "ERROR: $py not found (set CMK_VENV_PYTHON)"; exit 1; }
want="$("$py" -c 'import platform; print(platform.python_version())') $(sha256sum "$req" | cut -c1-16)"
if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
	mkdir -p "$(dirname "$venv")"
	# Two runs at once share the venv: one builds it, the other waits.
	exec {lock}>>"$venv.lock"
	if command -v flock >/dev/null 2>&1; then flock -w 600 "$lock"; fi
	if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
		log "installing $(grep -c '==' "$req") pinned packages into $venv"
		rm -f "$marker"
		"$py" -m venv --clear "$venv" >&2
		"$venv/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps -r "$req" >&2
		if (($#)); then PATH=$venv/bin:$PATH "$@" >&2; fi
		echo "$want" >"$marker"
	fi
	exec {lock}>&-
fi
echo "$venv"
