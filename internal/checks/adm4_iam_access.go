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

// adm4Holder is one identity holding one of the actions, and why.
type adm4Holder struct {
	who     string
	action  string
	answer  policy.Answer
	sources []string
}

func evalIAMAccess(e *env) outcome {
	if o, ok := iamUnusable(e.s); !ok {
		return o
	}
	o := evalIAMAccessWith(e)
	// The key's own members are evidence too, as Needs would have made them.
	o.evidence = []string{dk, pol, keystate.ListGrants}
	return o
}

func evalIAMAccessWith(e *env) outcome {
	for _, m := range []string{dk, pol, keystate.ListGrants} {
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
	m := e.access.m
	ids, err := iamIdentities(e.s.IAM, e.key.Account())
	if err != nil {
		return errored("the account's IAM policies could not be evaluated: " + err.Error())
	}
	holders := adm4Holders(m, ids)

	admins := e.p.KeyAdministrators
	if admins == nil {
		admins = whoList(e.access.ownIAM(e.access.keyPolicyAdmin))
	}
	adminSet, breakGlass := shortSet(admins), shortSet(e.p.BreakGlass)
	deletionOK := e.p.AllowKeyDeletion != nil && *e.p.AllowKeyDeletion
	may := func(who, action string) bool {
		s := shortARN(who)
		if breakGlass[s] {
			return true
		}
		return adminSet[s] && (action != "kms:ScheduleKeyDeletion" || deletionOK)
	}
	var wrong, seen []string
	held := map[string]map[string]bool{}
	for _, h := range holders {
		if held[shortARN(h.who)] == nil {
			held[shortARN(h.who)] = map[string]bool{}
		}
		held[shortARN(h.who)][h.action] = true
		line := fmt.Sprintf("%s %s (%s via %s)", h.who, h.action, h.answer, strings.Join(h.sources, "; "))
		if may(h.who, h.action) {
			seen = append(seen, line)
		} else {
			wrong = append(wrong, line)
		}
	}
	var missing []string
	if e.p.KeyAdministrators != nil {
		for _, a := range e.p.KeyAdministrators {
			for _, act := range adm4Actions {
				if act == "kms:ScheduleKeyDeletion" && !deletionOK {
					continue
				}
				if !held[shortARN(a)][act] {
					missing = append(missing, a+" "+act)
				}
			}
		}
	}
	var b strings.Builder
	fmt.Fprintf(&b, "evaluated %d IAM users and roles of account %s with the key policy", len(ids), e.key.Account())
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

// adm4Holders asks every IAM identity (key policy and IAM combined) and
// every other principal the key policy or its grants name (key policy
// alone) about each action, by the risk-side rule: CONDITIONAL holds.
func adm4Holders(m *policy.Model, ids []policy.Identity) []adm4Holder {
	var out []adm4Holder
	inIAM := map[string]bool{}
	for _, id := range ids {
		inIAM[id.Who.ARN] = true
		for _, act := range adm4Actions {
			d := m.DecideEffective(id, act)
			if d.Risks() {
				out = append(out, adm4Holder{who: id.Who.ARN, action: act, answer: d.Answer, sources: d.Sources()})
			}
		}
	}
	for _, w := range m.Principals() {
		if w.ARN != "" && inIAM[w.ARN] {
			continue
		}
		for _, act := range adm4Actions {
			d := m.Decide(w, act)
			if !d.Risks() {
				continue
			}
			var src []string
			for _, s := range d.Allow {
				src = append(src, "key policy "+s.String())
			}
			out = append(out, adm4Holder{who: w.String(), action: act, answer: d.Answer, sources: src})
		}
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].who < out[j].who })
	return out
}

func shortSet(arns []string) map[string]bool {
	s := map[string]bool{}
	for _, a := range arns {
		s[shortARN(a)] = true
	}
	return s
}
