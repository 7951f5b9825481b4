package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var usr3Cases = table([]tc{
	{name: "wildcard pinned by account is not public", id: "CMK-USR-3", edit: appendStmts(when(stmt(map[string]any{"AWS": "*"}, "kms:Decrypt"),
		"StringEquals", "aws:PrincipalAccount", "111122223333")), want: checks.Pass, doc: docGlobalKeys},
	{name: "wildcard with a wildcard condition is public", id: "CMK-USR-3", edit: appendStmts(when(stmt(map[string]any{"AWS": "*"}, "kms:Decrypt"),
		"StringLike", "aws:PrincipalAccount", "1111*")), want: checks.Fail, doc: docGlobalKeys,
		observe: "any-other-account [kms:Decrypt CONDITIONAL on aws:PrincipalAccount (allowed by statement 8)]"},
	// kms:ViaService narrows the calling service, not the caller.
	{name: "a service pin is public", id: "CMK-USR-3", edit: appendStmts(when(stmt("*", "kms:Decrypt"),
		"StringEquals", "kms:ViaService", "s3.us-east-1.amazonaws.com")), want: checks.Fail, doc: docKMSKeys,
		observe: "anonymous [kms:Decrypt CONDITIONAL on kms:ViaService (allowed by statement 8)]"},
	// An organisation pin is not public (the spec); other accounts judge it.
	{name: "an organisation pin is not public", id: "CMK-USR-3", edit: appendStmts(when(stmt("*", "kms:Decrypt"),
		"StringEquals", "aws:PrincipalOrgID", "o-a1b2c3d4e5")), want: checks.Pass, doc: docGlobalKeys + "#condition-keys-principalorgid",
		observe: "only the organisation's accounts, through aws:PrincipalOrgID (judged as other accounts, not as public): kms:Decrypt CONDITIONAL on aws:PrincipalOrgID (allowed by statement 8)"},
	// NotPrincipal with Allow grants everyone not listed, anonymous included.
	{name: "allow with NotPrincipal", id: "CMK-USR-3", edit: appendStmts(map[string]any{"Effect": "Allow", "NotPrincipal": map[string]any{"AWS": admin}, "Action": "kms:Decrypt", "Resource": "*"}),
		want: checks.Fail, doc: docNotPrincipal, observe: "anonymous [kms:Decrypt ALLOWED by statement 8]"},
	// A grant names its grantee: it opens nothing to anyone else.
	{name: "a grant is not public", id: "CMK-USR-3", edit: withGrants(grant("g1", "arn:aws:iam::444455556666:role/Partner", "Decrypt")), want: checks.Pass, doc: docGrants},
	{name: "policy unreadable", id: "CMK-USR-3", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "grants missing", id: "CMK-USR-3", edit: without("ListGrants"), want: checks.Error, observe: "ListGrants is missing"},
	{name: "console policy", id: "CMK-USR-3", want: checks.Pass, observe: "neither anonymous callers nor an identity of any other account hold any action"},
})

func TestUSR3Public(t *testing.T) { runCases(t, usr3Cases) }
