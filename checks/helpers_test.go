package checks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
	"github.com/aep-cmk/cmkcheck/profile"
)

// snap is the compliant fixture as generic JSON, for tests to bend.
type snap map[string]any

func compliant(t testing.TB) snap {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(fixtures, "snapshots", "compliant.json"))
	require.NoError(t, err)
	var s snap
	require.NoError(t, json.Unmarshal(data, &s))
	return s
}

func (s snap) meta() map[string]any {
	return s["DescribeKey"].(map[string]any)["KeyMetadata"].(map[string]any)
}

// statements edits the key policy's statements.
func (s snap) statements(t testing.TB, edit func([]any) []any) {
	t.Helper()
	gkp := s["GetKeyPolicy"].(map[string]any)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(gkp["Policy"].(string)), &doc))
	doc["Statement"] = edit(doc["Statement"].([]any))
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	gkp["Policy"] = string(b)
}

func (s snap) state(t testing.TB) *keystate.State {
	t.Helper()
	b, err := json.Marshal(s)
	require.NoError(t, err)
	st, err := keystate.Decode(b)
	require.NoError(t, err)
	return st
}

func mustProfile(t testing.TB, yaml string) profile.Valid {
	t.Helper()
	p, err := profile.Parse([]byte(yaml))
	require.NoError(t, err)
	return p
}

func result(t testing.TB, results []checks.Result, id string) checks.Result {
	t.Helper()
	for _, r := range results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no result for %s", id)
	return checks.Result{}
}

const (
	admin = "arn:aws:iam::111122223333:role/KMSKeyAdmin"
	user  = "arn:aws:iam::111122223333:role/AEPKeyUser"
)

func stmt(principal any, actions ...string) map[string]any {
	return map[string]any{"Effect": "Allow", "Principal": principal, "Action": actions, "Resource": "*"}
}

// tc is one case of a check's table: an edit of the compliant snapshot and
// a profile, and what the check must say.
type tc struct {
	name    string
	id      string
	profile string
	edit    func(t *testing.T, s snap)
	want    checks.Status
	sev     checks.Severity // checked when set
	observe string          // a substring of Observed, when set
}

// tables holds every check's cases by ID, as the check test files load:
// TestEveryCheckHasItsTable holds them to PASS, FAIL or WARN, and ERROR.
var tables = map[string][]tc{}

// table records a check's cases.
func table(cases []tc) []tc {
	for _, c := range cases {
		tables[c.id] = append(tables[c.id], c)
	}
	return cases
}

// runCases evaluates each case and holds the check to it.
func runCases(t *testing.T, cases []tc) {
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := compliant(t)
			if tc.edit != nil {
				tc.edit(t, s)
			}
			r := result(t, checks.Evaluate(s.state(t), mustProfile(t, tc.profile)), tc.id)
			assert.Equal(t, tc.want, r.Status, "observed: %s", r.Observed)
			if tc.sev != "" {
				assert.Equal(t, tc.sev, r.Severity)
			}
			if tc.observe != "" {
				assert.Contains(t, r.Observed, tc.observe)
			}
			assert.NotEmpty(t, r.Observed, "every result says what was seen")
		})
	}
}

// without removes a member from the snapshot: the checks that need it ERROR.
func without(member string) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) { delete(s, member) }
}

// unparsablePolicy makes the key policy text unreadable.
func unparsablePolicy(t *testing.T, s snap) {
	s["GetKeyPolicy"].(map[string]any)["Policy"] = "Version: 2012-10-17"
}

// capture makes the compliant snapshot a saved live run on the embedded
// target: where it asked, no STS, no IAM simulator, a round trip that
// returned the plaintext. Each edit then bends the capture.
func capture(edits ...func(s snap)) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		s[keystate.Target] = map[string]any{"Kind": "embedded", "Region": "us-east-1", "Account": "111122223333", "Endpoint": "http://127.0.0.1:4599"}
		s[keystate.GetCallerIdentity] = map[string]any{"NotRun": "no STS on the embedded target"}
		s[keystate.SimulatePrincipalPolicy] = map[string]any{"NotRun": "no IAM to simulate on the embedded target"}
		s[keystate.RoundTrip] = map[string]any{
			"Requested": true, "PlaintextBytes": 32, "PlaintextMatches": true,
			"Encrypt": map[string]any{"KeyId": s.meta()["Arn"], "EncryptionAlgorithm": "SYMMETRIC_DEFAULT", "CiphertextBytes": 184},
			"Decrypt": map[string]any{"KeyId": s.meta()["Arn"], "PlaintextBytes": 32},
		}
		for _, edit := range edits {
			edit(s)
		}
	}
}

// set sets one member of the snapshot.
func set(member string, v any) func(s snap) { return func(s snap) { s[member] = v } }

// drop removes one member of the snapshot.
func drop(member string) func(s snap) { return func(s snap) { delete(s, member) } }

// roundTrip changes fields of the capture's RoundTrip member.
func roundTrip(fields map[string]any) func(s snap) {
	return func(s snap) {
		rt := s[keystate.RoundTrip].(map[string]any)
		for k, v := range fields {
			if v == nil {
				delete(rt, k)
			} else {
				rt[k] = v
			}
		}
	}
}
