package checks

import (
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/policy"
)

func init() {
	register(Check{
		ID: "CMK-USR-1", Title: "Key users are the chosen IAM users and roles", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol, grt},
		Expected: "at least one IAM user or role of the key's account is a key user; with key_users set, the non-administrator key users are exactly those",
		Remediation: Remediation{
			Console: editPolicyConsole + "Key users > Add or Remove the chosen users and roles (console default view), then Save; revoke grants that make others key users.",
			CLI:     policyCLI,
		},
		eval: evalUsers,
	})
}

// evalUsers: the own account's IAM users and roles ALLOWED (grant side,
// through the policy or a grant) every key-user action; with key_users set,
// those that are not also administrators must be exactly key_users.
func evalUsers(e *env) outcome {
	return e.withGrants(func(a *access) outcome {
		users := a.ownIAM(a.isUser)
		wide := a.isUser(a.ownAccount())
		var found []string
		for _, w := range users {
			found = append(found, a.whoWhy(w, a.decideAll(w, policy.UserActions)))
		}
		if wide {
			found = append(found, a.everyone()+" ["+a.actionsWhy(a.decideAll(a.ownAccount(), policy.UserActions))+"]")
		}
		head := "key users of account " + a.m.OwnAccount() + " (each allowed " + strings.Join(policy.UserActions, ", ") + "): "
		if len(found) == 0 {
			why := a.notQuite(e.p.KeyUsers, policy.UserActions)
			return notMet(sentence(head+"none", detailed("not every one of them: ", why), a.delegation(), a.notes()))
		}
		obs := head + bounded(found, maxItems)
		if e.p.KeyUsers == nil {
			return pass(sentence(obs, a.delegation(), a.notes()))
		}
		var plain []string
		for _, w := range users {
			if !a.isAdmin(w) {
				plain = append(plain, w.String())
			}
		}
		missing, extra := setDiff(e.p.KeyUsers, plain)
		if wide && !a.isAdmin(a.ownAccount()) {
			extra = append(extra, a.everyone())
		}
		var why []string
		for _, arn := range missing {
			w, _ := policy.WhoARN(arn)
			if a.isUser(w) {
				why = append(why, arn+" is a key administrator too")
			} else {
				why = append(why, a.lacking(w, policy.UserActions))
			}
		}
		return judge(len(missing)+len(extra) == 0, sentence(obs, "of them not administrators: "+names(plain), diffNote(missing, extra),
			detailed("why: ", why), a.delegation(), a.notes()))
	})
}
