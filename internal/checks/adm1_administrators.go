package checks

import (
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

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

// evalAdministrators: the own account's IAM users and roles ALLOWED (grant
// side) every administrator action. The root delegation names nobody; a
// statement giving them to every identity of the account (Principal * with
// aws:PrincipalAccount) makes them all administrators, none chosen.
func evalAdministrators(e *env) outcome {
	return e.withAccess(func(a *access) outcome {
		h := a.holders("key administrators", a.isAdmin, policy.AdminActions, e.p.KeyAdministrators)
		if h.none != nil || e.p.KeyAdministrators == nil {
			return h.result()
		}
		missing, extra := setDiff(e.p.KeyAdministrators, whoList(h.ws))
		if h.wide {
			extra = append(extra, a.everyone())
		}
		var why []string
		for _, arn := range missing {
			w, _ := policy.WhoARN(arn)
			why = append(why, a.lacking(w, policy.AdminActions))
		}
		return judge(len(missing)+len(extra) == 0, sentence(h.obs, diffNote(missing, extra), detailed("why: ", why), a.delegation(), a.notes()))
	})
}
