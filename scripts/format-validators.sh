#!/usr/bin/env bash
# Installs the validators of cmkcheck's SARIF, OCSF and OSCAL files (pinned in
# scripts/format-validators/requirements.txt) into a virtualenv cached under
# ~/.cache/cmkcheck, as scripts/cfn-lint.sh does for cfn-lint, and prints the
# venv's python: run `PYTHON scripts/format-validators/validate.py KIND FILE...`
# (KIND: sarif, ocsf, oscal-results, oscal-catalog; see its --help).
#
# Environment:
#   CMK_FORMATS_VENV   virtualenv (default ~/.cache/cmkcheck/format-validators-venv)
#   CMK_FORMATS_PYTHON interpreter for the venv (default python3; >= 3.10)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
req=$here/format-validators/requirements.txt
venv=${CMK_FORMATS_VENV:-$HOME/.cache/cmkcheck/format-validators-venv}
py=${CMK_FORMATS_PYTHON:-python3}
marker=$venv/.cmkcheck-format-validators-installed

log() { printf 'format-validators.sh: %s\n' "$*" >&2; }

command -v "$py" >/dev/null 2>&1 || { log "ERROR: $py not found (set CMK_FORMATS_PYTHON)"; exit 1; }
want="$("$py" -c 'import platform; print(platform.python_version())') $(sha256sum "$req" | cut -c1-16)"
if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
	mkdir -p "$(dirname "$venv")"
	# Two `make test` at once share the venv: one builds it, the other waits.
	exec {lock}>>"$venv.lock"
	if command -v flock >/dev/null 2>&1; then flock -w 600 "$lock"; fi
	if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
		log "installing $(grep -c '==' "$req") pinned packages into $venv"
		rm -f "$marker"
		"$py" -m venv --clear "$venv"
		"$venv/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps -r "$req" >&2
		"$venv/bin/python" "$here/format-validators/validate.py" --check-install >&2
		echo "$want" >"$marker"
	fi
	exec {lock}>&-
fi
echo "$venv/bin/python"
