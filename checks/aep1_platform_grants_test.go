package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var aep1Cases = table([]tc{
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
	{name: "policy unreadable", id: "CMK-AEP-1", profile: "adobe_principals: ['767397686373']", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
})

func TestAEP1PlatformGrants(t *testing.T) { runCases(t, aep1Cases) }
