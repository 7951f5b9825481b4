package checks

import "github.com/aep-cmk/cmkcheck/policy"

func init() {
	register(Check{
		ID: "CMK-USR-3", Title: "The key is not public", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol},
		Expected: "no Allow to \"*\", {\"AWS\":\"*\"} or with NotPrincipal unless a condition pins the caller to fixed accounts",
		Remediation: Remediation{
			Console: editPolicyConsole + "replace the \"*\" principal by the chosen users and roles, or add a condition such as StringEquals aws:PrincipalAccount.",
			CLI:     policyCLI,
		},
		eval: func(e *env) outcome {
			return e.withPolicy(func(a *policy.Analysis) outcome {
				open := a.Public()
				return judge(len(open) == 0, "statements open to everyone: "+statementList(a, open))
			})
		},
	})
}
