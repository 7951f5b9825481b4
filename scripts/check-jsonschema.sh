#!/usr/bin/env bash
# Prints the path of check-jsonschema, pinned in
# scripts/check-jsonschema/requirements.txt, from its cached virtualenv
# (scripts/venv.sh). `make test` names it in CMK_CHECK_JSONSCHEMA, and the
# schema tests (cmd/cmkcheck/schemas_test.go) run it on docs/schemas.
set -euo pipefail
venv=$("$(dirname "$0")/venv.sh" check-jsonschema check-jsonschema --version)
echo "$venv/bin/check-jsonschema"
