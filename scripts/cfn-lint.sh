#!/usr/bin/env bash
# cfn-lint, pinned in scripts/cfn-lint/requirements.txt, from its cached
# virtualenv (scripts/venv.sh): scripts/cfn-lint.sh TEMPLATE...
set -euo pipefail
venv=$("$(dirname "$0")/venv.sh" cfn-lint cfn-lint --version)
exec "$venv/bin/cfn-lint" "$@"
