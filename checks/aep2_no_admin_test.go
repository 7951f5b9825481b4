package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var aep2Cases = table([]tc{
	{name: "Adobe may not schedule deletion", id: "CMK-AEP-2", profile: "adobe_principals: ['767397686373']", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return append(st, stmt(map[string]any{"AWS": "767397686373"}, "kms:ScheduleKeyDeletion"))
		})
	}, want: checks.Fail, observe: "kms:ScheduleKeyDeletion"},
	{name: "Adobe unset", id: "CMK-AEP-2", want: checks.Skip},
	{name: "policy unreadable", id: "CMK-AEP-2", profile: "adobe_principals: ['767397686373']", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "the platform's statements", id: "CMK-AEP-2", profile: "adobe_principals: ['222233334444', '767397686373', '730335345392', '891377157113']", want: checks.Pass, observe: "Adobe principals with administrative or deletion actions: none"},
})

func TestAEP2NoAdmin(t *testing.T) { runCases(t, aep2Cases) }
