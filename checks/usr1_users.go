package checks

import "github.com/aep-cmk/cmkcheck/policy"

func init() {
	register(Check{
		ID: "CMK-USR-1", Title: "Key users are the chosen IAM users and roles", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol},
		Expected: "at least one IAM user or role of the key's account is a key user; with key_users set, the non-administrator key users are exactly those",
		Remediation: Remediation{
			Console: editPolicyConsole + "Key users > Add or Remove the chosen users and roles (console default view), then Save.",
			CLI:     policyCLI,
		},
		eval: evalUsers,
	})
}

func evalUsers(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		users := e.ownIAM(a.Users())
		obs := "key users of the key's account: " + list(users) + rootNote(a)
		if len(users) == 0 {
			return notMet(obs)
		}
		if e.p.KeyUsers == nil {
			return pass(obs)
		}
		admins := toSet(e.ownIAM(a.Administrators()))
		var plain []string
		for _, u := range users {
			if !admins[u] {
				plain = append(plain, u)
			}
		}
		missing, extra := setDiff(e.p.KeyUsers, plain)
		return judge(len(missing)+len(extra) == 0, obs+"; of them not administrators: "+list(plain)+diffNote(missing, extra))
	})
}
