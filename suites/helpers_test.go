package suites

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/audit"
	"github.com/aep-cmk/cmkcheck/profile"
	"github.com/aep-cmk/cmkcheck/targets"
)

// Environment variables the suites read (besides those of audit and targets).
const (
	EnvProfile   = "CMK_PROFILE"
	EnvReportDir = "CMK_REPORT_DIR"
)

// repoRoot walks up from the working directory to the go.mod.
func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	require.NoError(t, err)
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		} else if !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("looking for go.mod: %v", err)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatalf("no go.mod above the working directory")
		}
		dir = parent
	}
}

// targetKind is CMK_TARGET, embedded by default.
func targetKind() string {
	if k := os.Getenv(audit.EnvTarget); k != "" {
		return k
	}
	return targets.Embedded
}

// loadProfile loads CMK_PROFILE, or the example profile the repository ships.
func loadProfile(t testing.TB) profile.Valid {
	t.Helper()
	path := os.Getenv(EnvProfile)
	if path == "" {
		path = filepath.Join(repoRoot(t), "fixtures", "profiles", "aep-example.yaml")
	}
	p, err := profile.Load(path, os.Getenv)
	require.NoError(t, err, "%s names the profile file", EnvProfile)
	return p
}

// reportDir is CMK_REPORT_DIR, or <repo>/out.
func reportDir(t testing.TB) string {
	if d := os.Getenv(EnvReportDir); d != "" {
		return d
	}
	return filepath.Join(repoRoot(t), "out")
}

// openEmbedded opens a fresh embedded target: every key in it is the
// test's. Its Close is registered first, so it runs after the keys' cleanup.
func openEmbedded(t testing.TB) *targets.Target {
	t.Helper()
	tg, err := targets.Open(context.Background(), targets.Embedded, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	return tg
}
