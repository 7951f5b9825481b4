package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var aep1Cases = table([]tc{
	{name: "Adobe not in the profile", id: "CMK-AEP-1", want: checks.Skip, observe: "adobe_principals"},
	{name: "Adobe given as a root ARN", id: "CMK-AEP-1", profile: "adobe_principals: ['arn:aws:iam::767397686373:root']", want: checks.Pass,
		observe: "account:767397686373 [kms:CreateGrant, kms:Decrypt, kms:DescribeKey and 5 more ALLOWED by statement 5 (Sid \"Allow CJA access 1\")]"},
	{name: "an Adobe account without statements", id: "CMK-AEP-1", profile: "adobe_principals: ['444455556666']", want: checks.Fail,
		observe: "account:444455556666 [kms:CreateGrant, kms:Decrypt, kms:DescribeKey and 5 more NOT ALLOWED: no statement or grant allows it]"},
	// The platform's statement naming account A but requiring
	// aws:PrincipalAccount B can never hold: it grants nothing.
	{name: "Adobe's pin to another account does not grant", id: "CMK-AEP-1", profile: "adobe_principals: ['767397686373']", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[5].(map[string]any)["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": "111122223333"}}
			return st
		})
	}, want: checks.Fail, doc: docGlobalKeys},
	// CreateGrant only for AWS resources narrows how, not who: it counts.
	{name: "CreateGrant for AWS resources only", id: "CMK-AEP-1", profile: "adobe_principals: ['767397686373']", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[5].(map[string]any)["Condition"] = map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": "767397686373"},
				"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}}
			return st
		})
	}, want: checks.Pass, doc: docKMSKeys, observe: "CONDITIONAL on kms:GrantIsForAWSResource"},
	// A source address says who may call from where: not counted.
	{name: "a source address", id: "CMK-AEP-1", profile: "adobe_principals: ['767397686373']", edit: appendStmts(when(denied(stmt("*", "kms:*")),
		"NotIpAddress", "aws:SourceIp", "198.51.100.0/24")), want: checks.Fail, doc: docGlobalKeys, observe: "CONDITIONAL on aws:SourceIp"},
	// A grant to the Adobe account gives it the operations too.
	{name: "by grant", id: "CMK-AEP-1", profile: "adobe_principals: ['444455556666']", edit: withGrants(grant("g1", "arn:aws:iam::444455556666:root",
		"Encrypt", "Decrypt", "ReEncryptFrom", "ReEncryptTo", "GenerateDataKey", "GenerateDataKeyWithoutPlaintext", "DescribeKey", "CreateGrant")),
		want: checks.Pass, doc: docGrants, observe: "ALLOWED by grant g1"},
	{name: "policy unreadable", id: "CMK-AEP-1", profile: "adobe_principals: ['767397686373']", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "grants missing", id: "CMK-AEP-1", profile: "adobe_principals: ['767397686373']", edit: without("ListGrants"), want: checks.Error, observe: "ListGrants is missing"},
})

func TestAEP1PlatformGrants(t *testing.T) { runCases(t, aep1Cases) }
