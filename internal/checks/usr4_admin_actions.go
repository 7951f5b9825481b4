package checks

import (
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

func init() {
	register(Check{
		ID: "CMK-USR-4", Title: "Only key administrators hold administrative actions", Severity: Recommended,
		Section: "define-key-admins, assign-key-users", Needs: []string{dk, pol},
		Expected: "no principal other than key administrators (and the root delegation) holds kms:PutKeyPolicy, kms:DisableKey or any kms:Delete*, kms:Disable*, kms:Put*, kms:Update* action",
		Remediation: Remediation{
			Console: editPolicyConsole + "remove the administrative actions from the statements of key users and other principals.",
			CLI:     policyCLI,
		},
		eval: evalAdminActionsElsewhere,
	})
}

// evalAdminActionsElsewhere: every principal asked about that is not a key
// administrator (ALLOWED every administrator action) holds none of the
// dangerous actions by the risk-side rule. The root delegation holds
// nothing by itself (IAM policies decide), and the cross-account rule
// leaves another account nothing of these.
func evalAdminActionsElsewhere(e *env) outcome {
	return e.withAccess(func(a *access) outcome {
		var others []string
		dangerous := policy.DangerousActions()
		for _, w := range a.whos {
			if a.isAdmin(w) {
				continue
			}
			if held := a.holding(w, dangerous, risks); len(held) > 0 {
				others = append(others, a.whoWhy(w, held))
			}
		}
		return judge(len(others) == 0, sentence("principals other than key administrators that hold administrative actions: "+boundedOrNone(others), a.delegation(), a.notes()))
	})
}
