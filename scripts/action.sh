#!/usr/bin/env bash
# The shell of the cmkcheck GitHub Action (action.yml): gets a cmkcheck, runs
# the audit, writes the job summary and the step's outputs, and exits with
# cmkcheck's status (0 READY, 1 NOT READY or a WARN under fail-on warn, 2 an
# error). Uploading the evidence and the SARIF is the Action's next steps'.
# It runs as well outside GitHub (cmd/cmkcheck's tests run it).
#
# Environment (the Action's inputs; "" is unset):
#   CMKCHECK_BINARY    a cmkcheck to use as it is (nothing is installed)
#   CMKCHECK_VERSION   else a release tag to download, checked against its SHA256SUMS
#   CMKCHECK_RELEASES  where releases are (default https://github.com/aep-cmk/cmkcheck/releases/download)
#   CMKCHECK_SOURCE    else the source tree to build with go (the Action's own)
#   CMK_ACTION_TARGET, _PROFILE, _KEY, _KEYS_FILE, _ALL (true|false), _BASELINE,
#   _SARIF (true|false), _FAIL_ON (error|warn), _OUT (default cmkcheck-out)
#   GITHUB_STEP_SUMMARY, GITHUB_OUTPUT  as GitHub Actions sets them (optional)
set -euo pipefail

log() { printf 'cmkcheck action: %s\n' "$*" >&2; }
# A bad input is exit 2, cmkcheck's usage error, and names the input.
bad() { log "ERROR: $*"; exit 2; }

boolean() { # NAME VALUE
	case $2 in
	true | false) ;;
	*) bad "input $1 is \"$2\": want true or false" ;;
	esac
}

# platform prints the release asset's name for this machine.
platform() {
	local os arch
	case $(uname -s) in
	Linux) os=linux ;;
	Darwin) os=darwin ;;
	MINGW* | MSYS* | CYGWIN*) os=windows ;;
	*) bad "no release binary for $(uname -s): give the binary input, or leave version empty to build one" ;;
	esac
	case $(uname -m) in
	x86_64 | amd64) arch=amd64 ;;
	aarch64 | arm64) arch=arm64 ;;
	*) bad "no release binary for $(uname -m): give the binary input, or leave version empty to build one" ;;
	esac
	local name=cmkcheck_${os}_${arch}
	if [[ $os == windows ]]; then name+=.exe; fi
	echo "$name"
}

sha256check() { # reads "DIGEST  NAME" lines on stdin, in the current directory
	if command -v sha256sum >/dev/null 2>&1; then sha256sum -c -; else shasum -a 256 -c -; fi
}

# download VERSION DIR: the release binary and SHA256SUMS; the binary is
# used only when its digest is the one SHA256SUMS lists for it.
download() {
	local version=$1 dir=$2 name base
	[[ $version =~ ^v[0-9A-Za-z.+-]+$ ]] || bad "input version is \"$version\": want a release tag such as v1.2.3"
	name=$(platform)
	base=${CMKCHECK_RELEASES:-https://github.com/aep-cmk/cmkcheck/releases/download}/$version
	log "downloading $name and SHA256SUMS of $version"
	curl -fsSL --retry 3 -o "$dir/$name" "$base/$name" || bad "cannot download $base/$name"
	curl -fsSL --retry 3 -o "$dir/SHA256SUMS" "$base/SHA256SUMS" || bad "cannot download $base/SHA256SUMS"
	local line
	line=$(awk -v n="$name" '$2 == n || $2 == "*" n' "$dir/SHA256SUMS")
	[[ -n $line ]] || bad "SHA256SUMS of $version lists no $name"
	(cd "$dir" && sha256check <<<"$line" >&2) || bad "$name does not match its digest in SHA256SUMS of $version: not used"
	chmod +x "$dir/$name"
	echo "$dir/$name"
}

# build DIR: cmkcheck from the source tree, with go.
build() {
	local dir=$1 src=${CMKCHECK_SOURCE:-}
	[[ -n $src && -f $src/go.mod ]] || bad "no binary, no version and no source tree to build (CMKCHECK_SOURCE=$src)"
	command -v go >/dev/null 2>&1 || bad "building cmkcheck needs go on the runner (actions/setup-go)"
	log "building cmkcheck from $src"
	(cd "$src" && CGO_ENABLED=0 go build -trimpath -o "$dir/cmkcheck" ./cmd/cmkcheck) || bad "go build failed"
	echo "$dir/cmkcheck"
}

target=${CMK_ACTION_TARGET:-}
profile=${CMK_ACTION_PROFILE:-}
key=${CMK_ACTION_KEY:-}
keys_file=${CMK_ACTION_KEYS_FILE:-}
all=${CMK_ACTION_ALL:-false}
baseline=${CMK_ACTION_BASELINE:-}
sarif=${CMK_ACTION_SARIF:-false}
fail_on=${CMK_ACTION_FAIL_ON:-error}
out=${CMK_ACTION_OUT:-cmkcheck-out}
boolean all "$all"
boolean sarif "$sarif"

# The inputs are checked before anything is installed: a misspelt input
# fails in a second, not after a download or a build.
args=(audit --out "$out" --fail-on "$fail_on")
if [[ -n $target ]]; then args+=(--target "$target"); fi
if [[ -n $profile ]]; then args+=(--profile "$profile"); fi
selected=()
if [[ -n $key ]]; then selected+=(key); args+=(--key "$key"); fi
if [[ -n $keys_file ]]; then selected+=(keys-file); args+=(--keys "$keys_file"); fi
if [[ $all == true ]]; then selected+=(all); args+=(--all); fi
if ((${#selected[@]} > 1)); then
	bad "inputs ${selected[*]} are given: give one of key, keys-file, all (or none, for the profile's key)"
fi
fleet=false
if [[ ${selected[0]:-} == keys-file || ${selected[0]:-} == all ]]; then fleet=true; fi
if [[ -n $baseline ]]; then args+=(--baseline "$baseline"); fi
sarif_file=
if [[ $sarif == true ]]; then
	sarif_file=$out/cmkcheck.sarif
	args+=(--sarif "$sarif_file")
fi

bin=${CMKCHECK_BINARY:-}
if [[ -n $bin ]]; then
	[[ -x $bin ]] || bad "input binary $bin is not an executable file"
else
	tools=${RUNNER_TEMP:-${TMPDIR:-/tmp}}/cmkcheck-action-$$
	mkdir -p "$tools"
	if [[ -n ${CMKCHECK_VERSION:-} ]]; then
		bin=$(download "$CMKCHECK_VERSION" "$tools")
	else
		bin=$(build "$tools")
	fi
fi
version=$("$bin" version | head -n 1) || bad "$bin does not run"
log "$version: cmkcheck ${args[*]}"

status=0
"$bin" "${args[@]}" || status=$?

# The job summary: which cmkcheck, what the exit status means; a single
# key's table cmkcheck appends itself, a fleet's is its index.
if [[ -n ${GITHUB_STEP_SUMMARY:-} ]]; then
	{
		printf '### cmkcheck audit: exit %s\n\n' "$status"
		case $status in
		0) echo "READY." ;;
		1) echo "NOT READY, or a WARN with fail-on $fail_on: the reasons are in the evidence." ;;
		*) echo "Not judged: a usage or configuration error (see the step's log)." ;;
		esac
		printf '\n%s, fail-on %s; the evidence is in %s (uploaded as an artifact).\n\n' "$version" "$fail_on" "$out"
		if [[ $fleet == true && -f $out/fleet.md ]]; then cat "$out/fleet.md"; fi
	} >>"$GITHUB_STEP_SUMMARY"
fi
if [[ -n ${GITHUB_OUTPUT:-} ]]; then
	if [[ -n $sarif_file && ! -f $sarif_file ]]; then sarif_file=; fi
	{
		echo "exit-code=$status"
		echo "out=$out"
		echo "sarif=$sarif_file"
	} >>"$GITHUB_OUTPUT"
fi
exit "$status"
