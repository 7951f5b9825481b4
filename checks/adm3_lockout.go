package checks

import "github.com/aep-cmk/cmkcheck/policy"

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

func evalLockout(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		if root := a.RootDelegation(); len(root) > 0 {
			return pass("the own-account root delegation (kms:*) is in " + statementList(a, root))
		}
		var keepers []string
		for _, p := range a.Principals() {
			if p.Account != e.key.Account() || (p.Kind != policy.KindUser && p.Kind != policy.KindRole) {
				continue
			}
			if len(a.Allowed(p, "kms:PutKeyPolicy")) > 0 {
				keepers = append(keepers, p.ARN)
			}
		}
		if len(keepers) > 0 {
			return pass("no root delegation, but these own-account principals may change the policy: " + list(keepers))
		}
		return notMet("no root delegation and no IAM user or role of account " + e.key.Account() + " may call kms:PutKeyPolicy: nobody in the account could repair this policy")
	})
}
