#!/usr/bin/env bash
# make test-containers: LocalStack started by testcontainers-go, for real.
#
# Starts this checkout's own engine (container-engine.sh: no bridge, no
# iptables), builds or loads the LocalStack image (localstack-image.sh),
# checks the engine runs a container, starts a native LocalStack to compare
# with, then runs, with no LocalStack endpoint set:
#   - CMK_TARGET=localstack go test -tags testcontainers ./suites/... ./internal/container/
#     (TestContainerMatchesNative must run and pass: a console-like key READY
#     and a wrong variant NOT READY, each status the native run's);
#   - cmkcheck audit --target localstack (built with -tags testcontainers) on
#     a console-like key: READY, each status the native run's.
# Afterwards no container or network may be left in the engine, and the
# engine is stopped; either failing fails the run. An engine that cannot
# run containers fails it too, saying why: nothing here is skipped.
#
# Environment: GO (go), OUT (out; reports under OUT/containers),
# TC_PORT (4575, LocalStack in the container, on 127.0.0.1),
# NATIVE_PORT (4576, the native LocalStack compared with).
set -uo pipefail
cd "$(dirname "$0")/.." || exit

GO=${GO:-go}
OUT=${OUT:-out}/containers
TC_PORT=${TC_PORT:-4575}
NATIVE_PORT=${NATIVE_PORT:-4576}
NATIVE=http://127.0.0.1:$NATIVE_PORT
# The native LocalStack's own files, beside no other's.
export LOCALSTACK_PORT=$NATIVE_PORT LOCALSTACK_LOG=$PWD/$OUT/localstack-native.log LOCALSTACK_DATA=$PWD/.cache/localstack-data-$NATIVE_PORT
eval "export $(scripts/container-engine.sh env)"

# How testcontainers-go runs here (internal/container, docs/targets.md).
TC_ENV=(
	TESTCONTAINERS_PROVIDER=docker-host-network TESTCONTAINERS_RYUK_DISABLED=true
	LOCALSTACK_CONTAINER_NETWORK=host LOCALSTACK_CONTAINER_PORT="$TC_PORT" LOCALSTACK_CONTAINER_PULL=never
)

log() { printf 'test-containers: %s\n' "$*" >&2; }
failed=()
fail() {
	log "FAIL: $*"
	failed+=("$*")
}

t0=$SECONDS
mkdir -p "$OUT"

finish() {
	scripts/localstack.sh stop || fail "the native LocalStack did not stop"
	if scripts/container-engine.sh status >/dev/null 2>&1; then
		scripts/container-engine.sh leftovers || fail "containers or networks were left in the engine"
	fi
	scripts/container-engine.sh stop || fail "the engine did not stop"
	if ((${#failed[@]})); then
		log "FAILED after $((SECONDS - t0)) s:"
		printf '  - %s\n' "${failed[@]}" >&2
		exit 1
	fi
	log "passed in $((SECONDS - t0)) s"
}
trap finish EXIT

# step LABEL COMMAND...: runs it and says how long it took.
step() {
	local label=$1 t=$SECONDS s
	shift
	"$@"
	s=$?
	log "$label: $((SECONDS - t)) s"
	return $s
}

step "engine start" scripts/container-engine.sh start || { fail "the container engine did not start (see above)"; exit; }
step "image build/load" scripts/localstack-image.sh load || { fail "the LocalStack image could not be built or loaded (see above)"; exit; }
scripts/container-engine.sh check || { fail "the engine cannot run containers on this machine (the reason is above)"; exit; }
step "native LocalStack start" scripts/localstack.sh start || { fail "the native LocalStack did not start"; exit; }

# The suites, on LocalStack started through testcontainers-go.
gotest_log=$OUT/go-test.log
if ! step "go test (suites through testcontainers)" env -u LOCALSTACK_ENDPOINT -u AWS_ENDPOINT_URL "${TC_ENV[@]}" \
	CMK_TARGET=localstack CMK_COMPARE_LOCALSTACK_ENDPOINT="$NATIVE" CMK_REPORT_DIR="$PWD/$OUT/suites" \
	"$GO" test -count=1 -tags testcontainers -v ./suites/... ./internal/container/ 2>&1 | tee "$gotest_log"; then
	fail "go test -tags testcontainers ./suites/... ./internal/container/ (log: $gotest_log)"
fi
grep -q -- '^--- PASS: TestContainerMatchesNative ' "$gotest_log" ||
	fail "TestContainerMatchesNative did not run and pass (log: $gotest_log)"

# cmkcheck itself starts the container: no endpoint. The native run is
# the reference for each status.
bin=$OUT/cmkcheck
"$GO" build -tags testcontainers -o "$bin" ./cmd/cmkcheck || fail "building cmkcheck -tags testcontainers"
if [[ -x $bin ]]; then
	profile=fixtures/profiles/aep-example.yaml
	step "cmkcheck audit through testcontainers" env -u LOCALSTACK_ENDPOINT -u AWS_ENDPOINT_URL "${TC_ENV[@]}" \
		"$bin" audit --target localstack --profile "$profile" --out "$OUT/cli-container"
	code=$?
	[[ $code == 0 ]] || fail "cmkcheck audit through testcontainers: exit $code, not 0 (READY)"
	env -u AWS_ENDPOINT_URL LOCALSTACK_ENDPOINT="$NATIVE" "$bin" audit --target localstack --profile "$profile" --out "$OUT/cli-native" >/dev/null
	code=$?
	[[ $code == 0 ]] || fail "cmkcheck audit on the native LocalStack: exit $code, not 0 (READY)"
	python3 - "$OUT/cli-native/cmk-audit.results.json" "$OUT/cli-container/cmk-audit.results.json" <<'PY' || fail "cmkcheck audit: the container's statuses are not the native run's"
import json, sys
native, ctr = ({r["id"]: r["status"] for r in json.load(open(p))["results"]} for p in sys.argv[1:])
diff = sorted(i for i in native.keys() | ctr.keys() if native.get(i) != ctr.get(i))
for i in diff:
    print(f"{i}: native {native.get(i)}, container {ctr.get(i)}")
print(f"cmkcheck audit: {len(native)} statuses, {len(diff)} differ between native and container")
sys.exit(1 if diff or not native else 0)
PY
fi
