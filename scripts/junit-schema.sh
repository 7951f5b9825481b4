#!/usr/bin/env bash
# Prints the path of junit-10.xsd, the JUnit schema of Jenkins' xunit plugin,
# fetching it once from the pytest source distribution on PyPI (pytest checks
# its own JUnit output against it). Also installs xmllint when it is missing.
set -euo pipefail
cache="${CMK_CACHE:-$HOME/.cache/cmkcheck}"
xsd="$cache/junit-10.xsd"
pytest_version=8.3.5
if ! command -v xmllint >/dev/null 2>&1; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then
    (apt-get update -qq && apt-get install -y -qq libxml2-utils) >&2
  else
    echo "junit-schema.sh: xmllint is missing; install libxml2-utils" >&2
  fi
fi
if [ ! -s "$xsd" ]; then
  mkdir -p "$cache"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  python3 -m pip download --quiet --no-deps --no-binary :all: "pytest==$pytest_version" -d "$tmp" >&2
  tar -xzf "$tmp/pytest-$pytest_version.tar.gz" -C "$tmp" "pytest-$pytest_version/testing/example_scripts/junit-10.xsd"
  mv "$tmp/pytest-$pytest_version/testing/example_scripts/junit-10.xsd" "$xsd"
fi
echo "$xsd"
