package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var usr4Cases = table([]tc{
	{name: "admin actions on a service principal", id: "CMK-USR-4", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return append(st, stmt(map[string]any{"Service": "logs.amazonaws.com"}, "kms:Put*"))
		})
	}, want: checks.Warn, observe: "logs.amazonaws.com"},
	{name: "policy unreadable", id: "CMK-USR-4", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "console policy", id: "CMK-USR-4", want: checks.Pass, observe: "non-administrators holding administrative actions: none"},
	{name: "a user may disable the key", id: "CMK-USR-4", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any { return append(st, stmt(map[string]any{"AWS": user}, "kms:DisableKey")) })
	}, want: checks.Warn, sev: checks.Recommended, observe: user + " (kms:DisableKey"},
})

func TestUSR4AdminActions(t *testing.T) { runCases(t, usr4Cases) }
