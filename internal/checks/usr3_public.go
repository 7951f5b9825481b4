package checks

import "github.com/aep-cmk/cmkcheck/internal/policy"

func init() {
	register(Check{
		ID: "CMK-USR-3", Title: "The key is not public", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol, grt},
		Expected: "anonymous callers and an identity of any other account are allowed no action, not even conditionally (an organisation pin is not public)",
		Remediation: Remediation{
			Console: editPolicyConsole + "replace the \"*\" principal by the chosen users and roles, or restrict it with a condition on who calls, such as StringEquals aws:PrincipalAccount.",
			CLI:     policyCLI,
		},
		eval: evalPublic,
	})
}

// evalPublic judges policy.Model.Public: the one definition of public, also
// the one the differential test holds against policyuniverse.
func evalPublic(e *env) outcome {
	return e.withGrants(func(a *access) outcome {
		byWho := map[string][]policy.Decision{}
		var order []policy.Who
		for _, d := range a.m.Public() {
			if _, ok := byWho[d.Who.String()]; !ok {
				order = append(order, d.Who)
			}
			byWho[d.Who.String()] = append(byWho[d.Who.String()], d)
		}
		// Whoever may become a chosen role holds what the role holds.
		trust := a.trustReach(e)
		if o, ok := trust.unknown(); ok {
			return o
		}
		if len(order) == 0 && len(trust.anyone) > 0 {
			return notMet(sentence("anyone may become a chosen role: "+bounded(trust.anyone, maxItems), a.notes()))
		}
		if len(order) == 0 {
			org := a.holding(policy.WhoAnyOtherAccount(), policy.KMSActions(), risks)
			return pass(sentence("neither anonymous callers nor an identity of any other account hold any action",
				detailed("only the organisation's accounts, through aws:PrincipalOrgID (judged as other accounts, not as public): ", a.orgWhy(org)), a.notes()))
		}
		var open []string
		for _, w := range order {
			open = append(open, a.whoWhy(w, byWho[w.String()]))
		}
		open = append(open, trust.anyone...)
		return notMet(sentence("open to callers nobody chose: "+bounded(open, maxItems), a.notes()))
	})
}

func (a *access) orgWhy(held []policy.Decision) []string {
	if len(held) == 0 {
		return nil
	}
	return []string{a.actionsWhy(held)}
}
