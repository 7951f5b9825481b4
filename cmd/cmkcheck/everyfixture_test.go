package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

// Every results file cmkcheck writes verifies: each fixture snapshot with
// each profile, each template (reference and wrong variants) and each plan,
// evaluated and then verified, gives the verdict it was written with. This
// is the guarantee the results file once got by being judged twice as it
// was written; it is held here instead, on every input there is.
func TestEveryFixtureWritesAResultsFileThatVerifies(t *testing.T) {
	dir := t.TempDir()
	snapshots, profiles := fixtureSnapshots(t), fixtureProfiles(t)
	n := 0
	for i, snap := range snapshots {
		for j, prof := range profiles {
			results := filepath.Join(dir, "snap", strings.Join([]string{filepath.Base(snap), filepath.Base(prof), string(rune('a' + i%26)), string(rune('a' + j))}, "-")+".results.json")
			require.NoError(t, os.MkdirAll(filepath.Dir(results), 0o755))
			args := []string{"evaluate", "--snapshot", snap, "--results", results}
			if prof != "" {
				args = append(args, "--profile", prof)
			}
			code, _, errOut := cmkcheck(t, nil, args...)
			if code == exitUsage {
				continue // a profile naming another key than the snapshot's
			}
			vcode, _, verrOut := cmkcheck(t, nil, "verify", "--results", results)
			assert.Equal(t, code, vcode, "%s | %s: %s%s", snap, prof, errOut, verrOut)
			n++
		}
	}
	assert.Greater(t, n, 90, "every snapshot, every profile")

	for name, in := range iacInputs(t, dir) {
		out := filepath.Join(dir, "iac", strings.ReplaceAll(name, " ", "-"))
		code, _, errOut := cmkcheck(t, nil, append([]string{"evaluate", "--profile", "../../" + iacfixtures.Profile, "--out", out}, in...)...)
		require.Contains(t, []int{exitReady, exitNotReady}, code, "%s: %s", name, errOut)
		var files []string
		require.NoError(t, filepath.WalkDir(out, func(path string, d os.DirEntry, err error) error {
			if err == nil && strings.HasSuffix(path, ".results.json") {
				files = append(files, path)
			}
			return err
		}))
		require.NotEmpty(t, files, name)
		for _, f := range files {
			vcode, _, verrOut := cmkcheck(t, nil, "verify", "--results", f)
			assert.Contains(t, []int{exitReady, exitNotReady}, vcode, "%s: %s", f, verrOut)
		}
	}

	// Each of them fits the results schema, where the validator is given
	// (schemas_test.go).
	if os.Getenv(checkJSONSchemaEnv) != "" {
		requireSchemaValid(t, resultsSchema, resultsFiles(t, dir))
	}
}
