#!/usr/bin/env bash
# Run the LocalStack community emulator natively (no Docker engine needed) for
# the KMS, IAM and STS services (and EventBridge, CloudWatch Logs, CloudWatch and SNS for CMK-MON-1,
# CloudFormation for the before-apply self-test), on 127.0.0.1:${LOCALSTACK_PORT:-4566}.
#
#   scripts/localstack.sh install   # create/refresh the cached virtualenv
#   scripts/localstack.sh start     # install if needed, start in background, wait until healthy
#   scripts/localstack.sh status    # print /_localstack/health, exit 0 if KMS/IAM/STS/CloudFormation are up
#   scripts/localstack.sh stop      # stop what `start` started (idempotent)
#
# Environment:
#   LOCALSTACK_VERSION   localstack-core version (default 4.14.0, the last community release;
#                        the dependency pins below are only applied for 4.14.0)
#   LOCALSTACK_PORT      gateway port on 127.0.0.1 (default 4566)
#   LOCALSTACK_VENV      virtualenv (default ~/.cache/cmkcheck/localstack-venv)
#   LOCALSTACK_DATA      LocalStack FILESYSTEM_ROOT (default ~/.cache/cmkcheck/localstack-data)
#   LOCALSTACK_LOG       log file (default /tmp/localstack.log, truncated on each start)
#   LOCALSTACK_PIDFILE   pid file (default ~/.cache/cmkcheck/localstack-<port>.pid)
#   LOCALSTACK_PYTHON    interpreter for the venv (default: first Python >= 3.12 found;
#                        LocalStack 4.14 uses PEP 695 syntax and fails at request time on 3.11)
#   LOCALSTACK_START_TIMEOUT  seconds `start` waits for health (default 180)
#
# How it runs: `python -m localstack.runtime.main` from localstack-core, i.e. the
# same runtime entry point the LocalStack container uses, started directly on the
# host. The `localstack` CLI (`localstack start`) is not used: it needs Docker.
set -euo pipefail

LOCALSTACK_VERSION=${LOCALSTACK_VERSION:-4.14.0}
LOCALSTACK_PORT=${LOCALSTACK_PORT:-4566}
CMKCHECK_CACHE=${CMKCHECK_CACHE:-$HOME/.cache/cmkcheck}
LOCALSTACK_VENV=${LOCALSTACK_VENV:-$CMKCHECK_CACHE/localstack-venv}
LOCALSTACK_DATA=${LOCALSTACK_DATA:-$CMKCHECK_CACHE/localstack-data}
LOCALSTACK_LOG=${LOCALSTACK_LOG:-/tmp/localstack.log}
LOCALSTACK_PIDFILE=${LOCALSTACK_PIDFILE:-$CMKCHECK_CACHE/localstack-$LOCALSTACK_PORT.pid}
LOCALSTACK_START_TIMEOUT=${LOCALSTACK_START_TIMEOUT:-180}
LOCALSTACK_SERVICES=kms,iam,sts,events,logs,cloudwatch,sns,cloudformation

HEALTH_URL="http://127.0.0.1:${LOCALSTACK_PORT}/_localstack/health"
MARKER="$LOCALSTACK_VENV/.cmkcheck-localstack-installed"

log() { printf 'localstack.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# Serialises concurrent invocations (two `start`s, or `install` racing a
# `start`) on the same venv / port: take_lock VAR FILE WAIT opens FILE on a new
# fd stored in VAR and flocks it (flock(1) is util-linux; without it, no lock).
# The fd is closed explicitly (release_lock VAR), at script exit, and for the
# LocalStack child so the server never holds it.
take_lock() {
	local var=$1 file=$2 wait=$3 fd
	mkdir -p "$(dirname "$file")"
	exec {fd}>>"$file"
	printf -v "$var" '%s' "$fd"
	command -v flock >/dev/null 2>&1 || return 0
	flock -w "$wait" "$fd" || die "timed out after $wait s waiting for lock $file"
}
release_lock() {
	local var=$1
	local fd=${!var:-}
	[[ $fd =~ ^[0-9]+$ ]] || return 0
	eval "exec $fd>&-"
	printf -v "$var" '%s' ''
}
# shellcheck disable=SC2034 # set and read indirectly by take_lock/release_lock
INSTALL_LOCK_FD=
START_LOCK_FD=

# Dependency set for localstack-core 4.14.0 (released 2026-02-26), resolved with
# `uv pip compile --exclude-newer 2026-02-27` for Python 3.12/3.13. Pinning is
# required: with today's unpinned resolution the runtime does not start
# (cbor2 6.x has no cbor2._decoder, which localstack.aws.protocol.parser imports,
# so no runtime component loads; newer pyOpenSSL lacks X509.add_extensions used
# for the gateway's self-signed certificate).
# Extras installed: localstack-core[base-runtime] (gateway/server) and moto-ext
# (the IAM provider and STS are built on moto). The full [runtime] extra (awscli,
# jpype, opensearch, pymongo, moto-ext[all], ...) is not needed for KMS/IAM/STS.
pins_4_14_0() {
	cat <<'PINS'
annotated-types==0.7.0
asn1crypto==1.5.1
attrs==25.4.0
awscrt==0.31.2
boto3==1.42.54
botocore==1.42.54
cachetools==7.0.1
cbor2==5.8.0
certifi==2026.2.25
cffi==2.0.0
charset-normalizer==3.4.4
click==8.3.1
constantly==23.10.4
cryptography==46.0.5
dill==0.3.6
dnslib==0.9.26
dnspython==2.8.0
docker==7.1.0
h11==0.16.0
h2==4.3.0
hpack==4.1.0
hypercorn==0.18.0
hyperframe==6.1.0
hyperlink==21.0.0
idna==3.11
incremental==24.11.0
isodate==0.7.2
jinja2==3.1.6
jmespath==1.1.0
jsonpatch==1.33
jsonpointer==3.0.0
jsonschema==4.26.0
jsonschema-path==0.3.4
jsonschema-specifications==2025.9.1
lazy-object-proxy==1.12.0
localstack-twisted==25.5.0
markdown-it-py==4.0.0
markupsafe==3.0.3
mdurl==0.1.2
more-itertools==10.8.0
moto-ext==5.1.24
openapi-core==0.22.0
openapi-schema-validator==0.6.3
openapi-spec-validator==0.7.2
packaging==26.0
pathable==0.4.4
plux==1.14.0
priority==1.3.0
psutil==7.2.2
pycparser==3.0
pydantic==2.12.5
pydantic-core==2.41.5
pygments==2.19.2
pyopenssl==25.3.0
python-dateutil==2.9.0.post0
python-dotenv==1.2.1
pyyaml==6.0.3
readerwriterlock==1.0.9
referencing==0.36.2
requests==2.32.5
requests-aws4auth==1.3.1
responses==0.26.0
rfc3339-validator==0.1.4
rich==14.3.3
rolo==0.8.1
rpds-py==0.30.0
s3transfer==0.16.0
semver==3.0.4
six==1.17.0
typing-extensions==4.15.0
typing-inspection==0.4.2
urllib3==2.6.3
werkzeug==3.1.6
wsproto==1.3.2
xmltodict==1.0.4
zope-interface==8.2
PINS
}

# CloudFormation's provider imports two packages beyond the base runtime
# (samtranslator for its transform support, jsonpath_ng for its engine),
# resolved as above (--exclude-newer 2026-02-27); neither changes a pin.
# They are installed on top of the base set, with their own marker, so a
# venv made by an earlier version of this script (kms,iam,sts only) gains
# them without being rebuilt under a LocalStack that may be running from it.
pins_4_14_0_cloudformation() {
	cat <<'PINS'
aws-sam-translator==1.107.0
jsonpath-ng==1.8.0
PINS
}

# Prints the path of a Python >= 3.12 interpreter, or fails.
find_python() {
	local ok='import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)'
	if [[ -n ${LOCALSTACK_PYTHON:-} ]]; then
		"$LOCALSTACK_PYTHON" -c "$ok" 2>/dev/null ||
			die "LOCALSTACK_PYTHON=$LOCALSTACK_PYTHON is not a working Python >= 3.12"
		command -v "$LOCALSTACK_PYTHON"
		return
	fi
	local cand p
	# Note: a pyenv shim may exist for python3.13 and still fail, so each
	# candidate is run, not just looked up.
	for cand in python3.13 python3.12 python3; do
		if p=$(command -v "$cand" 2>/dev/null) && "$p" -c "$ok" >/dev/null 2>&1; then
			echo "$p"
			return
		fi
	done
	local root=${PYENV_ROOT:-$HOME/.pyenv} d
	if [[ -d $root/versions ]]; then
		while read -r d; do
			for p in "$d/bin/python3" "$d/bin/python"; do
				if [[ -x $p ]] && "$p" -c "$ok" >/dev/null 2>&1; then
					echo "$p"
					return
				fi
			done
		done < <(find "$root/versions" -mindepth 1 -maxdepth 1 -type d -regex '.*/3\.1[23]\.[0-9]+$' | sort -rV)
	fi
	for p in /usr/local/bin/python3.13 /usr/bin/python3.13 /usr/local/bin/python3.12 /usr/bin/python3.12; do
		if [[ -x $p ]] && "$p" -c "$ok" >/dev/null 2>&1; then
			echo "$p"
			return
		fi
	done
	die "LocalStack $LOCALSTACK_VERSION needs Python >= 3.12 (it uses PEP 695 syntax); none found. Install one (e.g. 'pyenv install 3.13') or set LOCALSTACK_PYTHON."
}

install_fingerprint() {
	local py=$1 pyver pins_sum=unpinned
	pyver=$("$py" -c 'import platform; print(platform.python_version())')
	if [[ $LOCALSTACK_VERSION == 4.14.0 ]]; then
		pins_sum=$(pins_4_14_0 | sha256sum | cut -c1-16)
	fi
	echo "localstack-core==$LOCALSTACK_VERSION python=$pyver pins=$pins_sum"
}

cmd_install() {
	install_base
	install_cloudformation
}

# The CloudFormation provider's packages, on top of the base set.
install_cloudformation() {
	local want marker=$LOCALSTACK_VENV/.cmkcheck-cloudformation-installed
	want="cloudformation $(pins_4_14_0_cloudformation | sha256sum | cut -c1-16)"
	if [[ -f $marker && $(cat "$marker") == "$want" ]]; then
		return 0
	fi
	take_lock INSTALL_LOCK_FD "$LOCALSTACK_VENV.lock" 1800
	if [[ ! -f $marker || $(cat "$marker") != "$want" ]]; then
		log "installing the CloudFormation provider's packages into $LOCALSTACK_VENV"
		local pip=("$LOCALSTACK_VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q)
		if [[ $LOCALSTACK_VERSION == 4.14.0 ]]; then
			# The base constraints hold every shared dependency where it is.
			# shellcheck disable=SC2046 # one argument per pin line
			"${pip[@]}" -c "$LOCALSTACK_VENV/constraints.txt" $(pins_4_14_0_cloudformation)
		else
			"${pip[@]}" aws-sam-translator jsonpath-ng
		fi
		"$LOCALSTACK_VENV/bin/python" -c 'import localstack.services.cloudformation.provider' ||
			die "smoke import of LocalStack's CloudFormation provider failed in $LOCALSTACK_VENV (see traceback above)"
		echo "$want" >"$marker"
	fi
	release_lock INSTALL_LOCK_FD
}

install_base() {
	local py want
	# Fast path: the existing venv's own interpreter gives the fingerprint
	# (unless LOCALSTACK_PYTHON asks for a specific one).
	if [[ -z ${LOCALSTACK_PYTHON:-} && -f $MARKER && -f $LOCALSTACK_VENV/pyvenv.cfg && -x $LOCALSTACK_VENV/bin/python ]] &&
		want=$(install_fingerprint "$LOCALSTACK_VENV/bin/python" 2>/dev/null) &&
		[[ $(cat "$MARKER") == "$want" ]]; then
		log "already installed: $want ($LOCALSTACK_VENV)"
		return 0
	fi
	py=$(find_python)
	want=$(install_fingerprint "$py")
	take_lock INSTALL_LOCK_FD "$LOCALSTACK_VENV.lock" 1800
	if [[ -f $MARKER && -f $LOCALSTACK_VENV/pyvenv.cfg && -x $LOCALSTACK_VENV/bin/python && $(cat "$MARKER") == "$want" ]]; then
		log "already installed: $want ($LOCALSTACK_VENV)"
		release_lock INSTALL_LOCK_FD
		return 0
	fi
	local t0=$SECONDS
	log "installing $want into $LOCALSTACK_VENV (python: $py)"
	mkdir -p "$(dirname "$LOCALSTACK_VENV")"
	rm -f "$MARKER" "$LOCALSTACK_VENV/.cmkcheck-cloudformation-installed"
	# --clear: a venv left from another interpreter/version is rebuilt from scratch.
	"$py" -m venv --clear "$LOCALSTACK_VENV"
	local pip=("$LOCALSTACK_VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q)
	if [[ $LOCALSTACK_VERSION == 4.14.0 ]]; then
		pins_4_14_0 >"$LOCALSTACK_VENV/constraints.txt"
		"${pip[@]}" -c "$LOCALSTACK_VENV/constraints.txt" \
			"localstack-core[base-runtime]==$LOCALSTACK_VERSION" moto-ext
	else
		log "WARNING: no dependency pins for $LOCALSTACK_VERSION (only 4.14.0 is pinned); resolving freshly"
		"${pip[@]}" "localstack-core[base-runtime]==$LOCALSTACK_VERSION" moto-ext
	fi
	# Import what the runtime and the three providers need, so a broken
	# dependency set fails here rather than as HTTP 500s at request time.
	"$LOCALSTACK_VENV/bin/python" - <<'PY' || die "smoke import failed in $LOCALSTACK_VENV (see traceback above)"
import localstack.aws.components  # gateway; fails e.g. with cbor2 6.x
import localstack.services.kms.provider
import localstack.services.iam.provider
import localstack.services.sts.provider
from OpenSSL import crypto
assert hasattr(crypto.X509, "add_extensions"), "pyOpenSSL too new for localstack.utils.crypto"
PY
	echo "$want" >"$MARKER"
	release_lock INSTALL_LOCK_FD
	log "installed in $((SECONDS - t0)) s"
}

# The EventBridge provider (CMK-MON-1's self-tests) imports `crontab`, which
# is in localstack-core's full [runtime] extra, not in [base-runtime]. It is
# added on its own, pinned, and kept out of the install fingerprint: a venv
# that other checkouts share is extended, never rebuilt, for it.
MONITORING_DEPS=(crontab==1.0.5)

ensure_monitoring_deps() {
	"$LOCALSTACK_VENV/bin/python" -c 'import crontab' 2>/dev/null && return 0
	take_lock INSTALL_LOCK_FD "$LOCALSTACK_VENV.lock" 1800
	if ! "$LOCALSTACK_VENV/bin/python" -c 'import crontab' 2>/dev/null; then
		log "adding ${MONITORING_DEPS[*]} (the events provider needs it) to $LOCALSTACK_VENV"
		"$LOCALSTACK_VENV/bin/python" -m pip install --no-input --disable-pip-version-check -q "${MONITORING_DEPS[@]}"
	fi
	release_lock INSTALL_LOCK_FD
	"$LOCALSTACK_VENV/bin/python" -c 'import localstack.services.events.provider, localstack.services.logs.provider, localstack.services.cloudwatch.provider, localstack.services.sns.provider' ||
		die "the monitoring providers do not import in $LOCALSTACK_VENV (see traceback above)"
}

health_json() {
	curl -fsS -m 3 "$HEALTH_URL" 2>/dev/null
}

# Healthy = each of LOCALSTACK_SERVICES reported "available" or "running".
is_healthy() {
	local h s
	h=$(health_json) || return 1
	for s in ${LOCALSTACK_SERVICES//,/ }; do
		grep -Eq "\"$s\": *\"(available|running)\"" <<<"$h" || return 1
	done
}

port_in_use() {
	(exec 3<>"/dev/tcp/127.0.0.1/$LOCALSTACK_PORT") 2>/dev/null
}

# Prints the pid from the pid file if it is a live LocalStack runtime.
our_pid() {
	[[ -f $LOCALSTACK_PIDFILE ]] || return 1
	local pid
	pid=$(cat "$LOCALSTACK_PIDFILE" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'localstack.runtime.main' || return 1
	echo "$pid"
}

cmd_start() {
	if is_healthy; then
		log "LocalStack already healthy on 127.0.0.1:$LOCALSTACK_PORT; not starting another"
		return 0
	fi
	take_lock START_LOCK_FD "$LOCALSTACK_PIDFILE.lock" $((LOCALSTACK_START_TIMEOUT + 1800)) # held until exit
	if is_healthy; then
		log "LocalStack already healthy on 127.0.0.1:$LOCALSTACK_PORT; not starting another"
		return 0
	fi
	local pid
	if pid=$(our_pid); then
		log "LocalStack (pid $pid) already started, waiting for it to become healthy"
	else
		rm -f "$LOCALSTACK_PIDFILE"
		if port_in_use; then
			die "port 127.0.0.1:$LOCALSTACK_PORT is in use by something that is not a healthy LocalStack ($HEALTH_URL)"
		fi
		cmd_install
		ensure_monitoring_deps
		mkdir -p "$LOCALSTACK_DATA" "$(dirname "$LOCALSTACK_PIDFILE")" "$(dirname "$LOCALSTACK_LOG")"
		: >"$LOCALSTACK_LOG"
		log "starting LocalStack $LOCALSTACK_VERSION natively on 127.0.0.1:$LOCALSTACK_PORT (SERVICES=$LOCALSTACK_SERVICES), log: $LOCALSTACK_LOG"
		# OVERRIDE_IN_DOCKER=0: this host may itself be a container (/.dockerenv);
		#   without it LocalStack assumes it is in its own image and uses /var/lib/localstack.
		# FILESYSTEM_ROOT: host-mode root for its var/lib, cache, tmp dirs.
		# DNS_ADDRESS=0: no DNS server. SKIP_SSL_CERT_DOWNLOAD / DISABLE_EVENTS: no calls
		#   to api.localstack.cloud (unreachable here). EAGER_SERVICE_LOADING=1: load the
		#   providers at startup so import errors show before "healthy".
		# setsid: own session/process group, so `stop` can signal the whole group;
		#   the child writes its own pid (exec keeps it) so the pid file is exact.
		# shellcheck disable=SC2016 # $$/$1/$@ belong to the inner bash
		setsid env \
			OVERRIDE_IN_DOCKER=0 \
			SERVICES="$LOCALSTACK_SERVICES" \
			EAGER_SERVICE_LOADING=1 \
			GATEWAY_LISTEN="127.0.0.1:$LOCALSTACK_PORT" \
			LOCALSTACK_HOST="127.0.0.1:$LOCALSTACK_PORT" \
			DNS_ADDRESS=0 \
			PERSISTENCE=0 \
			FILESYSTEM_ROOT="$LOCALSTACK_DATA" \
			SKIP_SSL_CERT_DOWNLOAD=1 \
			DISABLE_EVENTS=1 \
			PYTHONUNBUFFERED=1 \
			bash -c 'echo $$ >"$1"; shift; exec "$@"' _ "$LOCALSTACK_PIDFILE" \
			"$LOCALSTACK_VENV/bin/python" -m localstack.runtime.main \
			>>"$LOCALSTACK_LOG" 2>&1 </dev/null {START_LOCK_FD}>&- &
		local launcher=$!
		local i
		for ((i = 0; i < 50; i++)); do
			[[ -s $LOCALSTACK_PIDFILE ]] && break
			sleep 0.1
		done
		pid=$(cat "$LOCALSTACK_PIDFILE" 2>/dev/null || echo "$launcher")
	fi
	local t0=$SECONDS
	while ((SECONDS - t0 < LOCALSTACK_START_TIMEOUT)); do
		if is_healthy; then
			log "LocalStack healthy on 127.0.0.1:$LOCALSTACK_PORT after $((SECONDS - t0)) s (pid $pid)"
			return 0
		fi
		if ! kill -0 "$pid" 2>/dev/null; then
			log "LocalStack process $pid exited before becoming healthy; last 50 log lines:"
			tail -n 50 "$LOCALSTACK_LOG" >&2 || true
			rm -f "$LOCALSTACK_PIDFILE"
			return 1
		fi
		sleep 0.5
	done
	log "LocalStack not healthy after $LOCALSTACK_START_TIMEOUT s; last 50 log lines of $LOCALSTACK_LOG:"
	tail -n 50 "$LOCALSTACK_LOG" >&2 || true
	log "health: $(health_json || echo unreachable)"
	cmd_stop || true
	return 1
}

cmd_stop() {
	local pid
	if ! pid=$(our_pid); then
		rm -f "$LOCALSTACK_PIDFILE"
		log "not running (no live LocalStack from $LOCALSTACK_PIDFILE)"
		return 0
	fi
	local pgid target
	pgid=$(ps -o pgid= -p "$pid" | tr -d ' ')
	# Signal the whole group only if it is the one start created (pgid == pid).
	if [[ $pgid == "$pid" ]]; then target=-$pid; else target=$pid; fi
	log "stopping LocalStack (pid $pid)"
	kill -TERM -- "$target" 2>/dev/null || true
	local i
	for ((i = 0; i < 120; i++)); do # shutdown takes ~7 s idle, ~30 s on a loaded 2-core box
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "still alive after 60 s; sending SIGKILL"
		kill -KILL -- "$target" 2>/dev/null || true
		sleep 0.5
	fi
	rm -f "$LOCALSTACK_PIDFILE"
	log "stopped"
}

cmd_status() {
	local h pid
	if pid=$(our_pid); then log "pid file: $LOCALSTACK_PIDFILE (pid $pid)"; fi
	if ! h=$(health_json); then
		log "no LocalStack answering at $HEALTH_URL"
		return 1
	fi
	echo "$h"
	is_healthy
}

usage() {
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'
}

case ${1:-} in
install) cmd_install && ensure_monitoring_deps ;;
start) cmd_start ;;
stop) cmd_stop ;;
status) cmd_status ;;
-h | --help | help) usage ;;
*)
	usage >&2
	exit 2
	;;
esac
