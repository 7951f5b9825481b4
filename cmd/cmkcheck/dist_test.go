package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// dist runs scripts/dist.sh, as make dist and the release workflow do,
// for the host platform only (one binary keeps the test cheap), into a
// new directory; it returns the directory, the output and the error.
func dist(t *testing.T, env ...string) (string, string, error) {
	t.Helper()
	if _, err := exec.LookPath("bash"); err != nil {
		t.Skip("scripts/dist.sh needs bash")
	}
	out := t.TempDir()
	cmd := exec.Command("bash", "../../scripts/dist.sh", out)
	cmd.Env = append(os.Environ(), append([]string{"PLATFORMS=host"}, env...)...)
	said, err := cmd.CombinedOutput()
	return out, string(said), err
}

func hostBinary(dir string) string {
	name := "cmkcheck_" + runtime.GOOS + "_" + runtime.GOARCH
	if runtime.GOOS == "windows" {
		name += ".exe"
	}
	return filepath.Join(dir, name)
}

// A binary built the way a release is names the tag, the commit and the
// date it was stamped with (cmkcheck version, and so its evidence), and
// SHA256SUMS checks with sha256sum -c as a user downloading it runs it.
func TestDistStampsTheVersion(t *testing.T) {
	const commit = "0123456789abcdef0123456789abcdef01234567"
	dir, said, err := dist(t, "VERSION=v1.2.3", "COMMIT="+commit, "DATE=2026-12-06T10:00:00Z")
	require.NoError(t, err, said)
	version, err := exec.Command(hostBinary(dir), "version").Output()
	require.NoError(t, err)
	assert.Equal(t, "cmkcheck v1.2.3\ncommit: "+commit+"\nbuilt:  2026-12-06T10:00:00Z\ngo:     "+runtime.Version()+"\n", string(version))

	sums, err := os.ReadFile(filepath.Join(dir, "SHA256SUMS"))
	require.NoError(t, err)
	assert.Equal(t, 1, strings.Count(string(sums), "\n"), "one binary, one line: %s", sums)
	if _, err := exec.LookPath("sha256sum"); err != nil {
		t.Skip("no sha256sum to check SHA256SUMS with")
	}
	check := exec.Command("sha256sum", "-c", "SHA256SUMS")
	check.Dir = dir
	ok, err := check.CombinedOutput()
	require.NoError(t, err, "%s", ok)
	assert.Contains(t, string(ok), filepath.Base(hostBinary(dir))+": OK")
	require.NoError(t, os.WriteFile(hostBinary(dir), []byte("tampered"), 0o755))
	again := exec.Command("sha256sum", "-c", "SHA256SUMS")
	again.Dir = dir
	_, err = again.CombinedOutput()
	assert.Error(t, err, "a binary that is not the one summed fails the check")
}

// Without COMMIT and DATE the build names the checkout's own commit (git
// rev-parse HEAD, -dirty with uncommitted changes), never a guess; a value
// -ldflags would cut at a space is refused rather than stamped in part.
func TestDistNamesTheCheckoutsCommit(t *testing.T) {
	head, err := exec.Command("git", "rev-parse", "HEAD").Output()
	if err != nil {
		t.Skip("not a git checkout: the release workflow gives COMMIT from a checkout")
	}
	dir, said, err := dist(t, "VERSION=v1.2.3-rc.1", "COMMIT=", "DATE=")
	require.NoError(t, err, said)
	version, err := exec.Command(hostBinary(dir), "version").Output()
	require.NoError(t, err)
	assert.Contains(t, string(version), "cmkcheck v1.2.3-rc.1\n")
	assert.Regexp(t, `(?m)^commit: `+strings.TrimSpace(string(head))+`(-dirty)?$`, string(version))
	assert.Regexp(t, `(?m)^built:  \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`, string(version))

	_, said, err = dist(t, "VERSION=v1.2.3 -X main.evil=1")
	assert.Error(t, err)
	assert.Contains(t, said, "refusing to stamp")
}
