#!/usr/bin/env bash
# zizmor, pinned in scripts/zizmor/requirements.txt, from its cached
# virtualenv (scripts/venv.sh): scripts/zizmor.sh [ZIZMOR ARGS...] FILE...
# Offline: the audits that ask GitHub's API (for example whether a pinned SHA
# is still a tag's) need a token, which `make lint` neither has nor wants.
set -euo pipefail
venv=$("$(dirname "$0")/venv.sh" zizmor zizmor --version)
exec "$venv/bin/zizmor" --offline "$@"
