package checks

import (
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
		o := a.keyUsers(e)
		unchosen, reported := a.usersOfTheKey(e)
		o.observed = sentence(o.observed, detailed("users of the key nobody chose (any use action, allowed or conditionally allowed): ", unchosen),
			detailed("AWS services restricted to the account's own resources or given a grant, reported: ", reported))
		if len(unchosen) > 0 && o.status == "" {
			o.met = false
		}
		return o
	})
}

// usersOfTheKey lists the principals that hold any use action (risk side,
// through the key policy, grants or IAM) and are none of: the chosen users
// (key_users, else the key policy's own key users), the chosen
// administrators (who can give themselves any right), the Adobe and
// allowed accounts, break_glass, the own account's root user (the root
// delegation). An AWS service principal is reported instead when every
// right it holds comes from grants, or when acting for another account's
// resources it would hold none (aws:SourceAccount / SourceArn /
// SourceOrgID pin it to the own account).
func (a *access) usersOfTheKey(e *env) (unchosen, reported []string) {
	users, admins := e.p.KeyUsers, e.p.KeyAdministrators
	if users == nil {
		users = whoList(a.ownIAM(a.keyPolicyUser))
	}
	if admins == nil {
		admins = whoList(a.ownIAM(a.keyPolicyAdmin))
	}
	chosen := shortSet(append(append(append([]string(nil), users...), admins...), e.p.BreakGlass...))
	accepted := map[string]bool{}
	for _, acct := range append(e.adobe, e.p.AllowedExternalAccounts...) {
		accepted[acct] = true
	}
	for _, w := range a.whos {
		if (w.Kind == policy.WhoKindRoot && a.isOwn(w)) || chosen[shortARN(a.asRole(w))] || (w.Account != "" && accepted[w.Account]) {
			continue
		}
		held := a.holding(w, policy.UseActions, risks)
		if len(held) == 0 {
			continue
		}
		if w.Kind == policy.WhoKindService && a.ownService(w, held) {
			reported = append(reported, a.whoWhy(w, held))
			continue
		}
		unchosen = append(unchosen, a.whoWhy(w, held))
	}
	return unchosen, reported
}

// ownService: every right the service holds comes from a grant (only a
// principal allowed CreateGrant on this key could make it, and that one is
// judged itself), or the service holds it acting for the own account's
// resources and not acting for another account's (an unnamed one, and
// every account the policy names). A pin the model cannot settle (an
// encryption context naming the resource) is not taken as a restriction.
func (a *access) ownService(w policy.Who, held []policy.Decision) bool {
	foreign := []string{"000000000000"}
	if a.m.OwnAccount() == foreign[0] {
		foreign[0] = "000000000001"
	}
	for _, x := range a.whos {
		if x.Account != "" && x.Account != a.m.OwnAccount() {
			foreign = append(foreign, x.Account)
		}
	}
	for _, d := range held {
		byGrant := len(d.Allow) > 0
		for _, s := range d.Allow {
			byGrant = byGrant && s.Statement < 0
		}
		if byGrant {
			continue
		}
		if !a.m.Decide(policy.WhoServiceFor(w.Name, a.m.OwnAccount()), d.Action).Risks() {
			return false
		}
		for _, acct := range foreign {
			if a.m.Decide(policy.WhoServiceFor(w.Name, acct), d.Action).Risks() {
				return false
			}
		}
	}
	return true
}

// keyUsers: at least one own-account key user; with key_users set, the
// non-administrator key users are exactly those.
func (a *access) keyUsers(e *env) outcome {
	h := a.holders("key users", a.isUser, policy.UserActions, e.p.KeyUsers)
	if h.none != nil || e.p.KeyUsers == nil {
		return h.result()
	}
	users, wide, obs := h.ws, h.wide, h.obs
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
}
