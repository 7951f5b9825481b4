package checks

import (
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

func init() {
	register(Check{
		ID: "CMK-AEP-1", Title: "The platform's statements grant Adobe the key's use", Severity: Required,
		Section: "next steps", Needs: []string{dk, pol, grt},
		Expected: "every Adobe principal is allowed " + strings.Join(policy.AdobeActions, ", "),
		Remediation: Remediation{
			Console: editPolicyConsole + "add the statements the platform's Encryption Configuration shows, as they are, to the existing policy.",
			CLI:     policyCLI,
		},
		eval: evalAdobeGrants,
	})
}

// evalAdobeGrants: an identity of each Adobe account is ALLOWED (grant side:
// conditions only on how it calls, such as kms:GrantIsForAWSResource, are
// named but count) every action the platform needs.
func evalAdobeGrants(e *env) outcome {
	accounts := e.adobe
	if len(accounts) == 0 {
		return skipped("adobe_principals is not set in the profile")
	}
	return e.withGrants(func(a *access) outcome {
		var lacks, fine []string
		for _, acct := range accounts {
			w := policy.WhoAccountIdentity(acct)
			if a.every(w, policy.AdobeActions, a.grants) {
				fine = append(fine, a.whoWhy(w, a.decideAll(w, policy.AdobeActions)))
			} else {
				lacks = append(lacks, a.lacking(w, policy.AdobeActions))
			}
		}
		return judge(len(lacks) == 0, sentence(detailed("Adobe accounts not allowed every platform action: ", lacks),
			"Adobe accounts allowed every platform action: "+boundedOrNone(fine), a.notes()))
	})
}

// PlatformKey says whether a key carries the platform's statements: at
// least one of the profile's Adobe accounts is allowed every platform
// action (the grant side of CMK-AEP-1, asked of the same access model). ok
// is false when the evidence cannot tell (no readable policy or grants);
// without adobe_principals no key is the platform's.
func PlatformKey(s *keystate.State, p profile.Valid) (platform, ok bool) {
	e := newEnv(s, p)
	accounts := e.adobe
	if len(accounts) == 0 {
		return false, true
	}
	if e.access == nil || !e.access.grantsRead {
		return false, false
	}
	for _, acct := range accounts {
		if e.access.every(policy.WhoAccountIdentity(acct), policy.AdobeActions, e.access.grants) {
			return true, true
		}
	}
	return false, true
}
