package main

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

// asMain makes the test binary act as cmkcheck when re-executed by a test
// (under a file-size limit that a shell sets).
const asMain = "CMKCHECK_TEST_AS_MAIN"

func TestMain(m *testing.M) {
	if os.Getenv(asMain) == "1" {
		os.Exit(run(context.Background(), os.Args[1:], os.Stdout, os.Stderr, os.Getenv))
	}
	os.Exit(m.Run())
}

// On a nearly full disk (here: RLIMIT_FSIZE, which makes a write fail with
// EFBIG as ENOSPC would) a run exits 2 and leaves no results, JUnit or
// Markdown file behind, whole-looking or not, and no temporary file.
func TestNearlyFullDiskLeavesNoFile(t *testing.T) {
	sh, err := exec.LookPath("sh")
	require.NoError(t, err)
	self, err := os.Executable()
	require.NoError(t, err)
	snapshot, err := filepath.Abs("../../fixtures/snapshots/compliant.json")
	require.NoError(t, err)
	prof, err := filepath.Abs("../../fixtures/profiles/aep-example.yaml")
	require.NoError(t, err)
	template, err := filepath.Abs("../../" + iacfixtures.Template)
	require.NoError(t, err)
	params, err := filepath.Abs("../../" + iacfixtures.Parameters)
	require.NoError(t, err)
	for name, args := range map[string][]string{
		"snapshot": {"--snapshot", snapshot, "--profile", prof, "--results", "r.json", "--junit", "r.xml", "--markdown", "r.md"},
		"template": {"--cloudformation", template, "--parameters", params, "--profile", prof, "--out", "out", "--junit", "r.xml"},
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			// 20 KiB: room for the Markdown (about 12 KiB), not for the results file (about 40 KiB).
			cmd := exec.Command(sh, append([]string{"-c", `ulimit -f 40 && exec "$0" "$@"`, self, "evaluate"}, args...)...)
			cmd.Dir = dir
			cmd.Env = append(os.Environ(), asMain+"=1")
			out, err := cmd.CombinedOutput()
			var exit *exec.ExitError
			require.ErrorAs(t, err, &exit, "%s", out)
			assert.Equal(t, exitUsage, exit.ExitCode(), "%s", out)
			assert.Contains(t, string(out), "file too large")
			var left []string
			require.NoError(t, filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
				if err == nil && !d.IsDir() {
					left = append(left, p)
				}
				return err
			}))
			assert.Empty(t, left, "a failed run left files behind")
		})
	}
}
