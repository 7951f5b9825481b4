#!/usr/bin/env bash
# Prints the python of the virtualenv (scripts/venv.sh) holding the validators
# of cmkcheck's SARIF, OCSF and OSCAL files, pinned in
# scripts/format-validators/requirements.txt: run
# `PYTHON scripts/format-validators/validate.py KIND FILE...` (KIND: sarif,
# ocsf, oscal-results, oscal-catalog; see its --help).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
venv=$("$here/venv.sh" format-validators python "$here/format-validators/validate.py" --check-install)
echo "$venv/bin/python"
