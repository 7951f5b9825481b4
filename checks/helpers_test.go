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
	live    *keystate.Live
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
			st := s.state(t)
			st.Live = tc.live
			r := result(t, checks.Evaluate(st, mustProfile(t, tc.profile)), tc.id)
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
