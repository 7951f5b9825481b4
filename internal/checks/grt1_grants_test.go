package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var grt1Cases = table([]tc{
	{name: "no grants", id: "CMK-GRT-1", want: checks.Pass, observe: "the key has no grants"},
	{name: "a grant to the key user", id: "CMK-GRT-1", edit: withGrants(grant("g1", user, "Encrypt", "Decrypt", "GenerateDataKey")),
		want: checks.Pass, observe: "accepted: grant g1 grantee " + user + " (the key's account)"},
	{name: "a grant to another account", id: "CMK-GRT-1", edit: withGrants(grant("g1", "arn:aws:iam::444455556666:role/Partner", "Decrypt", "Encrypt")),
		want: checks.Fail, doc: docGrants,
		observe: "not accepted: grant g1 grantee arn:aws:iam::444455556666:role/Partner (account 444455556666, neither the key's, Adobe's nor an allowed one)"},
	{name: "a grant to an allowed account", id: "CMK-GRT-1", profile: "allowed_external_accounts: ['444455556666']", edit: withGrants(grant("g1", "arn:aws:iam::444455556666:role/Partner", "Decrypt")),
		want: checks.Pass, observe: "account 444455556666, Adobe's or allowed"},
	{name: "a grant to Adobe", id: "CMK-GRT-1", profile: adobeAll, edit: withGrants(grant("g1", "222233334444", "Decrypt")), want: checks.Pass},
	// The retiring principal may retire the grant: judged like the grantee.
	{name: "a retiring principal of another account", id: "CMK-GRT-1", edit: withGrants(map[string]any{
		"GrantId": "g1", "GranteePrincipal": user, "RetiringPrincipal": "arn:aws:iam::999988887777:root", "Operations": []any{"Decrypt"}}),
		want: checks.Fail, doc: docCreateGrant, observe: "grant g1 retiring principal arn:aws:iam::999988887777:root (account 999988887777"},
	{name: "an AWS service", id: "CMK-GRT-1", edit: withGrants(map[string]any{
		"GrantId": "g1", "GranteePrincipal": "dynamodb.us-east-1.amazonaws.com", "RetiringPrincipal": "dynamodb.us-east-1.amazonaws.com", "Operations": []any{"Decrypt"}}),
		want: checks.Pass, doc: docCreateGrant, observe: "(an AWS service principal)"},
	{name: "a service principal that is not AWS's", id: "CMK-GRT-1", edit: withGrants(grant("g1", "partner.example.com", "Decrypt")), want: checks.Fail, observe: "not an AWS service principal"},
	// LocalStack accepts any grantee string: its account cannot be told.
	{name: "a grantee that names no account", id: "CMK-GRT-1", edit: withGrants(grant("g1", "Partner", "Decrypt")), want: checks.Fail, observe: "its account cannot be told"},
	{name: "a grantee in another partition", id: "CMK-GRT-1", edit: withGrants(grant("g1", "arn:aws-cn:iam::111122223333:role/X", "Decrypt")), want: checks.Fail, observe: "of partition aws-cn"},
	// CreateGrant lets the grantee pass its operations on: reported only.
	{name: "a grant that lets its grantee grant", id: "CMK-GRT-1", edit: withGrants(grant("g1", user, "Decrypt", "CreateGrant")), want: checks.Pass, doc: docGrants,
		observe: "reported: grant g1 lets " + user + " create grants for others (Decrypt, CreateGrant)"},
	{name: "grants missing", id: "CMK-GRT-1", edit: without("ListGrants"), want: checks.Error, observe: "ListGrants is missing"},
	{name: "DescribeKey missing", id: "CMK-GRT-1", edit: without("DescribeKey"), want: checks.Error, observe: "DescribeKey is missing"},
})

func TestGRT1Grants(t *testing.T) { runCases(t, grt1Cases) }
