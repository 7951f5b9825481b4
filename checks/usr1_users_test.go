package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var usr1Cases = table([]tc{
	{name: "users match the profile", id: "CMK-USR-1", profile: "key_users: [" + user + "]", want: checks.Pass},
	{name: "administrators are not counted as plain users", id: "CMK-USR-1", profile: "key_users: [" + user + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[2].(map[string]any)["Principal"] = map[string]any{"AWS": []any{user, admin}}
			return st
		})
	}, want: checks.Pass},
	{name: "an unexpected user", id: "CMK-USR-1", profile: "key_users: [" + user + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[2].(map[string]any)["Principal"] = map[string]any{"AWS": []any{user, "arn:aws:iam::111122223333:user/alice"}}
			return st
		})
	}, want: checks.Fail, observe: "present but not expected: arn:aws:iam::111122223333:user/alice"},
	{name: "policy unreadable", id: "CMK-USR-1", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "no key user", id: "CMK-USR-1", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any { return append(st[:2:2], st[4:]...) })
	}, want: checks.Fail, observe: "key users of the key's account: none"},
	{name: "an expected user is absent", id: "CMK-USR-1", profile: "key_users: [" + user + ", arn:aws:iam::111122223333:role/Second]", want: checks.Fail, observe: "expected but absent: arn:aws:iam::111122223333:role/Second"},
})

func TestUSR1Users(t *testing.T) { runCases(t, usr1Cases) }
