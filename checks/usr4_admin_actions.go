package checks

import (
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/policy"
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

func evalAdminActionsElsewhere(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		admins := toSet(principalARNs(a.Administrators()))
		holders := a.HoldersAny(policy.DangerousActions())
		var arns []string
		for arn := range holders {
			arns = append(arns, arn)
		}
		sort.Strings(arns)
		var others []string
		for _, arn := range arns {
			p := policy.ParsePrincipal("AWS", arn)
			if admins[arn] || e.ownRoot(p) {
				continue
			}
			others = append(others, arn+" ("+strings.Join(holders[arn], ", ")+")")
		}
		return judge(len(others) == 0, "non-administrators holding administrative actions: "+list(others))
	})
}
