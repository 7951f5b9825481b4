package policy

import (
	"fmt"
	"strings"
)

// The readings the checks share, kept here so that no check interprets
// policy text, principals or grants itself.

// orgKeys admit every account of an organisation, whoever holds them.
var orgKeys = map[string]bool{"aws:principalorgid": true, "aws:principalorgpaths": true}

// OrgOnly reports whether a CONDITIONAL answer is open only on the
// organisation keys (aws:PrincipalOrgID, aws:PrincipalOrgPaths): every
// source that allows it applies only to some requests, and each only for
// want of the organisation's membership. Such an answer admits the
// organisation's accounts, not everyone: it is not public (CMK-USR-3), but
// the organisation's accounts other than the allowed ones hold the right
// (CMK-USR-2).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
func (d Decision) OrgOnly() bool {
	if d.Answer != Conditional || len(d.Allow) == 0 {
		return false
	}
	for _, s := range d.Allow {
		if !s.Conditional || len(s.Unresolved) == 0 {
			return false
		}
		for _, u := range s.Unresolved {
			if !orgKeys[strings.ToLower(u)] {
				return false
			}
		}
	}
	return true
}

// Delegated is the grant-side reading of the own account's root statement:
// only the delegation reaches this own-account identity (IAMDecides), and no
// Deny may stop it except one open only on keys that narrow how it calls.
// The account's IAM policies can then give it the action.
func (d Decision) Delegated() bool { return d.IAMDecides && allHow(d.Deny) }

// Public returns the decisions that make the key public (CMK-USR-3):
// anonymous callers or an identity of an account named nowhere hold some KMS
// action by the risk-side rule (ALLOWED or CONDITIONAL), unless the answer
// is open only on the organisation keys. It is the one definition of
// "public": the check and the differential test against policyuniverse both
// use it.
func (m *Model) Public() []Decision {
	var out []Decision
	for _, who := range []Who{WhoAnonymous(), WhoAnyOtherAccount()} {
		for _, a := range KMSActions() {
			if d := m.Decide(who, a); d.Risks() && !d.OrgOnly() {
				out = append(out, d)
			}
		}
	}
	return out
}

// GrantWho reads a grant's GranteePrincipal or RetiringPrincipal: an account
// (its ID or root ARN: some identity of it), an IAM user or role, an
// assumed-role or federated-user session, or a service principal name.
// Anything else cannot be attributed to an account: an error.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html#KMS-CreateGrant-request-GranteePrincipal
func GrantWho(s string) (Who, error) {
	p := grantPrincipal(s)
	switch p.Kind {
	case KindAccount:
		w := WhoAccountIdentity(p.Account)
		w.Partition = p.Partition
		return w, nil
	case KindUser, KindRole, KindAssumedRole, KindFederatedUser:
		return WhoARN(s)
	case KindService:
		return WhoService(s), nil
	}
	return Who{}, fmt.Errorf("%q is neither an account, an IAM or STS principal ARN, nor a service principal", s)
}

// IsAWSService reports whether w is a service principal of AWS: its name
// ends in amazonaws.com (amazonaws.com.cn in the China partition).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services
func (w Who) IsAWSService() bool {
	return w.Kind == WhoKindService && (strings.HasSuffix(w.Name, ".amazonaws.com") || strings.HasSuffix(w.Name, ".amazonaws.com.cn"))
}

// ActsFor reports whether w is p, or a session of the role p (a role
// principal names its sessions; session ARNs carry no path, and role names
// are unique in an account).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-roles
func (w Who) ActsFor(p Who) bool {
	if w.String() == p.String() {
		return true
	}
	return w.Kind == WhoKindSession && p.Kind == WhoKindRole && w.Account == p.Account &&
		w.Partition == p.Partition && w.Name == p.roleName()
}

// IsIAMIdentity reports whether w is an IAM user or role: the principals the
// console's administrator and user steps choose.
func (w Who) IsIAMIdentity() bool { return w.Kind == WhoKindUser || w.Kind == WhoKindRole }

// Uses returns the decisions by which who holds a use action (UseActions)
// on the key by the risk-side rule, from the key policy and grants: empty
// when who is not a user of the key. An own-account identity reached only
// through the root delegation holds nothing here (IAMDecides): ask
// UsesEffective with its IAM policies.
func (m *Model) Uses(who Who) []Decision {
	var out []Decision
	for _, a := range UseActions {
		if d := m.Decide(who, a); d.Risks() {
			out = append(out, d)
		}
	}
	return out
}

// UsesEffective returns the effective decisions by which the own-account
// identity id holds a use action by the risk-side rule, key policy, grants
// and IAM combined: empty when it is not a user of the key.
func (m *Model) UsesEffective(id Identity) []EffectiveDecision {
	var out []EffectiveDecision
	for _, a := range UseActions {
		if d := m.DecideEffective(id, a); d.Risks() {
			out = append(out, d)
		}
	}
	return out
}
