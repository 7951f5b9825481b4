package checks

import (
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

func init() {
	register(Check{
		ID: "CMK-USR-2", Title: "No other AWS account has access", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol, grt},
		Expected: "no identity of another account holds any action, except those of the Adobe accounts and allowed_external_accounts",
		Remediation: Remediation{
			Console: editPolicyConsole + "Other AWS accounts > Remove each account that is not Adobe's and not deliberately allowed; revoke grants to other accounts.",
			CLI:     policyCLI + "\naws kms list-grants --key-id <key-id>\naws kms revoke-grant --key-id <key-id> --grant-id <grant-id>",
		},
		eval: evalOtherAccounts,
	})
}

// evalOtherAccounts: every identity of another account asked about (named
// in the policy, its conditions or grants, the Adobe and allowed accounts,
// and an identity of an account named nowhere) must hold no KMS action by
// the risk-side rule (ALLOWED or CONDITIONAL), unless its account is Adobe's
// or allowed. An action AWS does not allow across accounts holds nothing.
// An aws:PrincipalOrgID pin admits the organisation's other accounts.
func evalOtherAccounts(e *env) outcome {
	return e.withGrants(func(a *access) outcome {
		allowed := toSet(append(e.adobe, e.p.AllowedExternalAccounts...))
		var accepted, refused []string
		actions := policy.KMSActions()
		for _, w := range a.whos {
			if w.Kind != policy.WhoKindOtherAccount && (w.Account == "" || a.isOwn(w)) {
				continue
			}
			held := a.holding(w, actions, risks)
			if len(held) == 0 {
				continue
			}
			if w.Kind == policy.WhoKindOtherAccount {
				refused = append(refused, a.strangerWhy(held))
			} else if allowed[w.Account] {
				accepted = append(accepted, a.whoWhy(w, held))
			} else {
				refused = append(refused, a.whoWhy(w, held))
			}
		}
		// Whoever may become a chosen role holds what the role holds.
		trust := a.trustReach(e)
		if o, ok := trust.unknown(); ok {
			return o
		}
		refused = append(refused, trust.others...)
		obs := sentence(
			"identities of other accounts that hold actions on this key, not accepted: "+boundedOrNone(refused),
			detailed("accepted (Adobe or allowed accounts): ", accepted), detailed("chosen roles whose trust is not known: ", trust.unread), a.notes())
		return judge(len(refused) == 0, obs)
	})
}

// strangerWhy words what an identity of an account named nowhere holds; an
// organisation pin says who that is.
func (a *access) strangerWhy(held []policy.Decision) string {
	for _, d := range held {
		if !d.OrgOnly() {
			return a.whoWhy(policy.WhoAnyOtherAccount(), held)
		}
	}
	return "the accounts of the organisation other than the allowed ones (" + policy.WhoAnyOtherAccount().String() +
		" [" + a.actionsWhy(held) + "]): aws:PrincipalOrgID admits every account of the organisation, and the profile does not say which those are"
}
