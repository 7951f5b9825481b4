package checks

import (
	"github.com/aep-cmk/cmkcheck/policy"
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

// adobeAllowed are the platform's actions and the reads, as the spec writes
// them: patterns over the KMS action table. kms:RetireGrant comes with
// CreateGrant: whether a principal may retire a grant "is determined
// primarily by the grant" (its retiring principal, or the account that
// created it), and retiring removes only what that grant gave.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_RetireGrant.html
var adobeAllowed = []string{
	"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant",
	"kms:RetireGrant", "kms:Describe*", "kms:Get*", "kms:List*",
}

// adobeBeyond is every KMS action beyond the platform's and the reads.
var adobeBeyond = func() []string {
	var out []string
	for _, act := range policy.KMSActions() {
		ok := false
		for _, p := range adobeAllowed {
			ok = ok || policy.MatchAction(p, act)
		}
		if !ok {
			out = append(out, act)
		}
	}
	return out
}()

// evalAdobeNoAdmin: no identity of an Adobe account (named roles and users,
// and an unnamed identity of each account) holds an action beyond the
// platform's by the risk-side rule. An action AWS does not allow across
// accounts holds nothing, but a statement or grant that would give it is
// reported.
func evalAdobeNoAdmin(e *env) outcome {
	accounts := toSet(e.p.AdobeAccounts())
	if len(accounts) == 0 {
		return skipped("adobe_principals is not set in the profile")
	}
	return e.withGrants(func(a *access) outcome {
		var bad, blocked []string
		for _, w := range a.whos {
			if !accounts[w.Account] || a.isOwn(w) {
				continue
			}
			ds := a.decideAll(w, adobeBeyond)
			if held := all(ds, risks); len(held) > 0 {
				bad = append(bad, whoWhy(w, held))
			}
			if b := all(ds, func(d policy.Decision) bool { return d.CrossAccountBlocked }); len(b) > 0 {
				blocked = append(blocked, whoWhy(w, b))
			}
		}
		return judge(len(bad) == 0, sentence("Adobe principals holding actions beyond the platform's: "+boundedOrNone(bad),
			detailed("given, but holding nothing because AWS allows it to no other account: ", blocked), a.notes()))
	})
}
