#!/usr/bin/env bash
# Prints the path of check-jsonschema, installing it once into a virtualenv
# cached under ~/.cache/cmkcheck from the pinned
# scripts/check-jsonschema/requirements.txt (as scripts/cfn-lint.sh does for
# cfn-lint). `make test` names it in CMK_CHECK_JSONSCHEMA, and the schema
# tests (cmd/cmkcheck/schemas_test.go) run it on docs/schemas.
#
# Environment:
#   CHECK_JSONSCHEMA_VENV    virtualenv (default ~/.cache/cmkcheck/check-jsonschema-venv)
#   CHECK_JSONSCHEMA_PYTHON  interpreter for the venv (default python3; needs >= 3.9)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
req=$here/check-jsonschema/requirements.txt
venv=${CHECK_JSONSCHEMA_VENV:-$HOME/.cache/cmkcheck/check-jsonschema-venv}
py=${CHECK_JSONSCHEMA_PYTHON:-python3}
marker=$venv/.cmkcheck-check-jsonschema-installed

log() { printf 'check-jsonschema.sh: %s\n' "$*" >&2; }

command -v "$py" >/dev/null 2>&1 || { log "ERROR: $py not found (set CHECK_JSONSCHEMA_PYTHON)"; exit 1; }
want="$("$py" -c 'import platform; print(platform.python_version())') $(sha256sum "$req" | cut -c1-16)"
if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
	mkdir -p "$(dirname "$venv")"
	# Two `make test` at once share the venv: one builds it, the other waits.
	exec {lock}>>"$venv.lock"
	if command -v flock >/dev/null 2>&1; then flock -w 600 "$lock"; fi
	if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
		log "installing $(grep -m1 '^check-jsonschema==' "$req") into $venv"
		rm -f "$marker"
		"$py" -m venv --clear "$venv" >&2
		"$venv/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps -r "$req" >&2
		"$venv/bin/check-jsonschema" --version >/dev/null
		echo "$want" >"$marker"
	fi
	exec {lock}>&-
fi
echo "$venv/bin/check-jsonschema"
