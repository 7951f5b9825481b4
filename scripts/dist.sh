#!/usr/bin/env bash
# Build the release binaries (make dist, and the release workflow through it):
#   scripts/dist.sh [OUTDIR]        (default dist)
# writes OUTDIR/cmkcheck_<os>_<arch>[.exe] for each platform and
# OUTDIR/SHA256SUMS (sha256sum -c reads it). Built with -trimpath and
# CGO_ENABLED=0, the version, commit and date stamped through -ldflags into
# internal/buildinfo, which the evidence and `cmkcheck version` name.
#
# Environment:
#   VERSION    default: git describe --tags --always --dirty (the tag on a tagged commit)
#   COMMIT     default: git rev-parse HEAD, "-dirty" appended for uncommitted changes
#   DATE       default: the commit's time, UTC, RFC 3339 (the same source gives the same bytes)
#   PLATFORMS  GOOS/GOARCH list (default the six below; "host" is go env GOOS/GOARCH)
#   GO         the go command (default go)
set -euo pipefail

out=${1:-dist}
GO=${GO:-go}
PLATFORMS=${PLATFORMS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
pkg=github.com/aep-cmk/cmkcheck/internal/buildinfo

die() { printf 'dist.sh: %s\n' "$*" >&2; exit 1; }

cd "$(dirname "$0")/.."
# Values not given come from git; none is guessed: a value git cannot give
# either stops the build rather than stamping something untrue.
if [[ -z ${VERSION:-} ]]; then
	VERSION=$(git describe --tags --always --dirty) || die "no VERSION given and git describe failed"
fi
if [[ -z ${COMMIT:-} ]]; then
	COMMIT=$(git rev-parse HEAD) || die "no COMMIT given and git rev-parse failed"
	if [[ -n $(git status --porcelain --untracked-files=no) ]]; then COMMIT+=-dirty; fi
fi
if [[ -z ${DATE:-} ]]; then
	DATE=$(TZ=UTC git log -1 --date=format-local:%Y-%m-%dT%H:%M:%SZ --format=%cd) || die "no DATE given and git log failed"
fi
for v in "$VERSION" "$COMMIT" "$DATE"; do
	# -X takes the value up to the next space: one with a space or quote would stamp part of it.
	[[ $v =~ ^[A-Za-z0-9._:+-]+$ ]] || die "refusing to stamp $(printf '%q' "$v"): letters, digits and ._:+- only"
done
if [[ $PLATFORMS == host ]]; then PLATFORMS="$("$GO" env GOOS)/$("$GO" env GOARCH)"; fi

ldflags="-s -w -X $pkg.version=$VERSION -X $pkg.commit=$COMMIT -X $pkg.date=$DATE"
mkdir -p "$out"
rm -f "$out"/cmkcheck_* "$out/SHA256SUMS"
names=()
for p in $PLATFORMS; do
	goos=${p%/*} goarch=${p#*/}
	name=cmkcheck_${goos}_${goarch}
	if [[ $goos == windows ]]; then name+=.exe; fi
	printf 'dist.sh: %s %s (%s, %s)\n' "$name" "$VERSION" "$COMMIT" "$DATE" >&2
	CGO_ENABLED=0 GOOS=$goos GOARCH=$goarch "$GO" build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$out/$name" ./cmd/cmkcheck
	names+=("$name")
done
(cd "$out" && sha256sum "${names[@]}" >SHA256SUMS)
printf 'dist.sh: wrote %s/SHA256SUMS\n' "$out" >&2
