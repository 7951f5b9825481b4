package checks

import (
	"strings"

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
		admins := a.ownIAM(a.isAdmin)
		wide := a.isAdmin(a.ownAccount())
		var found []string
		for _, w := range admins {
			found = append(found, a.whoWhy(w, a.decideAll(w, policy.AdminActions)))
		}
		if wide {
			found = append(found, a.everyone()+" ["+a.actionsWhy(a.decideAll(a.ownAccount(), policy.AdminActions))+"]")
		}
		head := "key administrators of account " + a.m.OwnAccount() + " (each allowed " + strings.Join(policy.AdminActions, ", ") + "): "
		if len(found) == 0 {
			why := a.notQuite(e.p.KeyAdministrators, policy.AdminActions)
			return notMet(sentence(head+"none", detailed("not every one of them: ", why), a.delegation(), a.notes()))
		}
		obs := head + bounded(found, maxItems)
		if e.p.KeyAdministrators == nil {
			return pass(sentence(obs, a.delegation(), a.notes()))
		}
		missing, extra := setDiff(e.p.KeyAdministrators, whoList(admins))
		if wide {
			extra = append(extra, a.everyone())
		}
		var why []string
		for _, arn := range missing {
			w, _ := policy.WhoARN(arn)
			why = append(why, a.lacking(w, policy.AdminActions))
		}
		return judge(len(missing)+len(extra) == 0, sentence(obs, diffNote(missing, extra), detailed("why: ", why), a.delegation(), a.notes()))
	})
}
