package checks_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
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
	doc     string          // the AWS documentation an adversarial case rests on
	absent  string          // a text Observed must not hold, when set
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
			assert.Equal(t, tc.want, r.Status, "observed: %s\ndoc: %s", r.Observed, tc.doc)
			if tc.sev != "" {
				assert.Equal(t, tc.sev, r.Severity)
			}
			if tc.observe != "" {
				assert.Contains(t, r.Observed, tc.observe)
			}
			if tc.absent != "" {
				assert.NotContains(t, r.Observed, tc.absent)
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

// grant is one ListGrants entry on the compliant key.
func grant(id, grantee string, ops ...string) map[string]any {
	return map[string]any{
		"KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", "GrantId": id,
		"GranteePrincipal": grantee, "IssuingAccount": "arn:aws:iam::111122223333:root", "Operations": ops,
	}
}

// withGrants sets the key's grants.
func withGrants(gs ...map[string]any) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		list := make([]any, len(gs))
		for i, g := range gs {
			list[i] = g
		}
		s["ListGrants"] = map[string]any{"Grants": list, "Truncated": false}
	}
}

// appendStmts adds statements to the key policy.
func appendStmts(stmts ...map[string]any) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			for _, x := range stmts {
				st = append(st, x)
			}
			return st
		})
	}
}

// when adds a condition block to a statement.
func when(st map[string]any, op, key string, value any) map[string]any {
	st["Condition"] = map[string]any{op: map[string]any{key: value}}
	return st
}

// denied turns a statement into a Deny.
func denied(st map[string]any) map[string]any {
	st["Effect"] = "Deny"
	return st
}

// The Adobe accounts of the compliant policy.
const adobeAll = "adobe_principals: ['222233334444', '767397686373', '730335345392', '891377157113']"

// Documentation the adversarial cases rest on.
const (
	docEvaluation   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html"
	docPrincipal    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html"
	docNotPrincipal = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
	docGlobalKeys   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html"
	docUniqueIDs    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids"
	docGrants       = "https://docs.aws.amazon.com/kms/latest/developerguide/grants.html"
	docCreateGrant  = "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html"
	docSchedule     = "https://docs.aws.amazon.com/kms/latest/APIReference/API_ScheduleKeyDeletion.html"
	docPutKeyPolicy = "https://docs.aws.amazon.com/kms/latest/APIReference/API_PutKeyPolicy.html"
	docRevokeGrant  = "https://docs.aws.amazon.com/kms/latest/APIReference/API_RevokeGrant.html"
	docDefaultKey   = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html"
	docKMSKeys      = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html"
	docLockout      = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam"
)
