package checks

import (
	"strings"

	"github.com/aep-cmk/cmkcheck/policy"
)

func init() {
	register(Check{
		ID: "CMK-AEP-1", Title: "The platform's statements grant Adobe the key's use", Severity: Required,
		Section: "next steps", Needs: []string{dk, pol},
		Expected: "every Adobe principal is allowed " + strings.Join(policy.AdobeActions, ", "),
		Remediation: Remediation{
			Console: editPolicyConsole + "add the statements the platform's Encryption Configuration shows, as they are, to the existing policy.",
			CLI:     policyCLI,
		},
		eval: evalAdobeGrants,
	})
}

func evalAdobeGrants(e *env) outcome {
	accounts := e.p.AdobeAccounts()
	if len(accounts) == 0 {
		return skipped("adobe_principals is not set in the profile")
	}
	return e.withPolicy(func(a *policy.Analysis) outcome {
		var lacks, fine []string
		for _, acct := range accounts {
			root := adobeRoot(e, acct)
			var missing []string
			for _, act := range policy.AdobeActions {
				if len(a.Allowed(root, act)) == 0 {
					missing = append(missing, act)
				}
			}
			if len(missing) > 0 {
				lacks = append(lacks, acct+" lacks "+strings.Join(missing, ", "))
			} else {
				fine = append(fine, acct)
			}
		}
		obs := "Adobe accounts fully granted: " + list(fine)
		if len(lacks) > 0 {
			obs += "; " + strings.Join(lacks, "; ")
		}
		return judge(len(lacks) == 0, obs)
	})
}

// adobeRoot is the root principal of an Adobe account in the key's partition.
func adobeRoot(e *env, account string) policy.Principal {
	partition := e.key.Partition()
	if partition == "" {
		partition = "aws"
	}
	return policy.ParsePrincipal("AWS", "arn:"+partition+":iam::"+account+":root")
}
