package suites

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/provisiontest"
)

// vars is the environment, read here at the edge: the packages under test
// take values (internal/env names the variables).
var vars = env.Vars(os.Getenv)

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
func targetKind(t testing.TB) string {
	t.Helper()
	kind, err := vars.Target("")
	require.NoError(t, err)
	if kind == "" {
		return keystate.KindEmbedded
	}
	return kind
}

// provisionAllowed is CMK_PROVISION: may the suites create keys on aws.
func provisionAllowed(t testing.TB) bool {
	t.Helper()
	ok, err := vars.Provision()
	require.NoError(t, err)
	return ok
}

// opener opens targets as the environment says, and may start LocalStack
// through testcontainers-go where a Docker engine answers.
func opener() targets.Opener {
	o := vars.Opener()
	o.StartLocalStack = startLocalStack
	return o
}

// teardown is what happens to the keys the tests create: kept when
// SKIP_teardown is set, as terratest's stages do.
func teardown() provisiontest.Teardown {
	if vars.IsSet(env.SkipTeardown) {
		return provisiontest.KeepKey
	}
	return provisiontest.DeleteKey
}

// createKey provisions a key as the guide says, its teardown registered.
func createKey(t testing.TB, tg *targets.Conn, spec provision.Spec) *provision.Key {
	t.Helper()
	return provisiontest.CreateKey(t, tg.Config, spec, teardown())
}

// loadProfile loads CMK_PROFILE, or the example profile the repository ships.
func loadProfile(t testing.TB) profile.Valid {
	t.Helper()
	path := vars(env.Profile)
	if path == "" {
		path = filepath.Join(repoRoot(t), "fixtures", "profiles", "aep-example.yaml")
	}
	p, err := profile.Load(path, vars)
	require.NoError(t, err, "%s names the profile file", env.Profile)
	return p
}

// reportDir is CMK_REPORT_DIR, or <repo>/out.
func reportDir(t testing.TB) string {
	if d := vars(env.ReportDir); d != "" {
		return d
	}
	return filepath.Join(repoRoot(t), "out")
}

// openEmbedded opens a fresh embedded target: every key in it is the
// test's. Its Close is registered first, so it runs after the keys' cleanup.
func openEmbedded(t testing.TB) *targets.Conn {
	t.Helper()
	tg, err := targets.Open(context.Background(), keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	return tg
}
