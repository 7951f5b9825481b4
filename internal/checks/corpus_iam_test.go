package checks_test

import (
	"encoding/json"
	"fmt"
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

// iamCorpusPending are the statuses of fixtures/policies/corpus-iam (the
// third review's cases on the IAM side of the access model, written from
// AWS's documentation without the code) that today's checks do not give
// yet, "file#ID" -> the status they give now. The access-model issue
// (boundaries, trust policies, users of the key) empties this list; the
// test fails when a pending status starts to hold, so the list only
// shrinks, and when any other expectation breaks.
var iamCorpusPending = map[string]checks.Status{
	// Reverted, not new: telling AWS's documented CloudWatch Logs statement
	// (an encryption context naming the own account's log groups) from 240
	// (another account's) needs the model to resolve
	// kms:EncryptionContext:aws:logs:arn for a service acting for an
	// account; until then USR-1 fails both (fail closed).
	"239-service-logs-own-log-groups.json#CMK-USR-1": checks.Fail,
}

func TestIAMCorpusThroughTheChecks(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(fixtures, "policies", "corpus-iam", "*.json"))
	require.NoError(t, err)
	require.GreaterOrEqual(t, len(files), 40, "the review wrote at least 40 cases")
	var asserted, held int
	var falseReady []string
	now := map[string]checks.Status{}
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
				key := name + "#" + id
				if r.Status == checks.Status(c.Checks[id]) {
					held++
					_, pending := iamCorpusPending[key]
					assert.False(t, pending, "%s now holds: take it off iamCorpusPending", key)
					continue
				}
				now[key] = r.Status
				if got, pending := iamCorpusPending[key]; pending {
					assert.Equal(t, got, r.Status, "%s: pending, but its status moved (%s)", key, r.Observed)
					continue
				}
				t.Errorf("%s: want %s, got %s (%s)\nobserved: %s\nreading: %s", key, c.Checks[id], r.Status, c.Title, r.Observed, c.Reading)
			}
			if wantFail && checks.Verdict(mapValues(byID)) == checks.Ready {
				falseReady = append(falseReady, name)
			}
		})
	}
	t.Logf("IAM corpus through the checks: %d files, %d statuses asserted, %d as the review expects; false READY: %d %v",
		len(files), asserted, held, len(falseReady), falseReady)
	if os.Getenv("CMK_PRINT_PENDING") != "" {
		for _, k := range sortedIDs(now) {
			fmt.Printf("\t%q: checks.%s,\n", k, statusName(now[k]))
		}
	}
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

func statusName(s checks.Status) string {
	return map[checks.Status]string{checks.Pass: "Pass", checks.Fail: "Fail", checks.Warn: "Warn", checks.Skip: "Skip", checks.Error: "Error"}[s]
}
