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
	"slices"
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
	if s.Boundary && !strings.HasPrefix(s.Policy, "permissions boundary") {
		out = "permissions boundary " + out
	}
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
	// BoundaryLimited: key-policy statements or grants that allow the
	// role's ARN, whose right the permissions boundary's implicit deny
	// removes.
	BoundaryLimited []Source
	// Unresolved: what, beyond the sources' conditions, leaves the answer
	// open (a boundary where AWS does not say whether it limits).
	Unresolved []string
	grants     bool
	// What Why needs beyond the rest: the boundary's name, and how the
	// Deny and the boundary came out.
	boundary  string
	deny, bnd leaf
}

// Risks is the risk-side reading: ALLOWED and CONDITIONAL both hold the
// right; a Deny removes it only where it applies to every request.
func (d EffectiveDecision) Risks() bool { return d.Answer != NotAllowed }

// Grants is the grant-side reading: ALLOWED, or CONDITIONAL where the
// identity can make a request that some Allow admits and no Deny refuses
// (every open condition a request property).
func (d EffectiveDecision) Grants() bool {
	return d.Answer == Allowed || (d.Answer == Conditional && d.grants)
}

// Sources lists what gives the identity the right, for a report: the key
// policy's allowing statements and grants (not those the boundary
// removed), and through the root delegation the identity policy
// statements and the boundary's (the root statement itself is in
// Key.Delegation; for the root user, which needs no identity policy, it is
// listed). Nothing when the right is not held.
func (d EffectiveDecision) Sources() []string {
	if d.Answer == NotAllowed {
		return nil // DeniedBy and Why say why
	}
	var out []string
	limited := map[string]bool{}
	for _, s := range d.BoundaryLimited {
		limited[s.String()] = true
	}
	for _, s := range d.Key.Allow {
		if !limited[s.String()] {
			out = append(out, s.KeyPolicyName())
		}
	}
	if d.ViaIAM {
		for _, s := range d.IAMAllow {
			out = append(out, s.String())
		}
		for _, s := range d.BoundaryAllow {
			out = append(out, s.String())
		}
		if len(d.IAMAllow) == 0 {
			// The root user: the root statement is its only source. For
			// other identities it is in Key.Delegation and Why.
			for _, s := range d.Key.Delegation {
				out = append(out, "root delegation in "+s.KeyPolicyName())
			}
		}
	}
	return out
}

// DeniedBy lists the Deny statements that apply or may apply: the key
// policy's, the identity policies', the boundary's.
func (d EffectiveDecision) DeniedBy() []string {
	var out []string
	for _, s := range d.Key.Deny {
		out = append(out, s.KeyPolicyName())
	}
	for _, s := range append(append([]IAMSource(nil), d.IAMDeny...), d.BoundaryDeny...) {
		out = append(out, s.String())
	}
	return out
}

// KeyPolicyName names the source among others of an IAM decision: "key
// policy statement 2 (Sid "x")" for a statement, "grant g-1" for a grant.
func (s Source) KeyPolicyName() string { return s.name("key policy ") }

// idStmt is a statement of an identity policy read once for the model's
// key: its action patterns lower-cased, its Resource matched, its
// conditions' operators parsed.
type idStmt struct {
	st        *Statement
	actions   []actionPattern
	notAction bool
	res       tri
	resU      string
	conds     []block
}

// identityCode compiles an identity policy for this key on first use: an
// account's policies are shared by many identities, each asked about many
// actions.
func (m *Model) identityCode(doc *Document) []idStmt {
	m.mu.Lock()
	code, ok := m.idCode[doc]
	m.mu.Unlock()
	if ok {
		return code
	}
	code = make([]idStmt, len(doc.Statements))
	for i := range doc.Statements {
		st := &doc.Statements[i]
		c := idStmt{st: st, conds: compileConditions(st.Conditions)}
		pats := st.Actions
		if st.NotActions != nil {
			pats, c.notAction = st.NotActions, true
		}
		c.actions = actionPatterns(pats)
		c.res, c.resU = m.matchIdentityResource(st)
		code[i] = c
	}
	m.mu.Lock()
	if m.idCode == nil {
		m.idCode = map[*Document][]idStmt{}
	}
	m.idCode[doc] = code
	m.mu.Unlock()
	return code
}

// evalIdentityDoc evaluates one identity policy document for who and action
// (lower-cased) on the model's key; it appends the statements that apply
// (or may) to allow and deny and returns the strongest Allow and Deny found.
func (m *Model) evalIdentityDoc(p *IdentityPolicy, boundary bool, get *lazyResolver, act string, allow, deny *[]IAMSource) (allowT, denyT tri) {
	if p == nil || p.Doc == nil {
		return no, no
	}
	code := m.identityCode(p.Doc)
	for i := range code {
		c := &code[i]
		st := c.st
		if c.res == no || !matchesAny(c.actions, act, c.notAction) {
			continue
		}
		app := c.res
		var unres []string
		unres = appendU(unres, c.resU)
		for j := range c.conds {
			r, u := evalCondition(&c.conds[j], get.resolver())
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
// action on the key, as AWS decides a request within one account from the
// key policy, the key's grants and the identity's IAM policies (spec,
// "The IAM side"):
//
//   - an explicit Deny in the key policy, an identity policy (inline,
//     managed, a group's) or the permissions boundary wins over every
//     Allow; a key-policy Deny with NotPrincipal always denies an identity
//     that has a boundary, whatever NotPrincipal lists;
//   - a right the key policy or a grant gives directly: to a user's ARN or
//     a role session's ARN it is not limited by a boundary, to a role's
//     ARN it is (the boundary's implicit deny removes it);
//   - a right through the root delegation needs an identity-policy Allow
//     matching this key's ARN, within the boundary. An alias ARN never
//     matches: AWS, "You cannot use an alias name or alias ARN to identify
//     a KMS key in the Resource element of an IAM policy"
//     (https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html);
//     the spec's "or an alias ARN naming it" is not followed here.
//
// id.Who may be a role session: its policies and boundary are then its
// role's. Service control, resource control, session and VPC endpoint
// policies are not evaluated (see the file comment).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
func (m *Model) DecideEffective(id Identity, action string) EffectiveDecision {
	kd := m.decide(id.Who, action, id.Boundary != nil)
	var d EffectiveDecision
	act := lowerAction(action)
	get := &lazyResolver{m: m, w: id.Who, act: act}
	for i := range id.Policies {
		m.evalIdentityDoc(&id.Policies[i], false, get, act, &d.IAMAllow, &d.IAMDeny)
	}
	bnd := leaf{yes, true}
	if id.Boundary != nil {
		m.evalIdentityDoc(id.Boundary, true, get, act, &d.BoundaryAllow, &d.BoundaryDeny)
		bnd = iamLeaf(d.BoundaryAllow, false)
		d.boundary = id.Boundary.Name
	}

	// Direct rights: each allowing statement or grant, limited by the
	// boundary according to what it names. The sources are the model's
	// decision's: copied before Through is set on them.
	direct := leaf{no, false}
	kd.Allow = slices.Clone(kd.Allow)
	for i := range kd.Allow {
		kd.Allow[i].Through = m.sourceThrough(kd.Allow[i], id.Who)
		s := kd.Allow[i]
		l := sourceLeaf(s, false)
		switch boundaryLimits(s.Through) {
		case yes:
			if and(l.t, bnd.t) < l.t {
				d.BoundaryLimited = append(d.BoundaryLimited, s)
			}
			l = leaf{and(l.t, bnd.t), l.g && bnd.g}
		case maybe:
			// AWS documents users' and sessions' ARNs (not limited) and
			// roles' ARNs (limited), not *, accounts or grants: open.
			if bnd.t != yes {
				l = leaf{and(l.t, maybe), l.g && bnd.g}
				d.Unresolved = appendU(d.Unresolved, "permissions boundary of a right given by "+s.Through)
			}
		}
		direct = orL(direct, l)
	}
	if kd.CrossAccountBlocked {
		direct = leaf{no, false}
	}
	d.Key = kd
	deleg := leaf{no, false}
	for _, s := range kd.Delegation {
		deleg = orL(deleg, sourceLeaf(s, false))
	}
	iamAllow := iamLeaf(d.IAMAllow, false)
	if id.Who.Kind == WhoKindRoot {
		// The root user needs no identity policy: the root statement
		// reaches it directly, and no IAM policy can restrict it.
		// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
		iamAllow = leaf{yes, true}
	}
	viaIAM := andL(andL(deleg, iamAllow), bnd)
	deny := leaf{no, false}
	for _, s := range kd.Deny {
		deny = orL(deny, sourceLeaf(s, true))
	}
	deny = orL(orL(deny, iamLeaf(d.IAMDeny, true)), iamLeaf(d.BoundaryDeny, true))

	allowT := or(direct.t, viaIAM.t)
	total := and(allowT, not(deny.t))
	switch total {
	case yes:
		d.Answer = Allowed
	case maybe:
		d.Answer = Conditional
		d.grants = (direct.g || viaIAM.g) && !deny.g
	default:
		d.Answer = NotAllowed
	}
	d.ViaIAM = viaIAM.t != no && total != no
	d.deny, d.bnd = deny, bnd
	return d
}

// leaf is one part of an effective decision: t its three-valued truth, g
// its grant-side reading (for an Allow: it holds for some request the
// caller can choose; for a Deny: it may apply to every request of this
// principal).
type leaf struct {
	t tri
	g bool
}

func orL(a, b leaf) leaf  { return leaf{or(a.t, b.t), a.g || b.g} }
func andL(a, b leaf) leaf { return leaf{and(a.t, b.t), a.g && b.g} }

// condLeaf reads one source. An Allow counts on the grant side when it
// applies, or applies only to requests with some request property; a Deny
// when it applies, or may apply for a reason that is not a request
// property (spec, "Which answer counts").
func condLeaf(conditional bool, unresolved []string, isDeny bool) leaf {
	if !conditional {
		return leaf{yes, true}
	}
	how := len(unresolved) > 0
	for _, u := range unresolved {
		how = how && isHowKey(u)
	}
	if isDeny {
		return leaf{maybe, !how}
	}
	return leaf{maybe, how}
}

func sourceLeaf(s Source, isDeny bool) leaf { return condLeaf(s.Conditional, s.Unresolved, isDeny) }

func iamLeaf(srcs []IAMSource, isDeny bool) leaf {
	l := leaf{no, false}
	for _, s := range srcs {
		l = orL(l, condLeaf(s.Conditional, s.Unresolved, isDeny))
	}
	return l
}

// boundaryLimits: does a permissions boundary's implicit deny limit a right
// given through this kind of principal entry? yes for a role's ARN, no for
// a user's or a session's own ARN, maybe where AWS is silent.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html
func boundaryLimits(through string) tri {
	switch through {
	case ThroughIdentity, ThroughGrantUser:
		return no
	case ThroughRole:
		return yes
	}
	return maybe
}

// Why is the decision's sentence, for a report, written when asked.
func (d EffectiveDecision) Why() string {
	who, action, deny, bnd := d.Key.Who, d.Key.Action, d.deny, d.bnd
	names := func(srcs []IAMSource) string {
		s := make([]string, len(srcs))
		for i, x := range srcs {
			s[i] = x.String()
		}
		return strings.Join(s, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", who, action, d.Answer)
	if d.Answer != NotAllowed {
		fmt.Fprintf(&b, "; through %s", strings.Join(d.Sources(), ", "))
		if len(d.Unresolved) > 0 {
			fmt.Fprintf(&b, "; open: %s", strings.Join(d.Unresolved, ", "))
		}
		if deny.t != no {
			fmt.Fprintf(&b, "; may be denied by %s", strings.Join(d.DeniedBy(), ", "))
		}
	} else if deny.t == yes {
		fmt.Fprintf(&b, "; denied by %s", strings.Join(d.DeniedBy(), ", "))
	} else {
		var why []string
		if len(d.BoundaryLimited) > 0 {
			why = append(why, fmt.Sprintf("the key policy allows the role's ARN (%s) but %s does not allow the action", sourceNames(d.BoundaryLimited), d.boundary))
		}
		switch {
		case len(d.Key.Delegation) > 0 && len(d.IAMAllow) > 0 && bnd.t == no:
			why = append(why, fmt.Sprintf("%s allows it through the root delegation but %s does not", names(d.IAMAllow), d.boundary))
		case len(d.Key.Delegation) > 0 && len(d.IAMAllow) == 0:
			why = append(why, "the key policy delegates to IAM and no IAM policy of the identity allows it on this key")
		}
		if len(why) == 0 {
			why = append(why, strings.TrimPrefix(d.Key.Why(), fmt.Sprintf("%s %s: %s; ", who, action, d.Key.Answer)))
		}
		b.WriteString("; " + strings.Join(why, "; "))
	}
	b.WriteString("; service control, resource control and session policies not evaluated")
	return b.String()
}

func sourceNames(srcs []Source) string {
	s := make([]string, len(srcs))
	for i, x := range srcs {
		s[i] = x.String()
	}
	return strings.Join(s, ", ")
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
	act := lowerAction(action)
	get := &lazyResolver{m: m, w: id.Who, act: act}
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
