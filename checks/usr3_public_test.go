package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var usr3Cases = table([]tc{
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
	{name: "policy unreadable", id: "CMK-USR-3", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "console policy", id: "CMK-USR-3", want: checks.Pass, observe: "statements open to everyone: none"},
})

func TestUSR3Public(t *testing.T) { runCases(t, usr3Cases) }
