package checks

import (
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/policy"
)

func init() {
	register(Check{
		ID: "CMK-AEP-2", Title: "Adobe holds no administrative or deletion right", Severity: Required,
		Section: "next steps", Needs: []string{dk, pol},
		Expected: "no Adobe principal holds an administrative or deletion action",
		Remediation: Remediation{
			Console: editPolicyConsole + "keep Adobe's statements exactly as the platform shows them; remove any administrative or deletion action given to Adobe's accounts.",
			CLI:     policyCLI,
		},
		eval: evalAdobeNoAdmin,
	})
}

func evalAdobeNoAdmin(e *env) outcome {
	accounts := toSet(e.p.AdobeAccounts())
	if len(accounts) == 0 {
		return skipped("adobe_principals is not set in the profile")
	}
	return e.withPolicy(func(a *policy.Analysis) outcome {
		holders := a.HoldersAny(policy.AdobeForbiddenActions())
		var bad []string
		for _, p := range a.Principals() {
			if !accounts[p.Account] {
				continue
			}
			if acts := holders[p.ARN]; len(acts) > 0 {
				bad = append(bad, p.ARN+" holds "+strings.Join(acts, ", "))
			}
		}
		sort.Strings(bad)
		return judge(len(bad) == 0, "Adobe principals with administrative or deletion actions: "+list(bad))
	})
}
