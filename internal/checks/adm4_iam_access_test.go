package checks_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

const (
	opsRole    = "arn:aws:iam::111122223333:role/ops/OpsAutomation"
	emergency  = "arn:aws:iam::111122223333:role/BreakGlass"
	readOnlyMP = "arn:aws:iam::111122223333:policy/KMSReadOnly"
	boundMP    = "arn:aws:iam::111122223333:policy/NoKeyAdmin"
)

// iamDoc is an identity policy document; encoded as IAM sends it when enc.
func iamDoc(enc bool, stmts ...string) any {
	d := `{"Version":"2012-10-17","Statement":[` + strings.Join(stmts, ",") + `]}`
	if enc {
		return strings.ReplaceAll(url.QueryEscape(d), "+", "%20")
	}
	return d
}

func role(arn string, inline map[string]any, attached []string, boundary string) map[string]any {
	name := arn[strings.LastIndex(arn, "/")+1:]
	r := map[string]any{"RoleName": name, "Arn": arn, "RolePolicyList": []any{}, "AttachedManagedPolicies": []any{}}
	for n, d := range inline {
		r["RolePolicyList"] = append(r["RolePolicyList"].([]any), map[string]any{"PolicyName": n, "PolicyDocument": d})
	}
	for _, a := range attached {
		r["AttachedManagedPolicies"] = append(r["AttachedManagedPolicies"].([]any), map[string]any{"PolicyName": "x", "PolicyArn": a})
	}
	if boundary != "" {
		r["PermissionsBoundary"] = map[string]any{"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": boundary}
	}
	return r
}

func managed(arn string, doc any) map[string]any {
	return map[string]any{"PolicyName": arn[strings.LastIndex(arn, "/")+1:], "Arn": arn, "DefaultVersionId": "v1",
		"PolicyVersionList": []any{map[string]any{"Document": doc, "VersionId": "v1", "IsDefaultVersion": true}}}
}

// withIAM adds the account's IAM answer: the administrator and key user
// roles with a read-only managed policy, plus extra roles, users, groups
// and managed policies.
func withIAM(roles []any, users []any, groups []any, policies []any) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		ro := managed(readOnlyMP, iamDoc(false, `{"Effect":"Allow","Action":["kms:Describe*","kms:List*"],"Resource":"*"}`))
		s[keystate.GetAccountAuthorizationDetails] = map[string]any{
			"UserDetailList": append([]any{}, users...), "GroupDetailList": append([]any{}, groups...),
			"RoleDetailList": append([]any{role(admin, nil, []string{readOnlyMP}, ""), role(user, nil, []string{readOnlyMP}, "")}, roles...),
			"Policies":       append([]any{ro}, policies...), "IsTruncated": false,
		}
	}
}

const (
	allowDelete = `{"Sid":"Cleanup","Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"*"}`
	allowKMS    = `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`
	denyDelete  = `{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}`
	deleting    = "allow_key_deletion: true"
)

var opsDeletes = []any{role(opsRole, map[string]any{"cleanup": iamDoc(true, allowDelete)}, nil, "")}

var adm4Cases = table([]tc{
	{name: "offline without the member", id: "CMK-ADM-4", profile: deleting, want: checks.Skip, observe: "without the GetAccountAuthorizationDetails member"},
	// Without the IAM member the key policy alone still shows a wrong holder.
	{name: "offline, the key policy lets administrators delete without allow_key_deletion", id: "CMK-ADM-4", want: checks.Fail,
		observe: "the key policy and grants alone (IAM not evaluated) give principals that are not chosen administrators or break_glass the right to delete, disable or re-policy the key: " + admin + " kms:ScheduleKeyDeletion (ALLOWED via key policy statement 1"},
	{name: "offline, the key policy gives an unchosen role DisableKey", id: "CMK-ADM-4", profile: deleting, edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return append(st, map[string]any{"Sid": "Ops", "Effect": "Allow", "Principal": map[string]any{"AWS": opsRole}, "Action": "kms:DisableKey", "Resource": "*"})
		})
	}, want: checks.Fail, observe: opsRole + " kms:DisableKey (ALLOWED via key policy statement"},
	{name: "only the administrators", id: "CMK-ADM-4", profile: deleting, edit: withIAM(nil, nil, nil, nil), want: checks.Pass,
		observe: "no other identity can delete, disable or re-policy the key"},
	{name: "a role's inline policy allows deletion on *", id: "CMK-ADM-4", profile: deleting, edit: withIAM(opsDeletes, nil, nil, nil), want: checks.Fail,
		observe: opsRole + ` kms:ScheduleKeyDeletion (ALLOWED via inline policy "cleanup" of role OpsAutomation statement 0 (Sid "Cleanup"))`},
	{name: "the same role listed as break glass", id: "CMK-ADM-4", profile: deleting + "\nbreak_glass: [" + opsRole + "]", edit: withIAM(opsDeletes, nil, nil, nil), want: checks.Pass},
	{name: "break glass named without the role's path", id: "CMK-ADM-4", profile: deleting + "\nbreak_glass: [arn:aws:iam::111122223333:role/OpsAutomation]", edit: withIAM(opsDeletes, nil, nil, nil), want: checks.Pass},
	{name: "administrators may not delete without allow_key_deletion", id: "CMK-ADM-4", edit: withIAM(nil, nil, nil, nil), want: checks.Fail,
		observe: admin + " kms:ScheduleKeyDeletion"},
	{name: "a permissions boundary without the action", id: "CMK-ADM-4", profile: deleting, edit: withIAM(
		[]any{role(opsRole, map[string]any{"all": iamDoc(false, allowKMS)}, nil, boundMP)}, nil, nil,
		[]any{managed(boundMP, iamDoc(true, `{"Effect":"Allow","Action":["kms:Describe*","kms:Encrypt"],"Resource":"*"}`))}), want: checks.Pass},
	{name: "an explicit deny on deletion still leaves DisableKey", id: "CMK-ADM-4", profile: deleting, edit: withIAM(
		[]any{role(opsRole, map[string]any{"all": iamDoc(false, allowKMS, denyDelete)}, nil, "")}, nil, nil, nil), want: checks.Fail,
		observe: opsRole + " kms:DisableKey"},
	{name: "a group policy gives a user DisableKey", id: "CMK-ADM-4", profile: deleting, edit: withIAM(nil,
		[]any{map[string]any{"UserName": "carol", "Arn": "arn:aws:iam::111122223333:user/carol", "GroupList": []any{"oncall"}, "UserPolicyList": []any{}, "AttachedManagedPolicies": []any{}}},
		[]any{map[string]any{"GroupName": "oncall", "Arn": "arn:aws:iam::111122223333:group/oncall", "GroupPolicyList": []any{map[string]any{"PolicyName": "disable", "PolicyDocument": iamDoc(false, `{"Effect":"Allow","Action":"kms:DisableKey","Resource":"arn:aws:kms:*:111122223333:key/*"}`)}}, "AttachedManagedPolicies": []any{}}},
		nil), want: checks.Fail, observe: `arn:aws:iam::111122223333:user/carol kms:DisableKey (ALLOWED via inline policy "disable" of group oncall`},
	{name: "an alias ARN grants no key action", id: "CMK-ADM-4", profile: deleting, edit: withIAM(
		[]any{role(opsRole, map[string]any{"alias": iamDoc(false, `{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:us-east-1:111122223333:alias/*"}`)}, nil, "")}, nil, nil, nil), want: checks.Pass},
	{name: "a request condition counts as holding the right", id: "CMK-ADM-4", profile: deleting, edit: withIAM(
		[]any{role(opsRole, map[string]any{"mfa": iamDoc(false, `{"Effect":"Allow","Action":"kms:PutKeyPolicy","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}`)}, nil, "")}, nil, nil, nil),
		want: checks.Fail, observe: opsRole + " kms:PutKeyPolicy (CONDITIONAL"},
	{name: "without the root delegation IAM gives nothing", id: "CMK-ADM-4", profile: deleting, edit: func(t *testing.T, s snap) {
		withIAM([]any{role(opsRole, map[string]any{"all": iamDoc(false, allowKMS)}, nil, "")}, nil, nil, nil)(t, s)
		s.statements(t, func(st []any) []any { return st[1:] })
	}, want: checks.Pass},
	{name: "a chosen administrator without the right", id: "CMK-ADM-4", profile: deleting + "\nkey_administrators: [" + admin + ", arn:aws:iam::111122223333:role/Second]", edit: withIAM(nil, nil, nil, nil),
		want: checks.Fail, observe: "chosen administrators without the right: arn:aws:iam::111122223333:role/Second kms:ScheduleKeyDeletion"},
	{name: "IAM not read (--no-iam)", id: "CMK-ADM-4", profile: deleting, edit: capture(set(keystate.GetAccountAuthorizationDetails, map[string]any{"NotRun": "IAM was not read (--no-iam or CMK_NO_IAM)"})), want: checks.Skip, observe: "--no-iam"},
	{name: "reading IAM denied", id: "CMK-ADM-4", edit: capture(set(keystate.GetAccountAuthorizationDetails, map[string]any{"Error": map[string]any{
		"Operation": "iam:GetAccountAuthorizationDetails", "Code": "AccessDenied", "Detail": "operation error IAM: GetAccountAuthorizationDetails, AccessDenied: not authorized"}})),
		want: checks.Error, observe: "the caller needs iam:GetAccountAuthorizationDetails"},
	{name: "live capture without the member", id: "CMK-ADM-4", edit: capture(), want: checks.Error, observe: "recorded no GetAccountAuthorizationDetails member"},
	{name: "a managed policy the answer lacks", id: "CMK-ADM-4", profile: deleting, edit: withIAM([]any{role(opsRole, nil, []string{"arn:aws:iam::111122223333:policy/Gone"}, "")}, nil, nil, nil),
		want: checks.Error, observe: "does not hold that policy"},
	{name: "an unreadable managed policy nobody uses is not read", id: "CMK-ADM-4", profile: deleting, edit: withIAM(nil, nil, nil,
		[]any{managed("arn:aws:iam::aws:policy/Odd", iamDoc(false, `{"Effect":"Allow","Action":"kms:*"}`))}), want: checks.Pass},
	{name: "an unreadable identity policy", id: "CMK-ADM-4", profile: deleting, edit: withIAM([]any{role(opsRole, map[string]any{"bad": iamDoc(false, `{"Effect":"Allow","Action":"kms:*"}`)}, nil, "")}, nil, nil, nil),
		want: checks.Error, observe: `inline policy bad of role OpsAutomation`},
	{name: "IAM of another account", id: "CMK-ADM-4", profile: deleting, edit: withIAM([]any{role("arn:aws:iam::999988887777:role/X", nil, nil, "")}, nil, nil, nil),
		want: checks.Error, observe: "the key belongs to account 111122223333"},
	{name: "key policy unreadable", id: "CMK-ADM-4", profile: deleting, edit: func(t *testing.T, s snap) {
		withIAM(nil, nil, nil, nil)(t, s)
		unparsablePolicy(t, s)
	}, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "grants missing", id: "CMK-ADM-4", profile: deleting, edit: func(t *testing.T, s snap) {
		withIAM(nil, nil, nil, nil)(t, s)
		delete(s, keystate.ListGrants)
	}, want: checks.Error, observe: "ListGrants is missing"},
})

func TestADM4IAMAccess(t *testing.T) { runCases(t, adm4Cases) }
