#!/usr/bin/env bash
# A Docker engine of this checkout's own, for testcontainers-go: Debian's
# docker.io (installed when missing), no bridge and no iptables, so every
# container runs on the host network and all traffic stays on loopback.
# Its data root, exec root, pid file, log and socket are under ENGINE_DIR,
# so it fights no other engine on the machine.
#
#   scripts/container-engine.sh start   # install if needed, start dockerd, wait until it answers
#   scripts/container-engine.sh check   # can it run a container? (needs the LocalStack image loaded)
#   scripts/container-engine.sh status  # exit 0 if this engine answers
#   scripts/container-engine.sh leftovers  # fail if a container, or a network beside host and none, is left
#   scripts/container-engine.sh env     # print the DOCKER_HOST line for this engine
#   scripts/container-engine.sh stop    # stop exactly the dockerd `start` started (idempotent)
#
# Environment:
#   ENGINE_DIR            default .cache/container-engine under the checkout (git-ignored)
#   ENGINE_START_TIMEOUT  seconds `start` waits for the engine (default 60)
#   ENGINE_DOCKERD_ARGS   more dockerd flags, e.g. --storage-driver=vfs where the
#                         kernel has no overlayfs
set -euo pipefail
cd "$(dirname "$0")/.."

ENGINE_DIR=${ENGINE_DIR:-$PWD/.cache/container-engine}
ENGINE_START_TIMEOUT=${ENGINE_START_TIMEOUT:-60}
SOCKET=$ENGINE_DIR/docker.sock
PIDFILE=$ENGINE_DIR/dockerd.pid
EXEC_ROOT=$ENGINE_DIR/exec
DATA_ROOT=$ENGINE_DIR/data
LOG=$ENGINE_DIR/dockerd.log
export DOCKER_HOST=unix://$SOCKET

log() { printf 'container-engine.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

# The pid from the pid file if it is a live dockerd using our exec root.
our_pid() {
	[[ -f $PIDFILE ]] || return 1
	local pid
	pid=$(cat "$PIDFILE" 2>/dev/null) || return 1
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q -- "dockerd .*--exec-root $EXEC_ROOT" || return 1
	echo "$pid"
}

answers() { docker version --format '{{.Server.Version}}' >/dev/null 2>&1; }

install_engine() {
	command -v dockerd >/dev/null && command -v docker >/dev/null && return 0
	log "installing docker.io (Debian)"
	export DEBIAN_FRONTEND=noninteractive
	apt-get install -y -q docker.io >&2 || { apt-get update -q >&2 && apt-get install -y -q docker.io >&2; } ||
		die "could not install docker.io with apt-get"
}

cmd_start() {
	local pid
	if pid=$(our_pid) && answers; then
		log "already running (pid $pid)"
		return 0
	fi
	install_engine
	mkdir -p "$DATA_ROOT" "$EXEC_ROOT"
	rm -f "$PIDFILE" "$SOCKET"
	: >"$LOG"
	local extra
	read -ra extra <<<"${ENGINE_DOCKERD_ARGS:-}"
	log "starting dockerd ($(dockerd --version)), socket $SOCKET, log $LOG"
	# setsid: its own session, so no terminal signal reaches it; the
	# containerd it starts (under the exec root) is its child.
	setsid dockerd \
		--host "$DOCKER_HOST" \
		--bridge=none --iptables=false --ip-forward=false --ip-masq=false \
		--data-root "$DATA_ROOT" --exec-root "$EXEC_ROOT" --pidfile "$PIDFILE" \
		"${extra[@]}" \
		>>"$LOG" 2>&1 </dev/null &
	local launcher=$! t0=$SECONDS
	while ((SECONDS - t0 < ENGINE_START_TIMEOUT)); do
		if answers; then
			log "dockerd answers after $((SECONDS - t0)) s (pid $(cat "$PIDFILE")); storage driver $(docker info --format '{{.Driver}}')"
			return 0
		fi
		if ! kill -0 "$launcher" 2>/dev/null; then
			log "dockerd exited before answering; last 30 log lines:"
			tail -n 30 "$LOG" >&2
			return 1
		fi
		sleep 0.5
	done
	log "dockerd did not answer within $ENGINE_START_TIMEOUT s; last 30 log lines:"
	tail -n 30 "$LOG" >&2
	cmd_stop || true
	return 1
}

# Runs one container from the LocalStack image on the host network: on a
# kernel without what the engine needs (cgroups, namespaces, overlayfs),
# this is where it shows, with the runtime's own words.
cmd_check() {
	answers || die "no engine answers on $SOCKET (start it first)"
	local out
	if ! out=$(docker run --rm --network host --entrypoint /bin/true localstack/localstack:4.14.0 2>&1); then
		log "this engine cannot run a container: $out"
		log "kernel $(uname -r); cgroup fs: $(stat -f -c %T /sys/fs/cgroup 2>/dev/null || echo none); last 10 dockerd log lines:"
		tail -n 10 "$LOG" >&2
		return 1
	fi
	log "the engine runs containers (host network)"
}

# Containers left behind (running or not): testcontainers should have
# removed each it started. Networks beside host and none: a bridge made
# by something that should have used the host's network.
cmd_leftovers() {
	answers || die "no engine answers on $SOCKET"
	local left nets status=0
	left=$(docker ps -a --format '{{.ID}} {{.Image}} {{.Status}}')
	if [[ -n $left ]]; then
		log "containers left behind:"
		printf '%s\n' "$left" >&2
		status=1
	fi
	nets=$(docker network ls --format '{{.Name}} {{.Driver}}' | grep -Ev '^(host host|none null)$' || true)
	if [[ -n $nets ]]; then
		log "networks other than host and none:"
		printf '%s\n' "$nets" >&2
		status=1
	fi
	((status == 0)) && log "no container and no network left"
	return $status
}

cmd_stop() {
	local pid
	if ! pid=$(our_pid); then
		log "not running (no live dockerd from $PIDFILE)"
		rm -f "$PIDFILE"
		return 0
	fi
	log "stopping dockerd (pid $pid)"
	kill -TERM "$pid"
	local i
	for ((i = 0; i < 60; i++)); do
		kill -0 "$pid" 2>/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null; then
		log "still alive after 30 s; sending SIGKILL"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	# What it started and may leave after a SIGKILL: its containerd and
	# shims, found by our exec root on their command lines, by pid.
	local p
	for p in $(pgrep -f -- "$EXEC_ROOT" || true); do
		log "stopping $(tr '\0' ' ' <"/proc/$p/cmdline" 2>/dev/null | cut -c1-80) (pid $p)"
		kill -TERM "$p" 2>/dev/null || true
	done
	for ((i = 0; i < 20; i++)); do
		kill -0 "$pid" 2>/dev/null || pgrep -f -- "$EXEC_ROOT" >/dev/null || break
		sleep 0.5
	done
	if kill -0 "$pid" 2>/dev/null || pgrep -f -- "$EXEC_ROOT" >/dev/null; then
		die "dockerd (pid $pid) or its containerd still running"
	fi
	# dockerd leaves its network namespace bound under the exec root (and,
	# killed, overlay mounts under the data root): unmounted, deepest
	# first, so the checkout can be removed.
	local m
	for m in $(findmnt -rn -o TARGET | grep -F -- "$ENGINE_DIR/" | sort -r); do
		umount "$m" || log "could not unmount $m"
	done
	rm -f "$PIDFILE"
	log "stopped"
}

case ${1:-} in
start) cmd_start ;;
check) cmd_check ;;
leftovers) cmd_leftovers ;;
status) answers ;;
env) echo "DOCKER_HOST=$DOCKER_HOST" ;;
stop) cmd_stop ;;
*)
	sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
