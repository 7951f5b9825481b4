package checks

import (
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

func init() {
	register(Check{
		ID: "CMK-AEP-2", Title: "Adobe holds no administrative or deletion right", Severity: Required,
		Section: "next steps", Needs: []string{dk, pol, grt},
		Expected: "no Adobe principal holds an action beyond the platform's (Encrypt, Decrypt, ReEncrypt*, GenerateDataKey*, DescribeKey, CreateGrant) other than reads (Describe*, Get*, List*)",
		Remediation: Remediation{
			Console: editPolicyConsole + "keep Adobe's statements exactly as the platform shows them; remove any other action given to Adobe's accounts, and revoke grants that give them more.",
			CLI:     policyCLI,
		},
		eval: evalAdobeNoAdmin,
	})
}

// evalAdobeNoAdmin: no identity of an Adobe account (named roles and users,
// and an unnamed identity of each account) holds an action beyond the
// platform's by the risk-side rule. An action AWS does not allow across
// accounts holds nothing, but a statement or grant that would give it is
// reported.
func evalAdobeNoAdmin(e *env) outcome {
	accounts := toSet(e.adobe)
	if len(accounts) == 0 {
		return skipped("adobe_principals is not set in the profile")
	}
	return e.withGrants(func(a *access) outcome {
		var bad, blocked []string
		beyond := policy.BeyondPlatformActions()
		for _, w := range a.whos {
			if !accounts[w.Account] || a.isOwn(w) {
				continue
			}
			if held := a.holding(w, beyond, risks); len(held) > 0 {
				bad = append(bad, a.whoWhy(w, held))
			}
			if b := a.holding(w, beyond, crossAccountBlocked); len(b) > 0 {
				blocked = append(blocked, a.whoWhy(w, b))
			}
		}
		return judge(len(bad) == 0, sentence("Adobe principals holding actions beyond the platform's: "+boundedOrNone(bad),
			detailed("given, but holding nothing because AWS allows it to no other account: ", blocked), a.notes()))
	})
}

func crossAccountBlocked(d policy.Decision) bool { return d.CrossAccountBlocked }
