package checks_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

const keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// baseline makes the compliant snapshot, bent by edits, the baseline of
// the snapshot under test (itself bent afterwards by the case's changes).
func baseline(edits ...func(t *testing.T, s snap)) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		b := compliant(t)
		for _, e := range edits {
			e(t, b)
		}
		s[keystate.Baseline] = map[string]any{"SHA256": strings.Repeat("ab", 32), "Kind": "results", "Snapshot": b}
	}
}

// reorder reverses the key policy's statements and re-indents it.
func reorder(t *testing.T, s snap) {
	s.statements(t, func(st []any) []any {
		for i, j := 0, len(st)-1; i < j; i, j = i+1, j-1 {
			st[i], st[j] = st[j], st[i]
		}
		return st
	})
	gkp := s["GetKeyPolicy"].(map[string]any)
	var doc any
	require.NoError(t, json.Unmarshal([]byte(gkp["Policy"].(string)), &doc))
	b, err := json.MarshalIndent(doc, "", "\t")
	require.NoError(t, err)
	gkp["Policy"] = string(b)
}

// addGrant gives the key a grant of Decrypt to a role.
func addGrant(t *testing.T, s snap) {
	s["ListGrants"] = map[string]any{"Grants": []any{map[string]any{
		"GrantId": "g1", "KeyId": keyARN, "GranteePrincipal": "arn:aws:iam::111122223333:role/BatchJob",
		"IssuingAccount": "arn:aws:iam::111122223333:root", "Operations": []any{"Decrypt"},
	}}, "Truncated": false}
}

// removeAdobe drops the platform's first statement (account 222233334444).
func removeAdobe(t *testing.T, s snap) {
	s.statements(t, func(st []any) []any {
		var out []any
		for _, x := range st {
			if !strings.Contains(mustJSON(t, x), "222233334444") {
				out = append(out, x)
			}
		}
		return out
	})
}

func mustJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

var drf1Cases = table([]tc{
	{name: "no baseline", id: "CMK-DRF-1", want: checks.Skip, observe: "no baseline given"},
	{name: "no baseline, bad evidence", id: "CMK-DRF-1", edit: without("GetKeyRotationStatus"), want: checks.Skip, observe: "no baseline given"},
	{name: "the same state", id: "CMK-DRF-1", edit: baseline(), want: checks.Pass, observe: "no drift since the baseline (results, sha256 abab"},
	{name: "statements reordered and re-indented only", id: "CMK-DRF-1", edit: then(baseline(), reorder), want: checks.Pass},
	{name: "a new principal may decrypt", id: "CMK-DRF-1", edit: then(baseline(), func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return append(st, stmt(map[string]any{"AWS": "arn:aws:iam::111122223333:role/NewReader"}, "kms:Decrypt"))
		})
	}), want: checks.Fail, sev: checks.Required, observe: "arn:aws:iam::111122223333:role/NewReader kms:Decrypt: NOT ALLOWED → ALLOWED"},
	{name: "the platform's statement removed", id: "CMK-DRF-1", edit: then(baseline(), removeAdobe), want: checks.Fail, observe: "account:222233334444"},
	{name: "rotation disabled", id: "CMK-DRF-1", edit: then(baseline(), func(t *testing.T, s snap) {
		s["GetKeyRotationStatus"] = map[string]any{"KeyRotationEnabled": false}
	}), want: checks.Fail, observe: "rotation: enabled every 365 days → disabled"},
	{name: "a grant added", id: "CMK-DRF-1", edit: then(baseline(), addGrant), want: checks.Fail, observe: "grant: absent → arn:aws:iam::111122223333:role/BatchJob may Decrypt"},
	{name: "a grant re-created with another ID", id: "CMK-DRF-1", edit: then(baseline(addGrant), addGrant, func(t *testing.T, s snap) {
		s["ListGrants"].(map[string]any)["Grants"].([]any)[0].(map[string]any)["GrantId"] = "g2"
	}), want: checks.Pass},
	{name: "a tag changed", id: "CMK-DRF-1", edit: then(baseline(), func(t *testing.T, s snap) {
		s["ListResourceTags"] = map[string]any{"Tags": []any{map[string]any{"TagKey": "Adobe", "TagValue": "x"}}}
	}), want: checks.Fail, observe: "tags: Adobe=Experience-Platform → Adobe=x"},
	{name: "the key disabled", id: "CMK-DRF-1", edit: then(baseline(), func(t *testing.T, s snap) {
		s.meta()["Enabled"] = false
		s.meta()["KeyState"] = "Disabled"
	}), want: checks.Fail, observe: "key state: Enabled → Disabled"},
	{name: "the description changed", id: "CMK-DRF-1", edit: then(baseline(), func(t *testing.T, s snap) { s.meta()["Description"] = "other" }),
		want: checks.Fail, observe: "description"},
	{name: "a baseline of another key", id: "CMK-DRF-1", edit: baseline(func(t *testing.T, b snap) {
		b.meta()["Arn"] = "arn:aws:kms:us-east-1:111122223333:key/other"
	}), want: checks.Error, observe: "the baseline is of key"},
	{name: "a baseline without its policy", id: "CMK-DRF-1", edit: baseline(without("GetKeyPolicy")), want: checks.Error, observe: "the baseline cannot be compared: GetKeyPolicy is missing"},
	{name: "the policy of this run unparsable", id: "CMK-DRF-1", edit: then(baseline(), unparsablePolicy), want: checks.Error, observe: "this run could not be parsed"},
	{name: "this run without its rotation status", id: "CMK-DRF-1", edit: then(baseline(), without("GetKeyRotationStatus")), want: checks.Error, observe: "this run cannot be compared"},
	{name: "a baseline member without its digest", id: "CMK-DRF-1", edit: then(baseline(), func(t *testing.T, s snap) {
		s[keystate.Baseline].(map[string]any)["SHA256"] = "x"
	}), want: checks.Error, observe: "Baseline could not be read"},
	{name: "a baseline with a baseline", id: "CMK-DRF-1", edit: baseline(baseline()), want: checks.Error, observe: "a baseline of its own"},
})

func TestDRF1Drift(t *testing.T) { runCases(t, drf1Cases) }

// A reordered policy is no drift, however its statements are shuffled, and
// each real change names what changed: the table the report shows.
func TestDriftRows(t *testing.T) {
	before := compliant(t).state(t)
	s := compliant(t)
	s.statements(t, func(st []any) []any {
		return append(st, stmt(map[string]any{"AWS": "arn:aws:iam::111122223333:role/NewReader"}, "kms:Decrypt"))
	})
	rows, err := checks.Drift(before, s.state(t), nil)
	require.NoError(t, err)
	require.Len(t, rows, 1)
	assert.Equal(t, checks.DriftChange{Principal: "arn:aws:iam::111122223333:role/NewReader", Right: "kms:Decrypt", Before: "NOT ALLOWED", After: "ALLOWED"}, rows[0])
}
