package checks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
)

// FuzzEvaluateSnapshot feeds whole snapshots through decoding and evaluation:
// nothing may panic, and a check whose evidence is unusable is never PASS.
func FuzzEvaluateSnapshot(f *testing.F) {
	paths, err := filepath.Glob(filepath.Join(fixtures, "snapshots", "*.json"))
	require.NoError(f, err)
	more, err := filepath.Glob(filepath.Join(fixtures, "snapshots", "noncompliant", "*.json"))
	require.NoError(f, err)
	for _, p := range append(paths, more...) {
		b, err := os.ReadFile(p)
		require.NoError(f, err)
		f.Add(b)
	}
	// A saved live capture: the live members too.
	live := compliant(f)
	capture()(nil, live)
	b, err := json.Marshal(live)
	require.NoError(f, err)
	f.Add(b)
	p := loadProfile(f, "aep-example.yaml")
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := keystate.Decode(data)
		if err != nil {
			return
		}
		results := checks.Evaluate(s, p)
		if len(results) != len(checks.Catalog()) {
			t.Fatalf("%d results for %d checks", len(results), len(checks.Catalog()))
		}
		for i, r := range results {
			c := checks.Catalog()[i]
			for _, m := range append(append([]string{}, c.Needs...), c.Uses...) {
				if s.Problem(m) != "" && r.Status != checks.Error {
					t.Fatalf("%s is %s although %s", r.ID, r.Status, s.Problem(m))
				}
			}
		}
		_ = checks.Verdict(results)
	})
}
