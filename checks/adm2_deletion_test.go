package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var adm2Cases = table([]tc{
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
	{name: "policy unreadable", id: "CMK-ADM-2", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "deletion allowed to a non-administrator", id: "CMK-ADM-2", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any { return append(st, stmt(map[string]any{"AWS": user}, "kms:ScheduleKeyDeletion")) })
	}, want: checks.Fail, observe: "not key administrators: " + user},
	{name: "deletion wanted but not granted", id: "CMK-ADM-2", profile: "allow_key_deletion: true\nkey_administrators: [" + admin + ", arn:aws:iam::111122223333:role/Second]", want: checks.Fail, observe: "these administrators may not delete: arn:aws:iam::111122223333:role/Second"},
	{name: "deletion wanted and granted", id: "CMK-ADM-2", profile: "allow_key_deletion: true", want: checks.Pass, observe: "principals allowed kms:ScheduleKeyDeletion: " + admin},
})

func TestADM2Deletion(t *testing.T) { runCases(t, adm2Cases) }
