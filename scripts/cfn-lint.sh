#!/usr/bin/env bash
# Run cfn-lint, from a virtualenv cached under ~/.cache/cmkcheck and built from
# the pinned scripts/cfn-lint/requirements.txt (as scripts/localstack.sh does
# for LocalStack): scripts/cfn-lint.sh TEMPLATE...
#
# Environment:
#   CFN_LINT_VENV    virtualenv (default ~/.cache/cmkcheck/cfn-lint-venv)
#   CFN_LINT_PYTHON  interpreter for the venv (default python3; cfn-lint needs >= 3.9)
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
req=$here/cfn-lint/requirements.txt
venv=${CFN_LINT_VENV:-$HOME/.cache/cmkcheck/cfn-lint-venv}
py=${CFN_LINT_PYTHON:-python3}
marker=$venv/.cmkcheck-cfn-lint-installed

log() { printf 'cfn-lint.sh: %s\n' "$*" >&2; }

command -v "$py" >/dev/null 2>&1 || { log "ERROR: $py not found (set CFN_LINT_PYTHON)"; exit 1; }
want="$("$py" -c 'import platform; print(platform.python_version())') $(sha256sum "$req" | cut -c1-16)"
if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
	mkdir -p "$(dirname "$venv")"
	# Two `make lint` at once share the venv: one builds it, the other waits.
	exec {lock}>>"$venv.lock"
	if command -v flock >/dev/null 2>&1; then flock -w 600 "$lock"; fi
	if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
		log "installing $(grep -m1 '^cfn-lint==' "$req") into $venv"
		rm -f "$marker"
		"$py" -m venv --clear "$venv"
		"$venv/bin/python" -m pip install --no-input --disable-pip-version-check -q --no-deps -r "$req"
		"$venv/bin/cfn-lint" --version >/dev/null
		echo "$want" >"$marker"
	fi
	exec {lock}>&-
fi
exec "$venv/bin/cfn-lint" "$@"
