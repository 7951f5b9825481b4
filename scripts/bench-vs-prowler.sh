#!/usr/bin/env bash
# Side by side on one native LocalStack, in one session: Prowler's KMS
# checks (`prowler aws --service kms -f us-east-1`) and `cmkcheck audit
# --keys FILE --parallel 8` (the keys by ARN), over the same keys: 300 (or
# BENCH_SIZES) of a mix of compliant, rotation off, multi-Region, disabled,
# pending deletion, public and cross-account keys. Each size is run twice:
# straight to LocalStack, and with both tools pointed at a keep-alive proxy
# that adds BENCH_DELAY to every call (internal/testkit/faultproxy/
# latencyproxy: AWS-like round trips). Prints one table. Not part of
# `make test`: installing Prowler takes minutes.
#
#   scripts/bench-vs-prowler.sh
#
# Environment:
#   PROWLER_VERSION   default 5.46.0 (from PyPI, into its own virtualenv)
#   PROWLER_VENV      default ~/.cache/cmkcheck/prowler-venv
#   PROWLER_PYTHON    interpreter for that venv (default: the first of python3.12,
#                     python3.11, python3.10, python3 found; Prowler 5 wants < 3.13)
#   LOCALSTACK_PORT   default 4570; a fresh LocalStack is started there (and stopped)
#   BENCH_SIZES       default "300"
#   BENCH_DELAY       added to every call in the second row of each size (default 25ms)
#   BENCH_PARALLEL    cmkcheck's --parallel (default 8)
#   BENCH_OUT         where the reports and logs go (default: a temporary directory)
set -euo pipefail

PROWLER_VERSION=${PROWLER_VERSION:-5.46.0}
CMKCHECK_CACHE=${CMKCHECK_CACHE:-$HOME/.cache/cmkcheck}
PROWLER_VENV=${PROWLER_VENV:-$CMKCHECK_CACHE/prowler-venv}
LOCALSTACK_PORT=${LOCALSTACK_PORT:-4570}
BENCH_SIZES=${BENCH_SIZES:-300}
BENCH_DELAY=${BENCH_DELAY:-25ms}
BENCH_PARALLEL=${BENCH_PARALLEL:-8}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
OUT=${BENCH_OUT:-$(mktemp -d /tmp/bench-vs-prowler.XXXXXX)}
ENDPOINT=http://127.0.0.1:$LOCALSTACK_PORT

log() { printf 'bench-vs-prowler: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

case $LOCALSTACK_PORT in 4566|4567|4568|4569) die "LOCALSTACK_PORT=$LOCALSTACK_PORT is another engineer's: pick another port" ;; esac
mkdir -p "$OUT"

# Prowler, in its own virtualenv, from PyPI.
if [[ ! -x $PROWLER_VENV/bin/prowler ]] || [[ $("$PROWLER_VENV/bin/pip" show prowler 2>/dev/null | sed -n 's/^Version: //p') != "$PROWLER_VERSION" ]]; then
	py=${PROWLER_PYTHON:-}
	if [[ -z $py ]]; then
		for c in python3.12 python3.11 python3.10 python3; do
			# A pyenv shim exists for versions it does not select: it must run.
			if command -v "$c" >/dev/null && "$c" -c 'import sys' 2>/dev/null; then py=$c; break; fi
		done
	fi
	[[ -n $py ]] || die "no Python 3 found for Prowler's virtualenv"
	log "installing prowler==$PROWLER_VERSION into $PROWLER_VENV with $py (takes minutes)"
	"$py" -m venv "$PROWLER_VENV"
	"$PROWLER_VENV/bin/pip" install -q --upgrade pip
	"$PROWLER_VENV/bin/pip" install -q "prowler==$PROWLER_VERSION"
fi

# cmkcheck, the key maker and the latency proxy, built once.
(cd "$ROOT" && go build -o "$OUT/cmkcheck" ./cmd/cmkcheck && go build -o "$OUT/mkfleet" ./internal/testkit/fleetmix/mkfleet &&
	go build -o "$OUT/latencyproxy" ./internal/testkit/faultproxy/latencyproxy)

# A fresh LocalStack: its own data directory, so its only keys are ours.
export LOCALSTACK_PORT LOCALSTACK_DATA=$OUT/localstack-data LOCALSTACK_LOG=$OUT/localstack.log
LOCALSTACK_PIDFILE=$OUT/localstack.pid
export LOCALSTACK_PIDFILE
"$ROOT/scripts/localstack.sh" start
PROXY_PID=
cleanup() {
	if [[ -n $PROXY_PID ]]; then
		kill "$PROXY_PID" 2>/dev/null || true
		wait "$PROXY_PID" 2>/dev/null || true
	fi
	if [[ -s $OUT/keys.txt ]]; then
		"$OUT/mkfleet" -endpoint "$ENDPOINT" -delete "$OUT/keys.txt" || true
	fi
	"$ROOT/scripts/localstack.sh" stop || true
}
trap cleanup EXIT

# The proxy in front of the same LocalStack: it prints its URL first.
"$OUT/latencyproxy" -upstream "$ENDPOINT" -delay "$BENCH_DELAY" >"$OUT/latencyproxy.url" 2>"$OUT/latencyproxy.log" &
PROXY_PID=$!
for _ in $(seq 50); do
	[[ -s $OUT/latencyproxy.url ]] && break
	sleep 0.1
done
PROXY=$(head -n 1 "$OUT/latencyproxy.url")
[[ $PROXY == http://* ]] || die "the latency proxy did not start (log: $OUT/latencyproxy.log)"

# The profile the keys are made for (and judged by): the mix's own admins,
# users and platform account, in LocalStack's account.
cat >"$OUT/profile.yaml" <<'YAML'
region: us-east-1
shield: privacy-security
key_administrators: [arn:aws:iam::000000000000:role/KeyAdmin]
key_users: [arn:aws:iam::000000000000:role/KeyUser]
allow_key_deletion: false
adobe_principals: ["222233334444"]
YAML

export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 AWS_REGION=us-east-1
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", b - a }'; }

rows=()
made=0
: >"$OUT/keys.txt"
: >"$OUT/arns.txt"
for n in $BENCH_SIZES; do
	if ((n > made)); then
		"$OUT/mkfleet" -endpoint "$ENDPOINT" -n $((n - made)) -parallel 8 -profile "$OUT/profile.yaml" -ids "$OUT/keys.$n.txt"
		cat "$OUT/keys.$n.txt" >>"$OUT/keys.txt"
		made=$n
	fi
	# The keys by ARN, as the issue's runs selected them.
	head -n "$n" "$OUT/keys.txt" | sed 's#^#arn:aws:kms:us-east-1:000000000000:key/#' >"$OUT/arns.$n.txt"

	for via in direct proxy; do
		endpoint=$ENDPOINT label="no added latency"
		if [[ $via == proxy ]]; then
			endpoint=$PROXY label="$BENCH_DELAY a call (proxy)"
		fi
		t0=$(now)
		AWS_ENDPOINT_URL=$endpoint "$PROWLER_VENV/bin/prowler" aws --service kms -f us-east-1 --no-banner \
			--output-formats csv --output-directory "$OUT/prowler-$n-$via" >"$OUT/prowler-$n-$via.log" 2>&1 || {
			rc=$?
			# 3: findings were found, which is the point of the keys.
			[[ $rc == 3 ]] || { tail -20 "$OUT/prowler-$n-$via.log" >&2; die "prowler exited $rc (log: $OUT/prowler-$n-$via.log)"; }
		}
		t1=$(now)
		prowler=$(secs "$t0" "$t1")

		rc=0
		t0=$(now)
		CMK_TARGET=localstack LOCALSTACK_ENDPOINT=$endpoint "$OUT/cmkcheck" audit --keys "$OUT/arns.$n.txt" --parallel "$BENCH_PARALLEL" \
			--profile "$OUT/profile.yaml" --out "$OUT/cmkcheck-$n-$via" >"$OUT/cmkcheck-$n-$via.log" 2>&1 || rc=$?
		t1=$(now)
		# 0 READY, 1 NOT READY (the mix is): both are a run that went through.
		[[ $rc == 0 || $rc == 1 ]] || { cat "$OUT/cmkcheck-$n-$via.log" >&2; die "cmkcheck exited $rc"; }
		grep -q "^keys: $n audited" "$OUT/cmkcheck-$n-$via.log" || { cat "$OUT/cmkcheck-$n-$via.log" >&2; die "cmkcheck did not audit $n keys"; }
		cmk=$(secs "$t0" "$t1")
		ratio=$(awk -v p="$prowler" -v c="$cmk" 'BEGIN { printf "%.1f", p / c }')
		rows+=("$(printf '| %5d | %-22s | %10s s | %8s s | %17sx |' "$n" "$label" "$cmk" "$prowler" "$ratio")")
		log "$n keys, $label: cmkcheck --parallel $BENCH_PARALLEL ${cmk}s, prowler ${prowler}s"
	done
done

echo
echo "cmkcheck audit --keys (key ARNs) --parallel $BENCH_PARALLEL and Prowler $PROWLER_VERSION (prowler aws --service kms -f us-east-1),"
echo "on one native LocalStack 4.14.0 at $ENDPOINT, straight and through a keep-alive proxy adding $BENCH_DELAY to every call,"
echo "$(nproc) cores, load average $(cut -d' ' -f1-3 /proc/loadavg), $(date -u +%Y-%m-%dT%H:%MZ); reports and logs in $OUT"
echo
printf '|  keys | %-22s | %12s | %10s | %18s |\n' calls "cmkcheck -p$BENCH_PARALLEL" Prowler "Prowler / cmkcheck"
echo "| ----: | ---------------------- | -----------: | ---------: | -----------------: |"
printf '%s\n' "${rows[@]}"
