#!/usr/bin/env bash
# Builds the LocalStack image that testcontainers-go starts, with no image
# registry: a Debian root filesystem (mmdebstrap) with LocalStack installed
# by scripts/localstack.sh itself (the same pinned dependency set as the
# native run), imported into the engine as localstack/localstack:4.14.0.
#
#   scripts/localstack-image.sh build   # the image tarball, from the cache when its key matches
#   scripts/localstack-image.sh load    # build if needed, then `docker import` it (needs DOCKER_HOST)
#   scripts/localstack-image.sh key     # print the cache key
#
# Environment:
#   IMAGE_CACHE   where the tarball is kept between runs (default .cache/localstack-image
#                 under the checkout, git-ignored)
#   DEBIAN_MIRROR Debian mirror for mmdebstrap (default http://deb.debian.org/debian)
#
# Debian trixie, not bookworm: LocalStack 4.14 needs Python >= 3.12
# (localstack.sh says why) and bookworm has 3.11; trixie has 3.13, the
# version the native venv is known to work with.
#
# The cache key hashes this script and scripts/localstack.sh (which holds
# the pins). Debian's package versions within trixie are not part of it:
# a tarball is reused until one of the scripts changes or it is removed.
set -euo pipefail
cd "$(dirname "$0")/.."

IMAGE=localstack/localstack:4.14.0
SUITE=trixie
IMAGE_CACHE=${IMAGE_CACHE:-$PWD/.cache/localstack-image}
DEBIAN_MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
VENV=/opt/localstack-venv

log() { printf 'localstack-image.sh: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

key() {
	{
		echo "$IMAGE $SUITE $(dpkg --print-architecture)"
		cat scripts/localstack-image.sh scripts/localstack.sh
	} | sha256sum | cut -c1-16
}

tarball() { echo "$IMAGE_CACHE/localstack-4.14.0-$(key).tar"; }

cmd_build() {
	local tar
	tar=$(tarball)
	if [[ -s $tar ]]; then
		log "cached: $tar"
		return 0
	fi
	command -v mmdebstrap >/dev/null || {
		log "installing mmdebstrap"
		export DEBIAN_FRONTEND=noninteractive
		apt-get install -y -q mmdebstrap >&2 || { apt-get update -q >&2 && apt-get install -y -q mmdebstrap >&2; } ||
			die "could not install mmdebstrap with apt-get"
	}
	mkdir -p "$IMAGE_CACHE"
	# pip in the chroot trusts what pip on the host trusts (a proxy's CA
	# may be among it); the file is removed before the image is packed.
	local ca=${PIP_CERT:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}
	[[ -r $ca ]] || die "no CA bundle for pip at $ca"
	local t0=$SECONDS
	log "building $IMAGE from Debian $SUITE into $tar (minutes)"
	# Root mode: the hooks run in a chroot that shares the host's network,
	# so pip reaches the package index. localstack.sh `install` makes the
	# venv, checks the Python version, applies the pins and smoke-imports
	# the providers, exactly as for the native run. ("$1" in the hooks is
	# mmdebstrap's: the root being built.)
	# shellcheck disable=SC2016
	mmdebstrap --mode=root --variant=minbase --format=tar \
		--include=python3,python3-venv,ca-certificates \
		--customize-hook='copy-in scripts/localstack.sh /usr/local/bin' \
		--customize-hook="mkdir -p \"\$1\"/tmp/build-ca && cp '$ca' \"\$1\"/tmp/build-ca/ca.crt" \
		--customize-hook="chroot \"\$1\" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin PIP_CERT=/tmp/build-ca/ca.crt LOCALSTACK_VENV=$VENV LOCALSTACK_PYTHON=/usr/bin/python3 bash /usr/local/bin/localstack.sh install" \
		--customize-hook='rm -rf "$1"/tmp/build-ca "$1"/root/.cache "$1"/var/cache/apt/archives/*.deb' \
		--customize-hook='mkdir -p "$1"/var/lib/localstack "$1"/tmp/localstack "$1"/opt/code/localstack' \
		"$SUITE" "$tar.partial" "$DEBIAN_MIRROR" >&2 ||
		{
			rm -f "$tar.partial"
			die "mmdebstrap failed (see above)"
		}
	mv "$tar.partial" "$tar"
	# Tarballs of earlier inputs are never used again.
	find "$IMAGE_CACHE" -maxdepth 1 -name 'localstack-4.14.0-*.tar' ! -path "$tar" -delete
	log "built in $((SECONDS - t0)) s: $tar ($(du -h "$tar" | cut -f1))"
}

# The image carries its key (CMKCHECK_IMAGE_KEY) so a current one is not
# imported again. Its settings are those localstack.sh gives the native
# run that belong to the image (no DNS server, no calls out); the port,
# services and host are the caller's (internal/container sets them).
cmd_load() {
	[[ -n ${DOCKER_HOST:-} ]] || die "DOCKER_HOST is not set (scripts/container-engine.sh start prints it)"
	local k have
	k=$(key)
	have=$(docker image inspect -f '{{range .Config.Env}}{{println .}}{{end}}' "$IMAGE" 2>/dev/null | sed -n 's/^CMKCHECK_IMAGE_KEY=//p' || true)
	if [[ $have == "$k" ]]; then
		log "$IMAGE already loaded (key $k)"
		return 0
	fi
	cmd_build
	log "importing $(tarball) as $IMAGE"
	docker import \
		--change "ENV PATH=$VENV/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" \
		--change 'ENV DNS_ADDRESS=0' \
		--change 'ENV SKIP_SSL_CERT_DOWNLOAD=1' \
		--change 'ENV DISABLE_EVENTS=1' \
		--change 'ENV PERSISTENCE=0' \
		--change 'ENV PYTHONUNBUFFERED=1' \
		--change "ENV CMKCHECK_IMAGE_KEY=$k" \
		--change 'WORKDIR /opt/code/localstack' \
		--change "CMD [\"$VENV/bin/python\", \"-m\", \"localstack.runtime.main\"]" \
		"$(tarball)" "$IMAGE" >/dev/null
	log "loaded $IMAGE"
}

case ${1:-} in
build) cmd_build ;;
load) cmd_load ;;
key) key ;;
*)
	sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//' >&2
	exit 2
	;;
esac
