package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var adm3Cases = table([]tc{
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
	{name: "policy unreadable", id: "CMK-ADM-3", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "root delegation present", id: "CMK-ADM-3", want: checks.Pass, observe: "statement #1"},
})

func TestADM3Lockout(t *testing.T) { runCases(t, adm3Cases) }
