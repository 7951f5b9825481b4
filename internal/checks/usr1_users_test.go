package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var usr1Cases = table([]tc{
	{name: "users match the profile", id: "CMK-USR-1", profile: "key_users: [" + user + "]\n" + adobeAll, want: checks.Pass,
		observe: user + " [kms:Decrypt, kms:DescribeKey, kms:Encrypt and 1 more ALLOWED by statement 2 (Sid \"Allow use of the key\")]"},
	{name: "administrators are not counted as plain users", id: "CMK-USR-1", profile: "key_users: [" + user + "]\n" + adobeAll, edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[2].(map[string]any)["Principal"] = map[string]any{"AWS": []any{user, admin}}
			return st
		})
	}, want: checks.Pass, observe: "of them not administrators: " + user},
	{name: "an unexpected user", id: "CMK-USR-1", profile: "key_users: [" + user + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[2].(map[string]any)["Principal"] = map[string]any{"AWS": []any{user, "arn:aws:iam::111122223333:user/alice"}}
			return st
		})
	}, want: checks.Fail, observe: "present but not expected: arn:aws:iam::111122223333:user/alice"},
	{name: "policy unreadable", id: "CMK-USR-1", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "grants missing", id: "CMK-USR-1", edit: without("ListGrants"), want: checks.Error, observe: "ListGrants is missing"},
	{name: "no key user", id: "CMK-USR-1", profile: "key_users: [" + user + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any { return append(st[:2:2], st[4:]...) })
	}, want: checks.Fail, observe: "none; not every one of them: " + user + " [kms:Decrypt, kms:DescribeKey, kms:Encrypt and 1 more IAM policies decide (statement 0"},
	{name: "one user missing and another unexpected", id: "CMK-USR-1", profile: "key_users: [" + user + ", arn:aws:iam::111122223333:role/Second]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[2].(map[string]any)["Principal"] = map[string]any{"AWS": []any{user, "arn:aws:iam::111122223333:user/alice"}}
			return st
		})
	}, want: checks.Fail, observe: "expected but absent: arn:aws:iam::111122223333:role/Second; present but not expected: arn:aws:iam::111122223333:user/alice"},
	{name: "an expected user is absent", id: "CMK-USR-1", profile: "key_users: [" + user + ", arn:aws:iam::111122223333:role/Second]", want: checks.Fail, observe: "expected but absent: arn:aws:iam::111122223333:role/Second"},
	{name: "an expected user is an administrator", id: "CMK-USR-1", profile: "key_users: [" + admin + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[2].(map[string]any)["Principal"] = map[string]any{"AWS": admin}
			return st
		})
	}, want: checks.Fail, observe: admin + " is a key administrator too"},
	// A grant gives its grantee its operations: a key user made by a grant.
	{name: "a key user by grant", id: "CMK-USR-1", profile: "key_users: [" + user + "]", edit: withGrants(
		grant("g1", "arn:aws:iam::111122223333:role/Loader", "Encrypt", "Decrypt", "GenerateDataKey", "DescribeKey")),
		want: checks.Fail, doc: docGrants, observe: "arn:aws:iam::111122223333:role/Loader [kms:Decrypt, kms:DescribeKey, kms:Encrypt and 1 more ALLOWED by grant g1]"},
	// An encryption-context condition says how the user calls: it counts,
	// and the result names it. On DescribeKey the key is absent, so a
	// statement that lists DescribeKey under it never allows DescribeKey.
	{name: "an encryption context condition", id: "CMK-USR-1", profile: "key_users: [" + user + "]\n" + adobeAll, edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[2].(map[string]any)["Action"] = []any{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey"}
			when(st[2].(map[string]any), "StringEquals", "kms:EncryptionContext:app", "aep")
			return append(st, stmt(map[string]any{"AWS": user}, "kms:DescribeKey"))
		})
	}, want: checks.Pass, doc: docKMSKeys, observe: "CONDITIONAL on kms:EncryptionContext:app"},
	{name: "an encryption context condition on DescribeKey", id: "CMK-USR-1", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			when(st[2].(map[string]any), "StringEquals", "kms:EncryptionContext:app", "aep")
			return st
		})
	}, want: checks.Fail, doc: docKMSKeys, observe: user + " [kms:DescribeKey IAM policies decide (statement 0"},
	// Every identity of the own account, by Principal * and the account.
	{name: "every identity of the account", id: "CMK-USR-1", profile: "key_users: [" + user + "]", edit: appendStmts(when(stmt(map[string]any{"AWS": "*"},
		"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*", "kms:DescribeKey"), "StringEquals", "kms:CallerAccount", "111122223333")),
		want: checks.Fail, doc: docKMSKeys, observe: "present but not expected: every identity of account 111122223333"},
	// Users of the key: any one use action, by the risk-side rule, from
	// anyone nobody chose fails (issue 20 item 2).
	{name: "Decrypt alone by an unchosen role", id: "CMK-USR-1", profile: "key_users: [" + user + "]\n" + adobeAll,
		edit: appendStmts(stmt(map[string]any{"AWS": "arn:aws:iam::111122223333:role/Reader"}, "kms:Decrypt")),
		want: checks.Fail, doc: docKMSKeys, observe: "users of the key nobody chose (any use action, allowed or conditionally allowed): arn:aws:iam::111122223333:role/Reader [kms:Decrypt ALLOWED by statement"},
	{name: "a grant of Decrypt alone to an unchosen role", id: "CMK-USR-1", profile: "key_users: [" + user + "]\n" + adobeAll,
		edit: withGrants(grant("g2", "arn:aws:iam::111122223333:role/Reader", "Decrypt")),
		want: checks.Fail, doc: docGrants, observe: "arn:aws:iam::111122223333:role/Reader [kms:Decrypt ALLOWED by grant g2]"},
	{name: "a service pinned to the own account is reported", id: "CMK-USR-1", profile: "key_users: [" + user + "]\n" + adobeAll,
		edit: appendStmts(when(stmt(map[string]any{"Service": "cloudtrail.amazonaws.com"}, "kms:GenerateDataKey*"), "StringEquals", "aws:SourceAccount", "111122223333")),
		want: checks.Pass, doc: docKMSKeys, observe: "AWS services restricted to the account's own resources or given a grant, reported: service:cloudtrail.amazonaws.com"},
	{name: "a service without a source condition", id: "CMK-USR-1", profile: "key_users: [" + user + "]\n" + adobeAll,
		edit: appendStmts(stmt(map[string]any{"Service": "cloudtrail.amazonaws.com"}, "kms:GenerateDataKey*")),
		want: checks.Fail, doc: docKMSKeys, observe: "users of the key nobody chose (any use action, allowed or conditionally allowed): service:cloudtrail.amazonaws.com"},
})

func TestUSR1Users(t *testing.T) { runCases(t, usr1Cases) }
