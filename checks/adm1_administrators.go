package checks

import "github.com/aep-cmk/cmkcheck/policy"

func init() {
	register(Check{
		ID: "CMK-ADM-1", Title: "Key administrators are the chosen IAM users and roles", Severity: Required,
		Section: "define-key-admins", Needs: []string{dk, pol},
		Expected: "at least one IAM user or role of the key's account is a key administrator; with key_administrators set, exactly those",
		Remediation: Remediation{
			Console: editPolicyConsole + "Key administrators > Add or Remove the chosen users and roles (console default view), then Save.",
			CLI:     policyCLI,
		},
		eval: evalAdministrators,
	})
}

func evalAdministrators(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		admins := e.ownIAM(a.Administrators())
		obs := "key administrators of the key's account: " + list(admins) + rootNote(a)
		if len(admins) == 0 {
			return notMet(obs)
		}
		if e.p.KeyAdministrators == nil {
			return pass(obs)
		}
		missing, extra := setDiff(e.p.KeyAdministrators, admins)
		return judge(len(missing)+len(extra) == 0, obs+diffNote(missing, extra))
	})
}
