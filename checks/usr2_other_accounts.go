package checks

import "github.com/aep-cmk/cmkcheck/policy"

func init() {
	register(Check{
		ID: "CMK-USR-2", Title: "No other AWS account has access", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol},
		Expected: "no principal of another account, except the Adobe accounts and allowed_external_accounts",
		Remediation: Remediation{
			Console: editPolicyConsole + "Other AWS accounts > Remove each account that is not Adobe's and not deliberately allowed.",
			CLI:     policyCLI,
		},
		eval: evalOtherAccounts,
	})
}

func evalOtherAccounts(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		allowed := toSet(append(e.p.AdobeAccounts(), e.p.AllowedExternalAccounts...))
		var accepted, refused []string
		for _, acct := range a.ExternalAccounts() {
			if allowed[acct] {
				accepted = append(accepted, acct)
			} else {
				refused = append(refused, acct)
			}
		}
		var unknown []string
		for _, p := range a.UnknownPrincipals() {
			unknown = append(unknown, p.Raw)
		}
		obs := "other accounts accepted (Adobe or allowed): " + list(accepted) + "; other accounts not accepted: " + list(refused)
		if len(unknown) > 0 {
			obs += "; principals whose account cannot be told (stale or malformed): " + list(unknown)
		}
		return judge(len(refused)+len(unknown) == 0, obs)
	})
}
