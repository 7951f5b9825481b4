package checks

import (
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// Who can become a chosen principal (REQUIREMENTS.md, "Who can become a
// principal"): a chosen administrator or user that is a role of the own
// account is only as contained as its trust policy. Whoever the trust
// policy lets assume the role holds every right the role holds on this
// key: another account's identities (judged as other accounts) or anyone
// (judged as public). AWS services and the own account's identity
// providers are expected.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy

// trustReach is what the chosen roles' trust policies give away.
type trustReach struct {
	others []string // identities of other accounts (not Adobe's, not allowed) that may become a chosen role
	anyone []string // anyone (anonymous or any other account) may become a chosen role
	unread []string // chosen roles whose trust policy is not in the evidence: reported
	broken []string // chosen roles whose trust policy is there but cannot be read: who may become them is unknown
}

// trustReach reads the trust policy of every chosen role that holds some
// right on this key, from the IAM evidence, once an evaluation. Without
// that evidence it says nothing: the IAM checks say why it is missing.
func (a *access) trustReach(e *env) trustReach {
	if a.trust == nil {
		r := a.readTrust(e)
		a.trust = &r
	}
	return *a.trust
}

func (a *access) readTrust(e *env) trustReach {
	var r trustReach
	iam := e.s.IAM
	if iam == nil || iam.NotRun != "" || iam.Error != nil {
		return r
	}
	roles := map[string]keystate.IAMRole{}
	for _, role := range iam.Roles {
		roles[shortARN(role.Arn)] = role
	}
	accepted := toSet(append(e.adobe, e.p.AllowedExternalAccounts...))
	seen := map[string]bool{}
	actions := policy.KMSActions()
	for _, arn := range append(append([]string(nil), e.p.KeyAdministrators...), e.p.KeyUsers...) {
		w, err := policy.WhoARN(arn)
		if err != nil || w.Kind != policy.WhoKindRole || !a.isOwn(w) || seen[shortARN(arn)] {
			continue
		}
		seen[shortARN(arn)] = true
		held := a.holding(w, actions, risks)
		if len(held) == 0 {
			continue
		}
		role, ok := roles[shortARN(arn)]
		if !ok || role.Trust == "" {
			r.unread = append(r.unread, arn+" (trust not read: the role or its AssumeRolePolicyDocument is not in the IAM evidence)")
			continue
		}
		doc, err := policy.ParseTrustPolicy([]byte(role.Trust))
		if err != nil {
			r.broken = append(r.broken, arn+": its trust policy cannot be read: "+err.Error())
			continue
		}
		rights := actionList(actionsOf(held))
		for _, as := range a.m.Trust(w, doc) {
			if as.Answer == policy.NotAllowed {
				continue
			}
			line := as.Who.String() + " may become " + arn + " (" + string(as.Answer) + ", " + as.Source() + ") and so holds " + rights
			switch {
			case as.Kind == policy.AssumerAnyone && !as.OrgOnly:
				// Anyone includes every other account's identities.
				r.anyone = append(r.anyone, line)
				r.others = append(r.others, line)
			case as.Kind == policy.AssumerAnyone, // the organisation's accounts
				(as.Kind == policy.AssumerOtherAccount || as.Kind == policy.AssumerProvider) &&
					as.Account != "" && as.Account != a.m.OwnAccount() && !accepted[as.Account]:
				r.others = append(r.others, line)
			}
		}
	}
	return r
}

// unknown is the ERROR outcome when a chosen role's trust policy is in the
// evidence but cannot be read: anyone might become the role.
func (r trustReach) unknown() (outcome, bool) {
	if len(r.broken) == 0 {
		return outcome{}, false
	}
	return errored("who may become a chosen role cannot be told: " + bounded(r.broken, maxItems)), true
}

func actionsOf(ds []policy.Decision) []string {
	out := make([]string, len(ds))
	for i, d := range ds {
		out[i] = d.Action
	}
	return out
}
