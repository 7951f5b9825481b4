package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// adm4Actions are the actions that can make the platform's data
// unreachable: delete the key, disable it, or re-policy it.
var adm4Actions = []string{"kms:ScheduleKeyDeletion", "kms:DisableKey", "kms:PutKeyPolicy"}

func init() {
	register(Check{
		ID: "CMK-ADM-4", Title: "Through the key policy and IAM, only the chosen administrators may delete, disable or re-policy the key", Severity: Required,
		// The key's members are read in evalIAMAccess, after the IAM member:
		// without IAM the check cannot be judged at all, and says why (SKIP).
		Section: "define-key-admins",
		Uses:    []string{keystate.GetAccountAuthorizationDetails},
		Expected: "through the key policy and the account's IAM policies (the root delegation), the identities that can ScheduleKeyDeletion, DisableKey or PutKeyPolicy " +
			"are exactly the chosen administrators (ScheduleKeyDeletion only with allow_key_deletion: true) plus the profile's break_glass identities",
		Remediation: Remediation{
			Console: "IAM > Roles / Users / Groups: remove kms:ScheduleKeyDeletion, kms:DisableKey and kms:PutKeyPolicy (and kms:*) on this key from every identity that is not a key administrator or a break-glass role, " +
				"or add an explicit Deny, or a permissions boundary without them; list emergency roles under break_glass in the profile.",
			CLI: "aws iam get-account-authorization-details --output json  # find the policy named in the result, then: aws iam put-role-policy / create-policy-version with the actions removed",
		},
		eval: evalIAMAccess,
	})
}

// adm4Holder is one principal holding one of the actions, and why.
type adm4Holder struct {
	who     policy.Who
	action  string
	answer  policy.Answer
	sources []string
}

// evalIAMAccess asks the same access model as every other check. With the
// IAM member it answers for every IAM identity of the account; without it
// (SKIP reasons: offline, --no-iam) what the key policy and grants alone
// give is still judged, and an unchosen holder there is a FAIL.
func evalIAMAccess(e *env) outcome {
	unread, iamOK := iamUnusable(e.s)
	if !iamOK && unread.status != Skip {
		return unread
	}
	// A grant never gives these operations (CreateGrant's Operations are
	// use, DescribeKey and the grant operations), so the grants are not
	// needed to judge them.
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html#KMS-CreateGrant-request-Operations
	members := []string{dk, pol}
	if iamOK {
		members = append(members, keystate.ListGrants) // as every check judged with IAM
	}
	for _, m := range members {
		if why := e.s.Problem(m); why != "" {
			return errored(why)
		}
		if !e.s.Has(m) {
			return errored(m + " is missing")
		}
	}
	if e.access == nil {
		return errored(e.accessErr)
	}
	a := e.access
	if iamOK && a.iamErr != "" {
		return errored("the account's IAM policies could not be evaluated: " + a.iamErr)
	}
	o := judgeADM4(e, a, iamOK)
	if !iamOK && o.met {
		// Nothing wrong in what the key policy and grants show; IAM could
		// still give more: not evaluated.
		o = skipped(unread.observed + "; the key policy and grants alone give no unchosen principal these rights")
	}
	// The key's own members are evidence too, as Needs would have made them.
	o.evidence = []string{dk, pol, keystate.ListGrants}
	return o
}

func judgeADM4(e *env, a *access, iamOK bool) outcome {
	holders := a.adm4Holders()
	admins := e.p.KeyAdministrators
	if admins == nil {
		admins = whoList(a.ownIAM(a.keyPolicyAdmin))
	}
	adminSet, breakGlass := shortSet(admins), shortSet(e.p.BreakGlass)
	deletionOK := e.p.AllowKeyDeletion != nil && *e.p.AllowKeyDeletion
	may := func(w policy.Who, action string) bool {
		s := shortARN(a.asRole(w))
		if breakGlass[s] {
			return true
		}
		return adminSet[s] && (action != "kms:ScheduleKeyDeletion" || deletionOK)
	}
	var wrong, seen []string
	held := map[string]map[string]bool{}
	for _, h := range holders {
		k := shortARN(a.asRole(h.who))
		if held[k] == nil {
			held[k] = map[string]bool{}
		}
		held[k][h.action] = true
		line := fmt.Sprintf("%s %s (%s via %s)", h.who, h.action, h.answer, strings.Join(h.sources, "; "))
		if may(h.who, h.action) {
			seen = append(seen, line)
		} else {
			wrong = append(wrong, line)
		}
	}
	var b strings.Builder
	if !iamOK {
		b.WriteString("the key policy and grants alone (IAM not evaluated)")
		if len(wrong) > 0 {
			fmt.Fprintf(&b, " give principals that are not chosen administrators or break_glass the right to delete, disable or re-policy the key: %s", strings.Join(wrong, "; "))
		}
		return judge(len(wrong) == 0, b.String())
	}
	var missing []string
	if e.p.KeyAdministrators != nil {
		for _, ad := range e.p.KeyAdministrators {
			for _, act := range adm4Actions {
				if act == "kms:ScheduleKeyDeletion" && !deletionOK {
					continue
				}
				if !held[shortARN(ad)][act] {
					missing = append(missing, ad+" "+act)
				}
			}
		}
	}
	fmt.Fprintf(&b, "evaluated %d IAM users and roles of account %s with the key policy and grants", len(a.ids), e.key.Account())
	if len(wrong) > 0 {
		fmt.Fprintf(&b, "; other identities that can delete, disable or re-policy the key: %s", strings.Join(wrong, "; "))
	} else {
		b.WriteString("; no other identity can delete, disable or re-policy the key")
	}
	if len(missing) > 0 {
		fmt.Fprintf(&b, "; chosen administrators without the right: %s", strings.Join(missing, ", "))
	}
	if len(seen) > 0 {
		fmt.Fprintf(&b, "; expected holders: %s", strings.Join(seen, "; "))
	}
	b.WriteString("; the account's root user keeps every right through the root delegation; " + iamNotEvaluated)
	return judge(len(wrong) == 0 && len(missing) == 0, b.String())
}

// adm4Holders asks every principal of the model (with the IAM member,
// every IAM identity of the account) about each action, by the risk-side
// rule: CONDITIONAL holds. The own account's root user is the delegation,
// not a holder the profile chooses.
func (a *access) adm4Holders() []adm4Holder {
	var out []adm4Holder
	for _, w := range a.whos {
		if w.Kind == policy.WhoKindRoot && a.isOwn(w) {
			continue
		}
		for _, act := range adm4Actions {
			d := a.decide(w, act)
			if d.Risks() {
				out = append(out, adm4Holder{who: w, action: act, answer: d.Answer, sources: a.sourcesOf(d)})
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].who.String() < out[j].who.String() })
	return out
}

func shortSet(arns []string) map[string]bool {
	s := map[string]bool{}
	for _, a := range arns {
		s[shortARN(a)] = true
	}
	return s
}
