package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var adm1Cases = table([]tc{
	// With the IAM member every check asks key policy and IAM together: an
	// administrator whose rights come from its IAM policy (through the root
	// delegation) is one, and the result names the policy (issue 20 item 1).
	{name: "an administrator by IAM", id: "CMK-ADM-1", profile: "key_administrators: [" + opsRole + "]", edit: func(t *testing.T, s snap) {
		withIAM([]any{role(opsRole, map[string]any{"admin": iamDoc(false, allowKMS)}, nil, "")}, nil, nil, nil)(t, s)
		s.statements(t, func(st []any) []any { return append(st[:1:1], st[2:]...) })
	}, want: checks.Pass,
		observe: opsRole + " [kms:CreateAlias, kms:DeleteAlias, kms:DisableKey and 7 more ALLOWED by the root delegation (statement 0 (Sid \"Enable IAM User Permissions\")) and inline policy \"admin\" of role OpsAutomation statement 0]; IAM evaluated: the 3 IAM users and roles of account 111122223333"},
	{name: "a boundary without the administrator actions", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", edit: withIAM(
		[]any{role(admin, nil, nil, boundMP)}, nil, nil, []any{managed(boundMP, iamDoc(false, `{"Effect":"Allow","Action":"kms:Describe*","Resource":"*"}`))}),
		want: checks.Fail, observe: "none; not every one of them: " + admin + " [kms:CreateAlias, kms:DeleteAlias, kms:DisableKey and 7 more NOT ALLOWED (key policy, grants and IAM)"},
	{name: "administrators match the profile", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", want: checks.Pass,
		observe: admin + " [kms:CreateAlias, kms:DeleteAlias, kms:DisableKey and 7 more ALLOWED by statement 1 (Sid \"Allow access for Key Administrators\")]"},
	{name: "administrators without a profile", id: "CMK-ADM-1", want: checks.Pass, observe: "IAM policies decide for the other identities of account 111122223333 (statement 0 (Sid \"Enable IAM User Permissions\"))"},
	{name: "an expected administrator is absent", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + ", arn:aws:iam::111122223333:role/Second]", want: checks.Fail,
		observe: "expected but absent: arn:aws:iam::111122223333:role/Second; why: arn:aws:iam::111122223333:role/Second [kms:CreateAlias, kms:DeleteAlias, kms:DisableKey and 7 more IAM policies decide (statement 0"},
	{name: "an unexpected administrator", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[1].(map[string]any)["Principal"] = map[string]any{"AWS": []any{admin, "arn:aws:iam::111122223333:user/ops"}}
			return st
		})
	}, want: checks.Fail, observe: "present but not expected: arn:aws:iam::111122223333:user/ops"},
	{name: "root delegation alone is no administrator", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any { return append(st[:1:1], st[2:]...) })
	}, want: checks.Fail, doc: docDefaultKey,
		observe: "none; not every one of them: " + admin + " [kms:CreateAlias, kms:DeleteAlias, kms:DisableKey and 7 more IAM policies decide (statement 0"},
	{name: "another account's role is no administrator of ours", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[1].(map[string]any)["Principal"] = map[string]any{"AWS": "arn:aws:iam::999988887777:role/KMSKeyAdmin"}
			return st
		})
	}, want: checks.Fail, doc: docPutKeyPolicy},
	{name: "unconditional deny removes an administrator", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", edit: appendStmts(denied(stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy"))),
		want: checks.Fail, doc: docEvaluation, observe: "NOT ALLOWED: denied by statement 8"},
	// A Deny that may apply makes the Allow CONDITIONAL; an MFA condition
	// says who calls and how they signed in, not how the request is made:
	// the grant side does not count it.
	// Without a profile, the own IAM principals given some administrator
	// actions say what they lack; the others are not listed.
	{name: "no administrator, no profile", id: "CMK-ADM-1", edit: appendStmts(denied(stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy"))),
		want: checks.Fail, observe: "not every one of them: " + admin + " [kms:PutKeyPolicy NOT ALLOWED: denied by statement 8]", absent: user},
	{name: "one administrator missing and another unexpected", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + ", arn:aws:iam::111122223333:role/Second]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[1].(map[string]any)["Principal"] = map[string]any{"AWS": []any{admin, "arn:aws:iam::111122223333:user/ops"}}
			return st
		})
	}, want: checks.Fail, observe: "expected but absent: arn:aws:iam::111122223333:role/Second; present but not expected: arn:aws:iam::111122223333:user/ops"},
	// A Deny without MFA applies to some requests only: aws:MultiFactorAuthPresent
	// is a request property (spec, "Which answer counts"), so the
	// administrator keeps the grant-side right.
	{name: "a deny without MFA leaves the administrator", id: "CMK-ADM-1", edit: appendStmts(when(denied(stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy")),
		"Bool", "aws:MultiFactorAuthPresent", "false")), want: checks.Pass, doc: docGlobalKeys},
	// A Deny without TLS narrows how every request is made: the grant counts.
	{name: "a deny on how the call is made does not", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", edit: appendStmts(when(denied(stmt("*", "kms:*")),
		"Bool", "aws:SecureTransport", "false")), want: checks.Pass, doc: docGlobalKeys, observe: "CONDITIONAL on aws:SecureTransport"},
	// Principal * with the own account grants every identity directly: all
	// of them are administrators, none chosen.
	{name: "every identity of the account", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", edit: appendStmts(when(stmt("*", "kms:*"),
		"StringEquals", "aws:PrincipalAccount", "111122223333")), want: checks.Fail, doc: docGlobalKeys, observe: "every identity of account 111122223333 [kms:CreateAlias, kms:DeleteAlias, kms:DisableKey and 7 more ALLOWED by statement 8]"},
	{name: "a stale administrator", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[1].(map[string]any)["Principal"] = map[string]any{"AWS": "AROA5EXAMPLEQ2ZKD7Y3Q"}
			return st
		})
	}, want: checks.Fail, doc: docUniqueIDs, observe: "AROA5EXAMPLEQ2ZKD7Y3Q, the unique ID of a deleted user or role: it matches nobody"},
	{name: "policy unreadable", id: "CMK-ADM-1", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	// Fail closed: a key ARN the model cannot read, a profile principal it
	// cannot ask about.
	{name: "key ARN unreadable", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) { s.meta()["Arn"] = "arn:aws:kms:us-east-1:1111:key/x" },
		want: checks.Error, observe: "the key cannot be judged: key ARN"},
	{name: "profile principal unreadable", id: "CMK-ADM-1", profile: "key_administrators: ['arn:aws:iam::111122223333:role/a//b']",
		want: checks.Error, observe: "the profile names a principal the access model cannot ask about"},
	// Long lists are summarised.
	{name: "many unexpected administrators", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[1].(map[string]any)["Principal"] = map[string]any{"AWS": []any{admin, "arn:aws:iam::111122223333:user/a", "arn:aws:iam::111122223333:user/b",
				"arn:aws:iam::111122223333:user/c", "arn:aws:iam::111122223333:user/d", "arn:aws:iam::111122223333:user/e"}}
			return st
		})
	}, want: checks.Fail, observe: "present but not expected: arn:aws:iam::111122223333:user/a, arn:aws:iam::111122223333:user/b, arn:aws:iam::111122223333:user/c, arn:aws:iam::111122223333:user/d and 1 more"},
	{name: "many sources", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", edit: appendStmts(stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy"),
		stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy"), stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy")),
		want: checks.Pass, observe: "kms:PutKeyPolicy ALLOWED by statement 1 (Sid \"Allow access for Key Administrators\"), statement 8, statement 9 and 1 more"},
	{name: "policy missing", id: "CMK-ADM-1", edit: without("GetKeyPolicy"), want: checks.Error, observe: "GetKeyPolicy is missing"},
})

func TestADM1Administrators(t *testing.T) { runCases(t, adm1Cases) }
