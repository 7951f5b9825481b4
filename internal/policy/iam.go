package policy

// IAM identity-based policies and how KMS combines them with the key
// policy. The rules follow the IAM policy evaluation logic:
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
// and KMS's key policy delegation:
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
//
// What is evaluated: the key policy (Model.Decide), the identity's own
// inline and attached managed policies (for a user also those of its
// groups), and its permissions boundary. What is not: service control
// policies and resource control policies of AWS Organizations (they cannot
// be read from the account), session policies (chosen by whoever assumes a
// role, per session) and VPC endpoint policies. Each of those can only take
// rights away, so what is reported here is an upper bound, never less than
// what an identity can do.

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// MaxIdentityPolicySize bounds one IAM policy document. IAM's own limits
// are lower (6,144 characters for a managed policy, 10,240 for a role's
// inline policies together); this only keeps bad input from costing much.
const MaxIdentityPolicySize = 131072

// ParseIdentityPolicy parses an IAM identity-based policy (or permissions
// boundary) document. Unlike a key policy its statements name no
// Principal, and each needs Action or NotAction and Resource or
// NotResource. Errors name the field (Statement[i].Field).
func ParseIdentityPolicy(doc []byte) (*Document, error) {
	return parseDocument(doc, "IAM policy", MaxIdentityPolicySize, parseIdentityStatement)
}

// parseIdentityStatement reads a statement of an identity-based policy:
// no principal, and Resource or NotResource required.
func parseIdentityStatement(i int, v any) (Statement, error) { return parseStatementAs(i, v, true) }

// IdentityPolicy is one policy attached to an identity, directly or through
// a group.
type IdentityPolicy struct {
	// Name is how a report names it: "inline policy P of role R",
	// "managed policy arn:...", "inline policy P of group G".
	Name string
	Doc  *Document
}

// Identity is an IAM user or role of the key's account with every policy
// that applies to it: for a user its own and its groups' inline and
// attached managed policies, for a role its own. Boundary is its
// permissions boundary (nil: none).
type Identity struct {
	Who      Who
	Policies []IdentityPolicy
	Boundary *IdentityPolicy
}

// IAMSource is one statement of an identity policy that took part in a
// decision.
type IAMSource struct {
	Policy      string // IdentityPolicy.Name
	Statement   int
	Sid         string
	Effect      string
	Boundary    bool // the statement is in the permissions boundary
	Conditional bool
	Unresolved  []string
}

// String names the statement for a report.
func (s IAMSource) String() string {
	st := fmt.Sprintf("statement %d", s.Statement)
	if s.Sid != "" {
		st = fmt.Sprintf("statement %d (Sid %q)", s.Statement, s.Sid)
	}
	out := s.Policy + " " + st
	if s.Conditional {
		out += " (depends on " + strings.Join(s.Unresolved, ", ") + ")"
	}
	return out
}

// EffectiveDecision is the answer for an own-account identity and an
// action once the key policy and the identity's IAM policies are combined.
type EffectiveDecision struct {
	Answer Answer
	// Key is the key policy's own decision (Delegation says whether the root
	// delegation reaches the identity).
	Key Decision
	// IAMAllow, IAMDeny: identity policy statements (boundary excluded)
	// that allow or deny the action on this key, some perhaps only
	// conditionally. BoundaryAllow, BoundaryDeny: the boundary's.
	IAMAllow, IAMDeny           []IAMSource
	BoundaryAllow, BoundaryDeny []IAMSource
	// ViaIAM: the identity holds the action through the root delegation
	// and its IAM policies (not only through the key policy naming it).
	ViaIAM bool
	Why    string
}

// Risks is the risk-side reading: ALLOWED and CONDITIONAL both hold the right.
func (d EffectiveDecision) Risks() bool { return d.Answer != NotAllowed }

// Sources lists what gives the identity the right, for a report: the key
// policy's allowing statements and grants, and (through the delegation)
// the identity policy statements.
func (d EffectiveDecision) Sources() []string {
	var out []string
	for _, s := range d.Key.Allow {
		out = append(out, "key policy "+s.String())
	}
	if d.ViaIAM {
		for _, s := range d.IAMAllow {
			out = append(out, s.String())
		}
	}
	return out
}

// evalIdentityDoc evaluates one identity policy document for who and action
// on the model's key; it appends the statements that apply (or may) to
// allow and deny and returns the strongest Allow and Deny found.
func (m *Model) evalIdentityDoc(p *IdentityPolicy, boundary bool, get resolver, act []rune, allow, deny *[]IAMSource) (allowT, denyT tri) {
	if p == nil || p.Doc == nil {
		return no, no
	}
	for i := range p.Doc.Statements {
		st := &p.Doc.Statements[i]
		if !statementMatchesAction(st, act) {
			continue
		}
		app, u := m.matchIdentityResource(st)
		var unres []string
		unres = appendU(unres, u)
		if app == no {
			continue
		}
		for _, c := range st.Conditions {
			r, u := evalCondition(c, get)
			app = and(app, r)
			if app == no {
				break
			}
			if r == maybe {
				unres = appendU(unres, u)
			}
		}
		if app == no {
			continue
		}
		src := IAMSource{Policy: p.Name, Statement: st.Index, Sid: st.Sid, Effect: st.Effect, Boundary: boundary, Conditional: app == maybe}
		if app == maybe {
			src.Unresolved = unres
		}
		if st.Effect == "Deny" {
			*deny = append(*deny, src)
			denyT = or(denyT, app)
		} else {
			*allow = append(*allow, src)
			allowT = or(allowT, app)
		}
	}
	return allowT, denyT
}

// statementMatchesAction: Action / NotAction, case-insensitive globs;
// act is lower-cased.
func statementMatchesAction(st *Statement, act []rune) bool {
	pats, not := st.Actions, false
	if st.NotActions != nil {
		pats, not = st.NotActions, true
	}
	matched := false
	for _, p := range pats {
		if glob([]rune(strings.ToLower(p)), act) {
			matched = true
			break
		}
	}
	return matched != not
}

// matchIdentityResource matches Resource / NotResource against the key's
// ARN. "*" matches; an ARN pattern matches field by field, each field a
// case-sensitive glob (arn:aws:kms:*:*:key/* matches every key; an alias
// ARN never matches a key's ARN, the resource of every key action).
// A pattern holding a policy variable, or one that is not a six-field ARN
// but whose wildcards could reach the key, cannot be settled: maybe.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_resource.html
func (m *Model) matchIdentityResource(st *Statement) (tri, string) {
	pats, neg := st.Resources, false
	if st.NotResources != nil {
		pats, neg = st.NotResources, true
	}
	r, unres := no, ""
	for _, p := range pats {
		_, arnShaped := awsid.ARNFields(p)
		switch {
		case p == "*" || (m.keyARN != "*" && matchARN(p, m.keyARN)):
			r = yes
		case m.keyARN == "*":
			// An action without a resource: only "*" reaches it.
		case strings.Contains(p, "${"):
			r, unres = or(r, maybe), "Resource "+p
		case !arnShaped && globCase(p, m.keyARN):
			r, unres = or(r, maybe), "Resource "+p
		}
	}
	if neg {
		r = not(r)
	}
	if r != maybe {
		unres = ""
	}
	return r, unres
}

// DecideEffective answers whether the own-account identity id may perform
// action on the key, as KMS decides with the key policy and IAM:
//
//   - an explicit Deny in the key policy, an identity policy or the
//     permissions boundary wins over every Allow;
//   - the key policy alone allows it when a statement names the identity
//     (or everyone); for a role such an Allow is still limited by the
//     role's permissions boundary, for a user it is not (IAM evaluation
//     logic, "Policy evaluation for requests within a single account");
//   - otherwise, when the key policy's root statement delegates to IAM,
//     the identity's policies must allow the action on this key's ARN and
//     its permissions boundary (if any) must allow it too.
//
// Service control, resource control, session and VPC endpoint policies are
// not evaluated (see the file comment).
func (m *Model) DecideEffective(id Identity, action string) EffectiveDecision {
	kd := m.Decide(id.Who, action)
	d := EffectiveDecision{Key: kd}
	get := m.resolver(id.Who, action)
	act := []rune(strings.ToLower(action))

	iamAllow, iamDeny := no, no
	for i := range id.Policies {
		a, dn := m.evalIdentityDoc(&id.Policies[i], false, get, act, &d.IAMAllow, &d.IAMDeny)
		iamAllow, iamDeny = or(iamAllow, a), or(iamDeny, dn)
	}
	bnd := yes
	bndDeny := no
	if id.Boundary != nil {
		bnd, bndDeny = m.evalIdentityDoc(id.Boundary, true, get, act, &d.BoundaryAllow, &d.BoundaryDeny)
	}

	keyDeny := no
	for _, s := range kd.Deny {
		if s.Conditional {
			keyDeny = or(keyDeny, maybe)
		} else {
			keyDeny = yes
		}
	}
	keyAllow := no
	switch {
	case kd.CrossAccountBlocked:
	case kd.Answer == Allowed:
		keyAllow = yes
	case kd.Answer == Conditional:
		keyAllow = maybe
	}
	delegation := no
	for _, s := range kd.Delegation {
		if s.Conditional {
			delegation = or(delegation, maybe)
		} else {
			delegation = yes
		}
	}
	// kd.Answer already folds in the key policy's Denies; the IAM path
	// must still pass them.
	direct := keyAllow
	if id.Who.Kind != WhoKindUser {
		direct = and(direct, bnd)
	}
	viaIAM := and(and(and(delegation, iamAllow), bnd), not(keyDeny))
	total := and(and(or(direct, viaIAM), not(iamDeny)), not(bndDeny))
	switch total {
	case yes:
		d.Answer = Allowed
	case maybe:
		d.Answer = Conditional
	default:
		d.Answer = NotAllowed
	}
	d.ViaIAM = viaIAM != no && total != no
	d.Why = m.whyEffective(id, action, &d, iamDeny, bndDeny, bnd)
	return d
}

func (m *Model) whyEffective(id Identity, action string, d *EffectiveDecision, iamDeny, bndDeny, bnd tri) string {
	names := func(srcs []IAMSource) string {
		s := make([]string, len(srcs))
		for i, x := range srcs {
			s[i] = x.String()
		}
		return strings.Join(s, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", id.Who, action, d.Answer)
	switch {
	case iamDeny == yes:
		fmt.Fprintf(&b, "; denied by %s", names(d.IAMDeny))
	case bndDeny == yes:
		fmt.Fprintf(&b, "; denied by permissions boundary %s", names(d.BoundaryDeny))
	case d.Answer == NotAllowed && len(d.Key.Delegation) > 0 && len(d.IAMAllow) > 0 && bnd == no:
		fmt.Fprintf(&b, "; %s allows it but the permissions boundary %s does not", names(d.IAMAllow), id.Boundary.Name)
	case d.Answer == NotAllowed && len(d.Key.Delegation) > 0 && len(d.IAMAllow) == 0 && len(d.Key.Allow) == 0:
		b.WriteString("; the key policy delegates to IAM and no IAM policy of the identity allows it on this key")
	case d.Answer == NotAllowed:
		b.WriteString("; " + strings.TrimPrefix(d.Key.Why, fmt.Sprintf("%s %s: %s; ", id.Who, action, d.Key.Answer)))
	default:
		var via []string
		if len(d.Key.Allow) > 0 {
			via = append(via, "the key policy")
		}
		if d.ViaIAM {
			via = append(via, "the root delegation and "+names(d.IAMAllow))
		}
		fmt.Fprintf(&b, "; through %s", strings.Join(via, " and "))
		if len(d.IAMDeny)+len(d.BoundaryDeny) > 0 {
			fmt.Fprintf(&b, "; may be denied by %s", names(append(append([]IAMSource(nil), d.IAMDeny...), d.BoundaryDeny...)))
		}
	}
	b.WriteString("; service control, resource control and session policies not evaluated")
	return b.String()
}

// SortIdentities orders identities by ARN, for stable reports.
func SortIdentities(ids []Identity) {
	sort.Slice(ids, func(i, j int) bool { return ids[i].Who.ARN < ids[j].Who.ARN })
}

// DecideIdentity answers from the identity's IAM policies alone (no key
// policy) whether it may perform action on resource: an ARN, or "*" for an
// action that takes no resource (kms:CreateKey), which only a Resource of
// "*" reaches. It is what IAM's policy simulator answers for an identity:
// the identity policies allow it, the permissions boundary (if any) allows
// it too, and no Deny in either applies. The allowing statements come
// back as sources.
func DecideIdentity(id Identity, action, resource string) (Answer, []IAMSource) {
	m := &Model{keyARN: resource, orgOf: map[string]string{}, roles: map[string]string{}}
	get := m.resolver(id.Who, action)
	act := []rune(strings.ToLower(action))
	var allow, deny, ballow, bdeny []IAMSource
	a, dn := no, no
	for i := range id.Policies {
		x, y := m.evalIdentityDoc(&id.Policies[i], false, get, act, &allow, &deny)
		a, dn = or(a, x), or(dn, y)
	}
	bnd, bdn := yes, no
	if id.Boundary != nil {
		bnd, bdn = m.evalIdentityDoc(id.Boundary, true, get, act, &ballow, &bdeny)
	}
	switch and(and(and(a, bnd), not(dn)), not(bdn)) {
	case yes:
		return Allowed, allow
	case maybe:
		return Conditional, allow
	}
	return NotAllowed, allow
}
