package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var usr4Cases = table([]tc{
	{name: "admin actions on a service principal", id: "CMK-USR-4", edit: appendStmts(stmt(map[string]any{"Service": "logs.amazonaws.com"}, "kms:Put*")),
		want: checks.Warn, observe: "service:logs.amazonaws.com [kms:PutKeyPolicy ALLOWED by statement 8]"},
	{name: "policy unreadable", id: "CMK-USR-4", edit: unparsablePolicy, want: checks.Error, observe: "the key policy could not be parsed"},
	{name: "console policy", id: "CMK-USR-4", want: checks.Pass, observe: "principals other than key administrators that hold administrative actions: none"},
	{name: "a user may disable the key", id: "CMK-USR-4", edit: appendStmts(stmt(map[string]any{"AWS": user}, "kms:DisableKey")),
		want: checks.Warn, sev: checks.Recommended, observe: user + " [kms:DisableKey ALLOWED by statement 8]"},
	// NotAction Allow gives everything not listed.
	{name: "a user given everything but deletion", id: "CMK-USR-4", edit: appendStmts(map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": user},
		"NotAction": []any{"kms:ScheduleKeyDeletion", "kms:PutKeyPolicy"}, "Resource": "*"}), want: checks.Warn,
		observe: user + " [kms:DeleteAlias, kms:DeleteCustomKeyStore, kms:DeleteImportedKeyMaterial and 6 more ALLOWED by statement 8]"},
	// Another account never holds these (Cross-account use: No).
	{name: "another account given them holds nothing", id: "CMK-USR-4", edit: appendStmts(stmt(map[string]any{"AWS": "444455556666"}, "kms:DisableKey")),
		want: checks.Pass, doc: docPutKeyPolicy},
	// A conditional grant holds the right on the risk side.
	{name: "conditionally", id: "CMK-USR-4", edit: appendStmts(when(stmt(map[string]any{"AWS": user}, "kms:DisableKey"), "Bool", "aws:MultiFactorAuthPresent", "true")),
		want: checks.Warn, doc: docGlobalKeys, observe: "CONDITIONAL on aws:MultiFactorAuthPresent"},
})

func TestUSR4AdminActions(t *testing.T) { runCases(t, usr4Cases) }
