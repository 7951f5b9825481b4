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

func TestChecks(t *testing.T) {
	tests := []struct {
		name    string
		id      string
		profile string
		edit    func(t *testing.T, s snap)
		live    *keystate.Live
		want    checks.Status
		sev     checks.Severity // checked when set
		observe string          // a substring of Observed, when set
	}{
		{name: "shield unset", id: "CMK-AVL-1", want: checks.Skip, observe: "shield is not set"},
		{name: "privacy-security", id: "CMK-AVL-1", profile: "shield: privacy-security", want: checks.Pass},
		{name: "healthcare", id: "CMK-AVL-1", profile: "shield: healthcare", want: checks.Fail},

		{name: "offline access", id: "CMK-ACC-1", want: checks.Skip, observe: "offline"},
		{name: "live access ok", id: "CMK-ACC-1", live: &keystate.Live{Access: keystate.Probe{Ran: true, OK: true, Observed: "caller x"}}, want: checks.Pass},
		{name: "live access wrong account", id: "CMK-ACC-1", live: &keystate.Live{Access: keystate.Probe{Ran: true, Observed: "other account"}}, want: checks.Fail},
		{name: "live access broken", id: "CMK-ACC-1", live: &keystate.Live{Access: keystate.Failed("sts:GetCallerIdentity: AccessDenied")}, want: checks.Error, observe: "AccessDenied"},
		{name: "live probe never run", id: "CMK-ACC-1", live: &keystate.Live{}, want: checks.Error},
		{name: "simulation denied", id: "CMK-PRM-1", live: &keystate.Live{Permission: keystate.Probe{Ran: true, Observed: "kms:CreateKey implicitDeny"}}, want: checks.Warn},
		{name: "no simulator", id: "CMK-PRM-1", live: &keystate.Live{Permission: keystate.Skipped("no IAM simulator on local-kms")}, want: checks.Skip, observe: "local-kms"},

		{name: "region unknown offline", id: "CMK-REG-1", want: checks.Skip},
		{name: "region unknown live", id: "CMK-REG-1", live: &keystate.Live{}, want: checks.Error, observe: "region"},
		{name: "region matches", id: "CMK-REG-1", profile: "region: us-east-1", want: checks.Pass},
		{name: "region differs", id: "CMK-REG-1", profile: "region: eu-west-1", want: checks.Fail, observe: "us-east-1"},
		{name: "region in malformed ARN", id: "CMK-REG-1", profile: "region: us-east-1", edit: func(t *testing.T, s snap) { s.meta()["Arn"] = "not-an-arn" }, want: checks.Error},

		{name: "MultiRegion missing falls back to prefix", id: "CMK-REG-2", edit: func(t *testing.T, s snap) { delete(s.meta(), "MultiRegion") }, want: checks.Pass, observe: "not reported"},
		{name: "MultiRegion missing, mrk prefix", id: "CMK-REG-2", edit: func(t *testing.T, s snap) {
			delete(s.meta(), "MultiRegion")
			s.meta()["KeyId"] = "mrk-0123456789abcdef0123456789abcdef"
		}, want: checks.Fail, observe: "mrk-"},

		{name: "KeySpec missing", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) { delete(s.meta(), "KeySpec") }, want: checks.Error},
		{name: "Origin AWS_CLOUDHSM", id: "CMK-CFG-3", edit: func(t *testing.T, s snap) { s.meta()["Origin"] = "AWS_CLOUDHSM" }, want: checks.Warn},
		{name: "pending deletion names the date", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) {
			s.meta()["KeyState"] = "PendingDeletion"
			s.meta()["DeletionDate"] = 1796000000
		}, want: checks.Fail, observe: "deletion scheduled for 2026-"},

		{name: "roundtrip offline", id: "CMK-CFG-6", profile: "roundtrip: true", want: checks.Skip, observe: "offline"},
		{name: "roundtrip not asked", id: "CMK-CFG-6", live: &keystate.Live{Roundtrip: keystate.Probe{Ran: true, OK: true}}, want: checks.Skip, observe: "roundtrip is not set"},
		{name: "roundtrip ok", id: "CMK-CFG-6", profile: "roundtrip: true", live: &keystate.Live{Roundtrip: keystate.Probe{Ran: true, OK: true, Observed: "Decrypt returned the 32-byte plaintext"}}, want: checks.Pass},
		{name: "roundtrip mismatch", id: "CMK-CFG-6", profile: "roundtrip: true", live: &keystate.Live{Roundtrip: keystate.Probe{Ran: true, Observed: "plaintext differs"}}, want: checks.Fail},
		{name: "roundtrip denied", id: "CMK-CFG-6", profile: "roundtrip: true", live: &keystate.Live{Roundtrip: keystate.Failed("kms:Encrypt: AccessDeniedException")}, want: checks.Error},

		{name: "alias pattern matches", id: "CMK-LBL-2", profile: `alias_pattern: "^alias/Adobe-"`, want: checks.Pass},
		{name: "alias pattern does not match", id: "CMK-LBL-2", profile: `alias_pattern: "^alias/aep-"`, want: checks.Warn},
		{name: "short alias", id: "CMK-LBL-2", edit: func(t *testing.T, s snap) {
			s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["AliasName"] = "alias/abc"
		}, want: checks.Warn},
		{name: "generic alias in capitals", id: "CMK-LBL-2", edit: func(t *testing.T, s snap) {
			s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["AliasName"] = "alias/MyKey"
		}, want: checks.Warn},
		{name: "alias targets the key ARN", id: "CMK-LBL-1", edit: func(t *testing.T, s snap) {
			s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["TargetKeyId"] = s.meta()["Arn"]
		}, want: checks.Pass},
		{name: "blank description", id: "CMK-LBL-3", edit: func(t *testing.T, s snap) { s.meta()["Description"] = "   " }, want: checks.Warn},

		{name: "no tags, recommended", id: "CMK-LBL-4", edit: func(t *testing.T, s snap) {
			s["ListResourceTags"].(map[string]any)["Tags"] = []any{}
		}, want: checks.Warn, sev: checks.Recommended},
		{name: "required tag with any value", id: "CMK-LBL-4", profile: "required_tags: {Adobe: \"\"}", want: checks.Pass, sev: checks.Required},
		{name: "required tag with wrong value", id: "CMK-LBL-4", profile: "required_tags: {Adobe: AEP}", want: checks.Fail, sev: checks.Required, observe: `"Experience-Platform", not "AEP"`},
		{name: "required tag key is case-sensitive", id: "CMK-LBL-4", profile: "required_tags: {adobe: \"\"}", want: checks.Fail, observe: "adobe is missing"},

		{name: "administrators match the profile", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", want: checks.Pass},
		{name: "an expected administrator is absent", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + ", arn:aws:iam::111122223333:role/Second]", want: checks.Fail, observe: "expected but absent: arn:aws:iam::111122223333:role/Second"},
		{name: "root delegation alone is no administrator", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any { return append(st[:1:1], st[2:]...) })
		}, want: checks.Fail, observe: "root delegation"},
		{name: "another account's role is no administrator of ours", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				st[1].(map[string]any)["Principal"] = map[string]any{"AWS": "arn:aws:iam::999988887777:role/KMSKeyAdmin"}
				return st
			})
		}, want: checks.Fail},
		{name: "unconditional deny removes an administrator", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				deny := stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy")
				deny["Effect"] = "Deny"
				return append(st, deny)
			})
		}, want: checks.Fail},
		{name: "conditional deny does not", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				deny := stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy")
				deny["Effect"] = "Deny"
				deny["Condition"] = map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "false"}}
				return append(st, deny)
			})
		}, want: checks.Pass},

		{name: "deletion forbidden but allowed", id: "CMK-ADM-2", profile: "allow_key_deletion: false", want: checks.Fail, observe: "allow_key_deletion is false"},
		{name: "deletion unconstrained", id: "CMK-ADM-2", want: checks.Pass},
		{name: "root delegation is no deletion holder", id: "CMK-ADM-2", profile: "allow_key_deletion: false", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				a := st[1].(map[string]any)
				var keep []any
				for _, x := range a["Action"].([]any) {
					if x != "kms:ScheduleKeyDeletion" && x != "kms:CancelKeyDeletion" {
						keep = append(keep, x)
					}
				}
				a["Action"] = keep
				return st
			})
		}, want: checks.Pass},

		{name: "no root, but an own admin keeps the policy", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any { return st[1:] })
		}, want: checks.Pass, observe: "KMSKeyAdmin"},
		{name: "another account's root does not prevent lock-out", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				return []any{stmt(map[string]any{"AWS": "arn:aws:iam::999988887777:root"}, "kms:*"), st[2]}
			})
		}, want: checks.Fail},
		{name: "root delegation as a bare account ID", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				return []any{stmt(map[string]any{"AWS": "111122223333"}, "kms:*"), st[2]}
			})
		}, want: checks.Pass},

		{name: "users match the profile", id: "CMK-USR-1", profile: "key_users: [" + user + "]", want: checks.Pass},
		{name: "administrators are not counted as plain users", id: "CMK-USR-1", profile: "key_users: [" + user + "]", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				st[2].(map[string]any)["Principal"] = map[string]any{"AWS": []any{user, admin}}
				return st
			})
		}, want: checks.Pass},
		{name: "an unexpected user", id: "CMK-USR-1", profile: "key_users: [" + user + "]", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				st[2].(map[string]any)["Principal"] = map[string]any{"AWS": []any{user, "arn:aws:iam::111122223333:user/alice"}}
				return st
			})
		}, want: checks.Fail, observe: "present but not expected: arn:aws:iam::111122223333:user/alice"},

		{name: "Adobe accounts are accepted", id: "CMK-USR-2", profile: "adobe_principals: ['222233334444', '767397686373', '730335345392', '891377157113']", want: checks.Pass},
		{name: "Adobe accounts without the profile", id: "CMK-USR-2", want: checks.Fail, observe: "767397686373"},
		{name: "an allowed external account", id: "CMK-USR-2", profile: "allowed_external_accounts: ['222233334444', '767397686373', '730335345392', '891377157113']", want: checks.Pass},
		{name: "a pinned wildcard names its account", id: "CMK-USR-2", profile: "adobe_principals: ['222233334444', '767397686373', '730335345392', '891377157113']", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				w := stmt("*", "kms:Decrypt")
				w["Condition"] = map[string]any{"StringEquals": map[string]any{"kms:CallerAccount": "555566667777"}}
				return append(st, w)
			})
		}, want: checks.Fail, observe: "555566667777"},
		{name: "a stale principal ID", id: "CMK-USR-2", profile: "adobe_principals: ['222233334444', '767397686373', '730335345392', '891377157113']", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				return append(st, stmt(map[string]any{"AWS": "AROAEXAMPLEID123456"}, "kms:Decrypt"))
			})
		}, want: checks.Fail, observe: "AROAEXAMPLEID123456"},

		{name: "wildcard pinned by account is not public", id: "CMK-USR-3", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				w := stmt(map[string]any{"AWS": "*"}, "kms:Decrypt")
				w["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": "111122223333"}}
				return append(st, w)
			})
		}, want: checks.Pass},
		{name: "wildcard with a wildcard condition is public", id: "CMK-USR-3", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				w := stmt(map[string]any{"AWS": "*"}, "kms:Decrypt")
				w["Condition"] = map[string]any{"StringLike": map[string]any{"aws:PrincipalAccount": "1111*"}}
				return append(st, w)
			})
		}, want: checks.Fail, observe: "statement #9"},

		{name: "admin actions on a service principal", id: "CMK-USR-4", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				return append(st, stmt(map[string]any{"Service": "logs.amazonaws.com"}, "kms:Put*"))
			})
		}, want: checks.Warn, observe: "logs.amazonaws.com"},

		{name: "Adobe not in the profile", id: "CMK-AEP-1", want: checks.Skip, observe: "adobe_principals"},
		{name: "Adobe given as a root ARN", id: "CMK-AEP-1", profile: "adobe_principals: ['arn:aws:iam::767397686373:root']", want: checks.Pass},
		{name: "an Adobe account without statements", id: "CMK-AEP-1", profile: "adobe_principals: ['444455556666']", want: checks.Fail, observe: "444455556666 lacks kms:Encrypt"},
		{name: "Adobe's pin to another account does not grant", id: "CMK-AEP-1", profile: "adobe_principals: ['767397686373']", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				st[5].(map[string]any)["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": "111122223333"}}
				st[5].(map[string]any)["Principal"] = "*"
				return st
			})
		}, want: checks.Fail},
		{name: "Adobe may not schedule deletion", id: "CMK-AEP-2", profile: "adobe_principals: ['767397686373']", edit: func(t *testing.T, s snap) {
			s.statements(t, func(st []any) []any {
				return append(st, stmt(map[string]any{"AWS": "767397686373"}, "kms:ScheduleKeyDeletion"))
			})
		}, want: checks.Fail, observe: "kms:ScheduleKeyDeletion"},
		{name: "Adobe unset", id: "CMK-AEP-2", want: checks.Skip},

		{name: "rotation period reported and short enough", id: "CMK-OPS-1", want: checks.Pass, observe: "365 days"},
		{name: "rotation period beyond a stricter maximum", id: "CMK-OPS-1", profile: "max_rotation_period_days: 180", want: checks.Warn},
		{name: "rotation off when required", id: "CMK-OPS-1", profile: "rotation_required: true", edit: func(t *testing.T, s snap) {
			s["GetKeyRotationStatus"] = map[string]any{"KeyRotationEnabled": false}
		}, want: checks.Fail, sev: checks.Required},
		{name: "rotation period not reported", id: "CMK-OPS-1", edit: func(t *testing.T, s snap) {
			s["GetKeyRotationStatus"] = map[string]any{"KeyRotationEnabled": true}
		}, want: checks.Pass, observe: "not reported"},
		{name: "rotation status missing", id: "CMK-OPS-1", edit: func(t *testing.T, s snap) { delete(s, "GetKeyRotationStatus") }, want: checks.Error, observe: "GetKeyRotationStatus is missing"},
		{name: "rotation status of the wrong type", id: "CMK-OPS-1", edit: func(t *testing.T, s snap) {
			s["GetKeyRotationStatus"] = map[string]any{"KeyRotationEnabled": "yes"}
		}, want: checks.Error},
	}
	for _, tc := range tests {
		t.Run(tc.id+"/"+tc.name, func(t *testing.T) {
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

// Results carry everything the contract lists, with evidence for what they
// were judged on.
func TestResultsAreComplete(t *testing.T) {
	s := compliant(t).state(t)
	results := checks.Evaluate(s, profile.Default())
	require.Len(t, results, len(checks.Catalog()))
	for i, r := range results {
		assert.Equal(t, checks.Catalog()[i].ID, r.ID)
		assert.NotEmpty(t, r.Title, r.ID)
		assert.NotEmpty(t, r.Section, r.ID)
		assert.NotEmpty(t, r.Expected, r.ID)
		assert.NotEmpty(t, r.Remediation.Console, r.ID)
		assert.NotEmpty(t, r.Remediation.CLI, r.ID)
		assert.NotContains(t, r.Remediation.CLI, "<key-id>", "%s: the key ID is filled in", r.ID)
		for _, m := range checks.Catalog()[i].Needs {
			assert.JSONEq(t, string(s.Raw[m]), string(r.Evidence[m]), "%s keeps %s as evidence", r.ID, m)
		}
	}
}

// Statements are never recognised by Sid: the platform's first statement
// reuses the Sid of the root statement.
func TestSidIsNotIdentity(t *testing.T) {
	s := compliant(t)
	s.statements(t, func(st []any) []any {
		for _, x := range st {
			x.(map[string]any)["Sid"] = "Enable IAM User Permissions"
		}
		return st
	})
	results := checks.Evaluate(s.state(t), loadProfile(t, "aep-example.yaml"))
	assert.Equal(t, checks.Ready, checks.Verdict(results))
}

func TestEmptyStateIsErrorNotPass(t *testing.T) {
	results := checks.Evaluate(keystate.FromAnswers(nil), loadProfile(t, "aep-example.yaml"))
	assert.Equal(t, checks.NotReady, checks.Verdict(results))
	for _, r := range results {
		if r.ID == "CMK-AVL-1" {
			continue // judged on the profile alone
		}
		assert.NotEqual(t, checks.Pass, r.Status, "%s passed without evidence", r.ID)
	}
}

func BenchmarkEvaluate(b *testing.B) {
	s := compliant(b).state(b)
	p := loadProfile(b, "aep-example.yaml")
	b.ReportAllocs()
	for b.Loop() {
		checks.Evaluate(s, p)
	}
}
