package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

func compliantRun(t *testing.T) *reports.Run {
	t.Helper()
	run := fixtureRun(t, "../../fixtures/snapshots/compliant.json", profileFile(t, exampleProfile))
	require.Equal(t, checks.Ready, run.Verdict)
	return run
}

// The results file holds the list as a member beside the verdict, and
// it reads back.
func TestResultsFileHoldsNotEvaluated(t *testing.T) {
	data := written(t, compliantRun(t))
	var f struct {
		Verdict      string            `json:"verdict"`
		NotEvaluated []checks.Omission `json:"not_evaluated"`
	}
	require.NoError(t, json.Unmarshal(data, &f))
	assert.Equal(t, "READY", f.Verdict)
	assert.Equal(t, []string{"CMK-ACC-1", "CMK-CFG-6", "CMK-ADM-4", "CMK-DRF-1"}, omissionIDs(f.NotEvaluated))
	got, err := Verify(data)
	require.NoError(t, err)
	assert.Equal(t, f.NotEvaluated, got.NotEvaluated)

	// None is written as [], never null.
	pass := compliantRun(t)
	pass.Results = pass.Results[:1]
	pass.Verdict, pass.NotEvaluated = checks.Ready, nil
	assert.Contains(t, string(written(t, pass)), `"not_evaluated": [],`)
}

// A list that contradicts the results is refused as a verdict that does:
// by Verify, which names the claim, and by ReadResults.
func TestNotEvaluatedTampered(t *testing.T) {
	orig := written(t, compliantRun(t))
	for name, edit := range map[string][]byte{
		"an omission removed": []byte(strings.Replace(string(orig), `
    {
      "id": "CMK-ADM-4",
      "reason": "evaluating a snapshot offline without the GetAccountAuthorizationDetails member"
    },`, "", 1)),
		"a reason changed": replaceIn(t, orig, `"reason": "no baseline given"`, `"reason": "not needed for this key"`, 1),
		"emptied":          []byte(strings.Replace(string(orig), string(notEvaluatedMember(t, orig)), `"not_evaluated": [],`, 1)),
		"an omission added": replaceIn(t, orig, `"not_evaluated": [`,
			`"not_evaluated": [{"id": "CMK-USR-2", "reason": "evaluating a snapshot offline"},`, 1),
	} {
		t.Run(name, func(t *testing.T) {
			require.NotEqual(t, string(orig), string(edit), "the edit applies")
			_, err := Verify(edit)
			var ve *VerifyError
			require.True(t, errors.As(err, &ve), "%v", err)
			var claims []string
			for _, f := range ve.Findings {
				claims = append(claims, f.Claim)
			}
			assert.Equal(t, []string{"not_evaluated"}, claims, "only the list differs")
			_, err = reports.ReadResults(bytes.NewReader(edit))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not_evaluated")
			assert.Contains(t, err.Error(), "contradicts the results")
		})
	}
}

// A file written before the member existed has the list its results give.
func TestNotEvaluatedAbsentIsDerived(t *testing.T) {
	orig := written(t, compliantRun(t))
	old := []byte(strings.Replace(string(orig), string(notEvaluatedMember(t, orig)), "", 1))
	require.NotContains(t, string(old), "not_evaluated")
	got, err := Verify(old)
	require.NoError(t, err)
	assert.Equal(t, []string{"CMK-ACC-1", "CMK-CFG-6", "CMK-ADM-4", "CMK-DRF-1"}, omissionIDs(got.NotEvaluated))
}

// notEvaluatedMember is the member as the file holds it, with its comma.
func notEvaluatedMember(t *testing.T, data []byte) []byte {
	t.Helper()
	s := string(data)
	i := strings.Index(s, `"not_evaluated": [`)
	require.GreaterOrEqual(t, i, 0)
	j := strings.Index(s[i:], "],\n")
	require.Greater(t, j, 0)
	return []byte(s[i : i+j+2])
}

func omissionIDs(l []checks.Omission) []string {
	var ids []string
	for _, o := range l {
		ids = append(ids, o.ID)
	}
	return ids
}
