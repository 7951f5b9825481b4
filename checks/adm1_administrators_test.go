package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var adm1Cases = table([]tc{
	{name: "administrators match the profile", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + "]", want: checks.Pass},
	{name: "an expected administrator is absent", id: "CMK-ADM-1", profile: "key_administrators: [" + admin + ", arn:aws:iam::111122223333:role/Second]", want: checks.Fail, observe: "expected but absent: arn:aws:iam::111122223333:role/Second"},
	{name: "root delegation alone is no administrator", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any { return append(st[:1:1], st[2:]...) })
	}, want: checks.Fail, observe: "root delegation"},
	{name: "another account's role is no administrator of ours", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[1].(map[string]any)["Principal"] = map[string]any{"AWS": "arn:aws:iam::999988887777:role/KMSKeyAdmin"}
			return st
		})
	}, want: checks.Fail},
	{name: "unconditional deny removes an administrator", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			deny := stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy")
			deny["Effect"] = "Deny"
			return append(st, deny)
		})
	}, want: checks.Fail},
	{name: "conditional deny does not", id: "CMK-ADM-1", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			deny := stmt(map[string]any{"AWS": admin}, "kms:PutKeyPolicy")
			deny["Effect"] = "Deny"
			deny["Condition"] = map[string]any{"Bool": map[string]any{"aws:MultiFactorAuthPresent": "false"}}
			return append(st, deny)
		})
	}, want: checks.Pass},
	{name: "policy unreadable", id: "CMK-ADM-1", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
})

func TestADM1Administrators(t *testing.T) { runCases(t, adm1Cases) }
