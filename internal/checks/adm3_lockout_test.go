package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var adm3Cases = table([]tc{
	{name: "no root, but an own admin keeps the policy", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any { return st[1:] })
	}, want: checks.Pass, observe: admin + " [kms:PutKeyPolicy ALLOWED by statement 0"},
	// PutKeyPolicy: "Cross-account use: No".
	{name: "another account's root does not prevent lock-out", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return []any{stmt(map[string]any{"AWS": "arn:aws:iam::999988887777:root"}, "kms:*"), st[2]}
		})
	}, want: checks.Fail, doc: docPutKeyPolicy, observe: "nobody in the account could repair this policy"},
	{name: "root delegation as a bare account ID", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return []any{stmt(map[string]any{"AWS": "111122223333"}, "kms:*"), st[2]}
		})
	}, want: checks.Pass, doc: docLockout, observe: "account:111122223333 [kms:PutKeyPolicy IAM policies decide (statement 0)]"},
	{name: "policy unreadable", id: "CMK-ADM-3", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "root delegation present", id: "CMK-ADM-3", want: checks.Pass, observe: "IAM policies decide (statement 0 (Sid \"Enable IAM User Permissions\"))"},
	// An explicit Deny beats every Allow, the delegation's included.
	{name: "a deny stops every own identity", id: "CMK-ADM-3", edit: appendStmts(denied(stmt("*", "kms:PutKeyPolicy"))), want: checks.Fail, doc: docEvaluation,
		observe: "account:111122223333 [kms:PutKeyPolicy NOT ALLOWED: denied by statement 8]"},
	// A Deny that may apply (without MFA) leaves the delegation conditional.
	// Denied only without MFA: a request property, so someone can still
	// repair the policy (with MFA).
	{name: "a deny without MFA does not lock out", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return []any{st[0], when(denied(stmt("*", "kms:PutKeyPolicy")), "Bool", "aws:MultiFactorAuthPresent", "false")}
		})
	}, want: checks.Pass, doc: docEvaluation},
	{name: "a deny only without TLS", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return []any{st[0], when(denied(stmt("*", "kms:*")), "Bool", "aws:SecureTransport", "false")}
		})
	}, want: checks.Pass, doc: docGlobalKeys},
	// Principal * restricted to the own account grants every identity.
	{name: "every identity of the account", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return []any{when(stmt("*", "kms:*"), "StringEquals", "aws:PrincipalAccount", "111122223333")}
		})
	}, want: checks.Pass, doc: docGlobalKeys, observe: "account:111122223333 [kms:PutKeyPolicy ALLOWED by statement 0]"},
	{name: "a stale administrator is nobody", id: "CMK-ADM-3", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			return []any{stmt(map[string]any{"AWS": "AIDA5EXAMPLEQ2ZKD7Y3Q"}, "kms:*"), st[2]}
		})
	}, want: checks.Fail, doc: docUniqueIDs, observe: "it matches nobody"},
})

func TestADM3Lockout(t *testing.T) { runCases(t, adm3Cases) }
