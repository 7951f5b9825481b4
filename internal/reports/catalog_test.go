package reports

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// judgements is how this build's checks judge each fixture snapshot,
// against the example profile and against none: one line per fixture,
// its path and a digest of its results.
func judgements(t *testing.T) map[string]string {
	t.Helper()
	paths, err := filepath.Glob("../../fixtures/snapshots/*.json")
	require.NoError(t, err)
	more, err := filepath.Glob("../../fixtures/snapshots/noncompliant/*.json")
	require.NoError(t, err)
	out := map[string]string{}
	for _, path := range append(paths, more...) {
		if filepath.Base(path) == "expected.json" {
			continue
		}
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		state, err := keystate.Decode(data)
		require.NoError(t, err, path)
		var b bytes.Buffer
		for _, v := range []profile.Valid{loadProfile(t, exampleProfile), profile.Default()} {
			require.NoError(t, json.NewEncoder(&b).Encode(checks.Evaluate(state, v)))
		}
		out[filepath.ToSlash(strings.TrimPrefix(path, "../../"))] = sha256Hex(b.Bytes())
	}
	return out
}

// TestCatalogVersionFollowsTheChecks: a change in how the checks judge is
// a new catalog version, or every results file written before it would be
// reported as altered. testdata/catalog.golden pins the version with how
// it judges each fixture; when the checks judge a fixture differently, the
// test fails until catalogVersion is bumped (then -update records both).
// A fixture added or removed needs only -update.
func TestCatalogVersionFollowsTheChecks(t *testing.T) {
	path := filepath.Join("testdata", "catalog.golden")
	now := judgements(t)
	var got strings.Builder
	fmt.Fprintf(&got, "version %s\n", catalogVersion)
	for _, name := range sortedKeys(now) {
		fmt.Fprintf(&got, "%s %s\n", name, now[name])
	}
	want, err := os.ReadFile(path)
	if err != nil && !*update {
		t.Fatalf("%v: run go test ./internal/reports -run CatalogVersion -update", err)
	}
	if string(want) == got.String() {
		return
	}
	lines := strings.Split(strings.TrimSpace(string(want)), "\n")
	pinned := strings.TrimPrefix(lines[0], "version ")
	var changed []string
	for _, line := range lines[1:] {
		name, digest, _ := strings.Cut(line, " ")
		if d, ok := now[name]; ok && d != digest {
			changed = append(changed, name)
		}
	}
	if len(changed) > 0 && pinned == catalogVersion {
		t.Fatalf("the checks judge %s differently from catalog version %s, so results files written by it would verify as altered: "+
			"if the change is meant, bump catalogVersion in internal/reports/catalog.go, then run go test ./internal/reports -run CatalogVersion -update",
			strings.Join(changed, ", "), catalogVersion)
	}
	if !*update {
		t.Fatalf("testdata/catalog.golden is not this build's (catalogVersion %s, pinned %s, fixtures added or removed): run go test ./internal/reports -run CatalogVersion -update",
			catalogVersion, pinned)
	}
	require.NoError(t, os.WriteFile(path, []byte(got.String()), 0o644))
}

func TestCatalogRecord(t *testing.T) {
	c := Catalog()
	assert.Equal(t, catalogVersion, c.Version)
	assert.Regexp(t, "^[0-9a-f]{64}$", c.SHA256)
	assert.Equal(t, c, Catalog(), "the same build, the same catalog")
}
