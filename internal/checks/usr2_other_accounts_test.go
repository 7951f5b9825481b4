package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var usr2Cases = table([]tc{
	{name: "Adobe accounts are accepted", id: "CMK-USR-2", profile: adobeAll, want: checks.Pass,
		observe: "not accepted: none; accepted (Adobe or allowed accounts): account:222233334444 [kms:CreateGrant, kms:Decrypt, kms:DescribeKey and 7 more ALLOWED by statement 4 (Sid \"Enable IAM User Permissions\")]"},
	{name: "Adobe accounts without the profile", id: "CMK-USR-2", want: checks.Fail, observe: "account:767397686373 [kms:CreateGrant"},
	{name: "an allowed external account", id: "CMK-USR-2", profile: "allowed_external_accounts: ['222233334444', '767397686373', '730335345392', '891377157113']", want: checks.Pass},
	{name: "a pinned wildcard names its account", id: "CMK-USR-2", profile: adobeAll, edit: appendStmts(when(stmt("*", "kms:Decrypt"), "StringEquals", "kms:CallerAccount", "555566667777")),
		want: checks.Fail, doc: docKMSKeys, observe: "account:555566667777 [kms:Decrypt ALLOWED by statement 8]"},
	// A deleted user's unique ID matches nobody: reported, holding nothing.
	{name: "a stale principal ID", id: "CMK-USR-2", profile: adobeAll, edit: appendStmts(stmt(map[string]any{"AWS": "AROAEXAMPLEID123456"}, "kms:Decrypt")),
		want: checks.Pass, doc: docUniqueIDs, observe: "statement 8 names AROAEXAMPLEID123456, the unique ID of a deleted user or role: it matches nobody"},
	// An ARN this model cannot read still names its account: fail closed.
	{name: "an unreadable principal of another account", id: "CMK-USR-2", profile: adobeAll, edit: appendStmts(stmt(map[string]any{"AWS": "arn:aws:iam::555566667777:group/Ops"}, "kms:Decrypt")),
		want: checks.Fail, doc: docPrincipal, observe: "account:555566667777 [kms:Decrypt CONDITIONAL on principal arn:aws:iam::555566667777:group/Ops"},
	// A grant gives its grantee its operations, in any account.
	{name: "a grant to another account", id: "CMK-USR-2", profile: adobeAll, edit: withGrants(grant("g1", "arn:aws:iam::444455556666:role/Partner", "Decrypt", "Encrypt")),
		want: checks.Fail, doc: docGrants, observe: "arn:aws:iam::444455556666:role/Partner [kms:Decrypt, kms:Encrypt ALLOWED by grant g1]"},
	// Cross-account use: No: another account holds nothing of these.
	{name: "administrative actions to another account hold nothing", id: "CMK-USR-2", profile: adobeAll, edit: appendStmts(stmt(map[string]any{"AWS": "444455556666"},
		"kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey")), want: checks.Pass, doc: docSchedule},
	// aws:PrincipalOrgID admits every account of the organisation, now
	// and later; the profile does not say which those are.
	{name: "an organisation pin", id: "CMK-USR-2", profile: adobeAll, edit: appendStmts(when(stmt("*", "kms:Decrypt"), "StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5")),
		want: checks.Fail, doc: docGlobalKeys + "#condition-keys-principalorgid",
		observe: "the accounts of the organisation other than the allowed ones (any-other-account [kms:Decrypt CONDITIONAL on aws:PrincipalOrgID (allowed by statement 8)]): aws:PrincipalOrgID admits every account of the organisation"},
	{name: "public", id: "CMK-USR-2", profile: adobeAll, edit: appendStmts(stmt("*", "kms:Decrypt")), want: checks.Fail, doc: docPrincipal,
		observe: "any-other-account [kms:Decrypt ALLOWED by statement 8]"},
	{name: "policy unreadable", id: "CMK-USR-2", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "grants missing", id: "CMK-USR-2", edit: without("ListGrants"), want: checks.Error, observe: "ListGrants is missing"},
})

func TestUSR2OtherAccounts(t *testing.T) { runCases(t, usr2Cases) }
