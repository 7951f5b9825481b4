package checks

import "github.com/aep-cmk/cmkcheck/internal/policy"

func init() {
	register(Check{
		ID: "CMK-ADM-3", Title: "The key policy cannot lock the account out", Severity: Required,
		Section: "next steps (add, do not replace)", Needs: []string{dk, pol},
		Expected: "the own-account root delegation (kms:*) or an own-account IAM user or role allowed kms:PutKeyPolicy remains",
		Remediation: Remediation{
			Console: editPolicyConsole + "add the platform's statements to the default policy; do not replace it. Restore the \"Enable IAM User Permissions\" root statement (arn:aws:iam::<account>:root, kms:*).",
			CLI:     policyCLI,
		},
		eval: evalLockout,
	})
}

const putPolicy = "kms:PutKeyPolicy"

// evalLockout: someone of the own account can still change the policy:
// the root delegation reaches an own identity for kms:PutKeyPolicy (its IAM
// policies can then allow it) and no Deny stops that, or the account's root
// user, an own IAM user or role, or every identity of the account, is
// ALLOWED it (grant side). The root user counts on its own: a Deny whose
// NotPrincipal exempts it leaves it able to repair the policy.
// Another account's principal never counts: PutKeyPolicy cannot be used
// across accounts.
func evalLockout(e *env) outcome {
	return e.withAccess(func(a *access) outcome {
		candidates := append([]policy.Who{a.ownAccount()}, a.ownIAM(func(policy.Who) bool { return true })...)
		if root, err := policy.WhoARN("arn:" + a.m.Partition() + ":iam::" + a.m.OwnAccount() + ":root"); err == nil {
			candidates = append(candidates, root)
		}
		var keepers, others []string
		for _, w := range candidates {
			d := a.decide(w, putPolicy)
			entry := a.whoWhy(w, []policy.Decision{d})
			if d.Delegated() || a.grants(d) {
				keepers = append(keepers, entry)
			} else {
				others = append(others, entry)
			}
		}
		if len(keepers) > 0 {
			return pass(sentence(detailed("these identities of account "+a.m.OwnAccount()+" can still change the key policy: ", keepers), a.notes()))
		}
		return notMet(sentence("no identity of account "+a.m.OwnAccount()+" can be allowed "+putPolicy+": nobody in the account could repair this policy",
			detailed("asked: ", others), a.notes()))
	})
}
