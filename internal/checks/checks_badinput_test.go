package checks_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// policyChecks are the checks judged on the key policy.
var policyChecks = []string{"CMK-ADM-1", "CMK-ADM-2", "CMK-ADM-3", "CMK-USR-1", "CMK-USR-2", "CMK-USR-3", "CMK-USR-4", "CMK-AEP-1", "CMK-AEP-2"}

// Bad evidence inside an otherwise compliant snapshot: the checks that rest
// on it are ERROR and say why, the others keep their PASS, nothing panics,
// and the verdict is NOT READY when a required check is hit (OPS-1 is
// recommended under the example profile: its ERROR is shown, READY stays).
func TestBadEvidenceIsError(t *testing.T) {
	p := loadProfile(t, "aep-example.yaml")
	setPolicy := func(doc string) func(snap) {
		return func(s snap) { s["GetKeyPolicy"].(map[string]any)["Policy"] = doc }
	}
	valid := func(s snap) string { return s["GetKeyPolicy"].(map[string]any)["Policy"].(string) }
	tests := []struct {
		name  string
		edit  func(t *testing.T, s snap)
		hit   []string
		wants []string // the Observed text of each hit check contains these
	}{
		{
			name: "key policy over 32 KB",
			edit: func(t *testing.T, s snap) {
				doc := valid(s) + strings.Repeat(" ", policy.MaxSize) // still JSON, but too large for KMS
				setPolicy(doc)(s)
			},
			hit:   policyChecks,
			wants: []string{"over the 32768-byte limit", "bytes"},
		},
		{
			name: "deeply nested JSON in the key policy",
			edit: func(t *testing.T, s snap) {
				setPolicy(`{"Version":"2012-10-17","Statement":` + strings.Repeat("[", 5000) + strings.Repeat("]", 5000) + `}`)(s)
			},
			hit:   policyChecks,
			wants: []string{"nested deeper than"},
		},
		{
			name:  "key policy not JSON",
			edit:  func(t *testing.T, s snap) { setPolicy("Version: 2012-10-17")(s) },
			hit:   policyChecks,
			wants: []string{"the key policy could not be parsed"},
		},
		{
			name: "key policy of the wrong type",
			edit: func(t *testing.T, s snap) {
				s["GetKeyPolicy"].(map[string]any)["Policy"] = map[string]any{"Statement": []any{}}
			},
			hit:   policyChecks,
			wants: []string{"GetKeyPolicy could not be read", "Policy is a JSON object, not a string"},
		},
		{
			name:  "rotation status of the wrong type",
			edit:  func(t *testing.T, s snap) { s["GetKeyRotationStatus"].(map[string]any)["KeyRotationEnabled"] = "true" },
			hit:   []string{"CMK-OPS-1"},
			wants: []string{"GetKeyRotationStatus could not be read", "KeyRotationEnabled"},
		},
		{
			name:  "rotation period KMS cannot have",
			edit:  func(t *testing.T, s snap) { s["GetKeyRotationStatus"].(map[string]any)["RotationPeriodInDays"] = -5 },
			hit:   []string{"CMK-OPS-1"},
			wants: []string{"RotationPeriodInDays -5", "90..2560"},
		},
		{
			name: "tags of the wrong type",
			edit: func(t *testing.T, s snap) {
				s["ListResourceTags"].(map[string]any)["Tags"] = map[string]any{"Adobe": "x"}
			},
			hit:   []string{"CMK-LBL-4"},
			wants: []string{"ListResourceTags could not be read", "Tags is a JSON object, not a list"},
		},
		{
			name:  "key metadata of the wrong type",
			edit:  func(t *testing.T, s snap) { s.meta()["KeyState"] = []any{"Enabled"} },
			hit:   []string{"CMK-REG-1", "CMK-REG-2", "CMK-CFG-1", "CMK-CFG-5", "CMK-LBL-1", "CMK-LBL-3", "CMK-ADM-1", "CMK-USR-3", "CMK-AEP-1"},
			wants: []string{"DescribeKey could not be read", "KeyMetadata.KeyState is a JSON array, not a string"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := compliant(t)
			tc.edit(t, s)
			results := checks.Evaluate(s.state(t), p)
			verdict := checks.Ready
			for _, id := range tc.hit {
				r := result(t, results, id)
				if r.Severity == checks.Required {
					verdict = checks.NotReady
				}
				assert.Equal(t, checks.Error, r.Status, "%s: %s", id, r.Observed)
				for _, w := range tc.wants {
					assert.Contains(t, r.Observed, w, id)
				}
			}
			for _, r := range results {
				if r.Status != checks.Pass && r.Status != checks.Skip {
					assert.Equal(t, checks.Error, r.Status, "%s is only hit, never failed: %s", r.ID, r.Observed)
				}
			}
			assert.Equal(t, verdict, checks.Verdict(results))
		})
	}
}

// A live answer whose Policy holds invalid UTF-8 makes the policy checks
// ERROR (a snapshot file with it is refused whole, see keystate).
func TestLivePolicyNotUTF8IsError(t *testing.T) {
	s := compliant(t)
	answers := map[string]json.RawMessage{}
	for name, v := range s {
		b, err := json.Marshal(v)
		require.NoError(t, err)
		answers[name] = b
	}
	answers[keystate.GetKeyPolicy] = json.RawMessage("{\"Policy\": \"{\\\"Version\\\": \\\"2012-10-17\\\", \\\"Statement\\\": [], \\\"Id\\\": \\\"\xff\\\"}\"}")
	results := checks.Evaluate(keystate.FromAnswers(answers), loadProfile(t, "aep-example.yaml"))
	for _, id := range policyChecks {
		r := result(t, results, id)
		assert.Equal(t, checks.Error, r.Status, id)
		assert.Contains(t, r.Observed, "not valid UTF-8", id)
	}
	assert.Equal(t, checks.NotReady, checks.Verdict(results))
}
