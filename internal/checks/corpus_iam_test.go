package checks_test

import (
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// TestIAMCorpusThroughTheChecks runs fixtures/policies/corpus-iam (the
// third review's cases on the IAM side of the access model, written from
// AWS's documentation without the code) through the checks: every status
// it expects holds, and no case it expects NOT READY is READY.
func TestIAMCorpusThroughTheChecks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "policies", "corpus-iam", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 40, "the review wrote at least 40 cases")
	var asserted, held int
	var falseReady []string
	for _, file := range files {
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		var c corpusCase
		require.NoError(t, json.Unmarshal(data, &c), file)
		require.NotEmpty(t, c.Checks, "%s lists no check statuses", file)
		var doc struct {
			Expect []struct {
				Doc string `json:"doc"`
			} `json:"expect"`
		}
		require.NoError(t, json.Unmarshal(data, &doc))
		for i, e := range doc.Expect {
			assert.True(t, strings.HasPrefix(e.Doc, "https://docs.aws.amazon.com/"), "%s expect[%d] cites no AWS page", file, i)
		}
		name := filepath.Base(file)
		t.Run(name, func(t *testing.T) {
			state, p := corpusInputs(t, c)
			byID := map[string]checks.Result{}
			for _, r := range checks.Evaluate(state, p) {
				byID[r.ID] = r
			}
			wantFail := false
			for _, id := range sortedIDs(c.Checks) {
				want := checks.Status(c.Checks[id])
				wantFail = wantFail || want == checks.Fail || want == checks.Error
				asserted++
				r, ok := byID[id]
				require.True(t, ok, "%s is not a check", id)
				if assert.Equal(t, want, r.Status, "%s#%s (%s)\nobserved: %s\nreading: %s", name, id, c.Title, r.Observed, c.Reading) {
					held++
				}
			}
			if wantFail && checks.Verdict(mapValues(byID)) == checks.Ready {
				falseReady = append(falseReady, name)
			}
		})
	}
	assert.Empty(t, falseReady, "a case the review expects NOT READY is READY")
	t.Logf("IAM corpus through the checks: %d files, %d statuses asserted, %d as the review expects; false READY: %d %v",
		len(files), asserted, held, len(falseReady), falseReady)
}

func sortedIDs[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

func mapValues(m map[string]checks.Result) []checks.Result {
	out := make([]checks.Result, 0, len(m))
	for _, r := range m {
		out = append(out, r)
	}
	return out
}
