package main

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/buildinfo"
)

func TestVersion(t *testing.T) {
	for _, args := range [][]string{{"version"}, {"--version"}} {
		code, stdout, _ := cmkcheck(t, nil, args...)
		assert.Equal(t, exitReady, code, args)
		b := buildinfo.Read()
		assert.Contains(t, stdout, "cmkcheck "+b.Version+"\n", args)
		assert.Contains(t, stdout, "commit: "+b.Commit+"\n", args)
	}
	code, _, stderr := cmkcheck(t, nil, "version", "extra")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, `unexpected argument "extra"`)
}

// Run from inside another repository, cmkcheck records its own build, not
// that repository's HEAD, and runs nothing there: git would execute the
// repository's core.fsmonitor command on `git status`.
func TestEvidenceNamesItsOwnBuildNotTheCurrentRepository(t *testing.T) {
	gitBin, err := exec.LookPath("git")
	require.NoError(t, err, "this test needs git to make the hostile repository")
	snapshot, err := filepath.Abs("../../fixtures/snapshots/compliant.json")
	require.NoError(t, err)
	prof, err := filepath.Abs("../../fixtures/profiles/aep-example.yaml")
	require.NoError(t, err)
	repo := t.TempDir()
	pwned := filepath.Join(repo, "fsmonitor-ran")
	git := func(args ...string) string {
		cmd := exec.Command(gitBin, append([]string{"-c", "user.email=t@example.com", "-c", "user.name=t"}, args...)...)
		cmd.Dir = repo
		out, err := cmd.CombinedOutput()
		require.NoError(t, err, "git %v: %s", args, out)
		return strings.TrimSpace(string(out))
	}
	git("init", "-q")
	require.NoError(t, os.WriteFile(filepath.Join(repo, "tracked"), []byte("x"), 0o644))
	git("add", "tracked")
	git("commit", "-q", "-m", "hostile")
	head := git("rev-parse", "HEAD")
	git("config", "core.fsmonitor", "touch '"+pwned+"'; false")
	t.Chdir(repo)

	results := filepath.Join(repo, "r.json")
	code, _, stderr := cmkcheck(t, nil, "evaluate", "--snapshot", snapshot, "--profile", prof, "--results", results)
	require.Equal(t, exitReady, code, stderr)
	assert.NoFileExists(t, pwned, "a command of the current directory's git config was executed")
	data, err := os.ReadFile(results)
	require.NoError(t, err)
	var run struct {
		Commit      string `json:"commit"`
		ToolVersion string `json:"tool_version"`
	}
	require.NoError(t, json.Unmarshal(data, &run))
	assert.NotContains(t, run.Commit, head, "the current directory's HEAD is not cmkcheck's commit")
	assert.Equal(t, buildinfo.Read().Commit, run.Commit)
	assert.Equal(t, buildinfo.Read().Version, run.ToolVersion)
}
