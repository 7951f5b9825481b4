package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var aep2Cases = table([]tc{
	// ScheduleKeyDeletion: "Cross-account use: No". Reported, holds nothing.
	{name: "Adobe given deletion holds nothing", id: "CMK-AEP-2", profile: "adobe_principals: ['767397686373']", edit: appendStmts(stmt(map[string]any{"AWS": "767397686373"}, "kms:ScheduleKeyDeletion")),
		want: checks.Pass, doc: docSchedule,
		observe: "given, but holding nothing because AWS allows it to no other account: account:767397686373 [kms:ScheduleKeyDeletion NOT ALLOWED across accounts (statement 8 would allow it"},
	// RevokeGrant: "Cross-account use: Yes".
	{name: "Adobe may revoke grants", id: "CMK-AEP-2", profile: "adobe_principals: ['767397686373']", edit: appendStmts(stmt(map[string]any{"AWS": "767397686373"}, "kms:Re*")),
		want: checks.Fail, doc: docRevokeGrant, observe: "account:767397686373 [kms:RevokeGrant ALLOWED by statement 8]"},
	{name: "an Adobe role with kms:*", id: "CMK-AEP-2", profile: "adobe_principals: ['222233334444']", edit: appendStmts(stmt(map[string]any{"AWS": "arn:aws:iam::222233334444:role/aep"}, "kms:*")),
		want: checks.Fail, observe: "arn:aws:iam::222233334444:role/aep [kms:Decapsulate, kms:DeriveSharedSecret, kms:Encapsulate and 5 more ALLOWED by statement 8]"},
	{name: "a grant to Adobe beyond the platform's", id: "CMK-AEP-2", profile: "adobe_principals: ['222233334444']", edit: withGrants(grant("g1", "arn:aws:iam::222233334444:role/aep", "Decrypt", "Sign")),
		want: checks.Fail, doc: docGrants, observe: "arn:aws:iam::222233334444:role/aep [kms:Sign ALLOWED by grant g1]"},
	// The platform's grants: Adobe retiring its own grants adds nothing.
	{name: "Adobe retires its grants", id: "CMK-AEP-2", profile: "adobe_principals: ['222233334444']", edit: withGrants(map[string]any{
		"GrantId": "g1", "GranteePrincipal": "arn:aws:iam::222233334444:role/aep", "RetiringPrincipal": "arn:aws:iam::222233334444:root",
		"Operations": []any{"Decrypt", "RetireGrant"}}), want: checks.Pass, doc: docGrants},
	{name: "Adobe unset", id: "CMK-AEP-2", want: checks.Skip},
	{name: "policy unreadable", id: "CMK-AEP-2", profile: "adobe_principals: ['767397686373']", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "grants missing", id: "CMK-AEP-2", profile: "adobe_principals: ['767397686373']", edit: without("ListGrants"), want: checks.Error, observe: "ListGrants is missing"},
	{name: "the platform's statements", id: "CMK-AEP-2", profile: adobeAll, want: checks.Pass, observe: "Adobe principals holding actions beyond the platform's: none", absent: "holding nothing"},
})

func TestAEP2NoAdmin(t *testing.T) { runCases(t, aep2Cases) }
