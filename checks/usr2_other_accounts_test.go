package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var usr2Cases = table([]tc{
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
	{name: "policy unreadable", id: "CMK-USR-2", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
})

func TestUSR2OtherAccounts(t *testing.T) { runCases(t, usr2Cases) }
