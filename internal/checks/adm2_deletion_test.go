package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var adm2Cases = table([]tc{
	// break_glass identities are accepted for every right (issue 20, 259).
	{name: "a break-glass role may delete", id: "CMK-ADM-2", profile: "key_administrators: [" + admin + "]\nallow_key_deletion: true\nbreak_glass: [" + emergency + "]",
		edit: appendStmts(stmt(map[string]any{"AWS": emergency}, "kms:*")), want: checks.Pass, observe: "break_glass holders (accepted): " + emergency},
	{name: "deletion forbidden but allowed", id: "CMK-ADM-2", profile: "allow_key_deletion: false", want: checks.Fail, observe: "allow_key_deletion is false but deletion is held"},
	{name: "deletion unconstrained", id: "CMK-ADM-2", want: checks.Pass, observe: "chosen administrators (the detected key administrators, as key_administrators is not set): " + admin},
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
	}, want: checks.Pass, doc: docDefaultKey, observe: "holders of kms:ScheduleKeyDeletion (allowed or conditionally allowed): none"},
	{name: "policy unreadable", id: "CMK-ADM-2", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "deletion allowed to a non-administrator", id: "CMK-ADM-2", edit: appendStmts(stmt(map[string]any{"AWS": user}, "kms:ScheduleKeyDeletion")),
		want: checks.Fail, observe: "not chosen administrators: " + user + " [ALLOWED by statement 8]"},
	// Someone who also holds the administrator actions is not thereby chosen.
	{name: "an administrator nobody chose", id: "CMK-ADM-2", profile: "key_administrators: [" + admin + "]", edit: func(t *testing.T, s snap) {
		s.statements(t, func(st []any) []any {
			st[1].(map[string]any)["Principal"] = map[string]any{"AWS": []any{admin, "arn:aws:iam::111122223333:role/Other"}}
			return st
		})
	}, want: checks.Fail, observe: "not chosen administrators: arn:aws:iam::111122223333:role/Other"},
	// A CONDITIONAL answer holds the right on the risk side.
	{name: "conditional deletion", id: "CMK-ADM-2", edit: appendStmts(when(stmt(map[string]any{"AWS": user}, "kms:ScheduleKeyDeletion"),
		"NumericLessThanEquals", "kms:ScheduleKeyDeletionPendingWindowInDays", "30")), want: checks.Fail, doc: docKMSKeys,
		observe: user + " [CONDITIONAL on kms:ScheduleKeyDeletionPendingWindowInDays (allowed by statement 8)]"},
	// Principal * reaches anonymous callers; another account is stopped by
	// the cross-account rule, an anonymous caller belongs to no account.
	{name: "deletion open to everyone", id: "CMK-ADM-2", edit: appendStmts(stmt("*", "kms:ScheduleKeyDeletion")), want: checks.Fail, doc: docSchedule, observe: "anonymous [ALLOWED by statement 8]"},
	{name: "another account cannot delete", id: "CMK-ADM-2", edit: appendStmts(stmt(map[string]any{"AWS": "999988887777"}, "kms:ScheduleKeyDeletion")), want: checks.Pass, doc: docSchedule},
	{name: "a session of the chosen role", id: "CMK-ADM-2", profile: "key_administrators: [" + admin + "]\nallow_key_deletion: true", edit: appendStmts(
		stmt(map[string]any{"AWS": "arn:aws:sts::111122223333:assumed-role/KMSKeyAdmin/ops"}, "kms:ScheduleKeyDeletion")), want: checks.Pass, doc: docPrincipal},
	{name: "a session of another role", id: "CMK-ADM-2", edit: appendStmts(
		stmt(map[string]any{"AWS": "arn:aws:sts::111122223333:assumed-role/BreakGlass/incident-42"}, "kms:*")), want: checks.Fail, doc: docPrincipal,
		observe: "not chosen administrators: arn:aws:sts::111122223333:assumed-role/BreakGlass/incident-42"},
	{name: "deletion wanted but not granted", id: "CMK-ADM-2", profile: "allow_key_deletion: true\nkey_administrators: [" + admin + ", arn:aws:iam::111122223333:role/Second]", want: checks.Fail,
		observe: "these administrators may not delete: arn:aws:iam::111122223333:role/Second [kms:ScheduleKeyDeletion IAM policies decide (statement 0"},
	{name: "deletion wanted and granted", id: "CMK-ADM-2", profile: "allow_key_deletion: true", want: checks.Pass,
		observe: "holders of kms:ScheduleKeyDeletion (allowed or conditionally allowed): " + admin + " [ALLOWED by statement 1"},
})

func TestADM2Deletion(t *testing.T) { runCases(t, adm2Cases) }
