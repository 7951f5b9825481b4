package policy

import (
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// Answer is the access model's answer to "may this principal perform this
// action on this key?".
type Answer string

// Answers.
const (
	Allowed     Answer = "ALLOWED"
	NotAllowed  Answer = "NOT ALLOWED"
	Conditional Answer = "CONDITIONAL" // some requests may be allowed, depending on request properties
)

// Source is a statement or grant that took part in a decision. Statements
// are identified by index (Sids repeat), grants by grant ID.
type Source struct {
	Statement   int    // index in the policy; -1 for a grant
	Sid         string // as written, for the reader only
	GrantID     string // for a grant
	Effect      string // "Allow" or "Deny"
	Conditional bool   // applies only to some requests
	Unresolved  []string
	// Through names the principal entry that reached the identity asked
	// about (an Allow only): one of the Through* values. A permissions
	// boundary limits a right according to it; DecideEffective sets it
	// (Decide leaves it empty: it costs a second principal match).
	Through string
}

// What an allowing statement or grant named to reach the principal: the
// IAM evaluation logic limits a resource-based grant by a permissions
// boundary according to whether it names the user or session, or the role.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic.html
const (
	ThroughIdentity  = "identity ARN" // the user, the session or the federated user itself
	ThroughRole      = "role ARN"     // the role, for its sessions
	ThroughBroad     = "broad"        // *, an account, NotPrincipal or a principal this model cannot read
	ThroughGrantUser = "grant to the identity"
	ThroughGrantRole = "grant to the role"
	ThroughGrantWide = "grant to an account"
)

// String names the source for a report: "grant <id>", "statement <i>" or
// "statement <i> (Sid "<sid>")".
func (s Source) String() string { return s.name("") }

// name is the source's name after prefix, built in one allocation: the
// checks name sources in most of what they say.
func (s Source) name(prefix string) string {
	if s.Statement < 0 {
		return "grant " + s.GrantID
	}
	var b strings.Builder
	b.Grow(len(prefix) + len(`statement  (Sid "")`) + 20 + len(s.Sid))
	b.WriteString(prefix)
	b.WriteString("statement ")
	var n [20]byte
	b.Write(strconv.AppendInt(n[:0], int64(s.Statement), 10))
	if s.Sid != "" {
		b.WriteString(" (Sid ")
		if plainQuote(s.Sid) {
			b.WriteByte('"')
			b.WriteString(s.Sid)
			b.WriteByte('"')
		} else {
			var q [64]byte
			b.Write(strconv.AppendQuote(q[:0], s.Sid))
		}
		b.WriteByte(')')
	}
	return b.String()
}

// plainQuote: strconv.Quote(sid) is sid between quotes, with nothing to
// escape (printable ASCII but " and \), as most Sids are; quoting rune by
// rune was a twentieth of judging a key.
func plainQuote(sid string) bool {
	for i := 0; i < len(sid); i++ {
		if c := sid[i]; c < ' ' || c > '~' || c == '"' || c == '\\' {
			return false
		}
	}
	return true
}

// Decision is the answer for one principal and action, with its reasons.
type Decision struct {
	Who    Who
	Action string
	Answer Answer
	// Allow: the statements and grants that allow it (some perhaps only
	// conditionally); Deny: the Deny statements that apply or may apply.
	Allow, Deny []Source
	// Delegation: own-account root statements that reach this own-account
	// identity; they leave the answer to the account's IAM policies.
	Delegation []Source
	// Unresolved names what leaves a CONDITIONAL answer open: condition
	// keys, or an operator, variable or principal this package cannot read.
	Unresolved []string
	// IAMDecides: the own-account identity is reached only through the root
	// delegation (no other statement or grant allows it, no Deny settles
	// it), so the account's IAM policies decide. Answer is then what the key
	// policy gives without the delegation: NOT ALLOWED.
	IAMDecides bool
	// CrossAccountBlocked: statements or grants allow it, but the API
	// reference says the operation cannot be used across accounts.
	CrossAccountBlocked bool
	// UnknownAction: the action is not in the action table.
	UnknownAction bool
	howOnly       bool
}

// Risks is the risk-side reading: ALLOWED and CONDITIONAL both hold the
// right; a Deny takes it away only where it applies to every request.
func (d Decision) Risks() bool { return d.Answer != NotAllowed }

// HowOnly reports whether a CONDITIONAL answer is open only on request
// properties, which the caller chooses (spec, "Which answer counts"): some
// Allow needs only such keys, and every Deny that may apply applies only
// to requests with some such property.
func (d Decision) HowOnly() bool { return d.Answer == Conditional && d.howOnly }

// Grants is the grant-side reading: ALLOWED, or CONDITIONAL only on request
// properties (the principal can make a request the Allow admits and no
// Deny refuses). A Deny that applies only to some requests (kms:PutKeyPolicy
// denied when kms:BypassPolicyLockoutSafetyCheck is true) does not take a
// grant-side right away.
func (d Decision) Grants() bool { return d.Answer == Allowed || d.HowOnly() }

// principalKeys are the condition keys that say who calls (spec, "Which
// answer counts"); every other key is a property of the request.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
var principalKeys = map[string]bool{
	"aws:principalaccount": true, "kms:calleraccount": true, "aws:principalarn": true,
	"aws:principaltype": true, "aws:principalisawsservice": true, "aws:principalservicename": true,
	"aws:principalservicenameslist": true, "aws:principalorgid": true, "aws:principalorgpaths": true,
	"aws:userid": true, "aws:username": true, "aws:federatedprovider": true, "aws:sourceidentity": true,
	"aws:sourceaccount": true, "aws:sourcearn": true, "aws:sourceorgid": true, "aws:sourceorgpaths": true,
}

// originKeys say where a request comes from. The spec lists aws:SourceIp
// and aws:SourceVpce among the request properties, but a principal cannot
// always choose its network (the platform calls from Adobe's): the first
// review's case 067 (a Deny unless from the customer's addresses breaks
// the platform) is kept, so the grant side does not count a right open
// only on them. Fail closed; the spec should say so.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
var originKeys = map[string]bool{
	"aws:sourceip": true, "aws:sourcevpc": true, "aws:sourcevpce": true, "aws:vpcsourceip": true,
}

// isHowKey: an unresolved name that is a request property the caller can
// choose. Names that are not a bare condition key (an operator, a
// Resource, a principal, a role session name, a key read as "any
// organisation") never are.
func isHowKey(u string) bool {
	k := strings.ToLower(u)
	if !strings.Contains(k, ":") || strings.ContainsAny(k, " ${}") {
		return false
	}
	return !principalKeys[k] && !originKeys[k] && !strings.HasPrefix(k, "aws:principaltag/")
}

// Option configures a Model.
type Option func(*Model)

// WithOrganizations gives the AWS Organizations the accounts belong to
// (organisation ID → account IDs), so aws:PrincipalOrgID can be resolved.
// Without it the key is unknown for every account.
func WithOrganizations(orgs map[string][]string) Option {
	return func(m *Model) {
		m.orgKnown = true
		for org, accts := range orgs {
			for _, a := range accts {
				m.orgOf[a] = org
			}
		}
	}
}

// Model answers access questions for one key from its policy and grants.
// It reads the statements and grants once, when it is built, and answers
// each question once: asked again, it gives the same decision back. It is
// safe for concurrent use.
type Model struct {
	doc                           *Document
	keyARN, keyID, partition, own string
	grants                        []Grant
	grantModels                   []grantModel     // grants[i], read
	grantsFor                     map[string][]int // lower-cased operation (no "kms:") -> grants giving it, in order
	retirable                     []int            // grants with a retiring principal, in order
	orgKnown                      bool
	orgOf                         map[string]string
	stmts                         []stmtModel
	roles                         map[string]string // partition/account/role name -> role ARN; "" when ambiguous
	notes                         []Note

	mu         sync.Mutex
	whoIndex   map[Who]int            // the principals asked about, numbered
	lastWho    Who                    // the principal asked about last, and its number:
	lastN      int                    // the checks ask about one principal many actions
	hasLast    bool                   // in a row, and a Who is eight strings to hash
	extraSlots map[string]int         // actions outside the table, numbered after it
	reaching   map[string][]int       // lower-cased action -> stmtsFor
	reachBuf   []int                  // reaching's lists, end to end
	memo       [][]int32              // by principal number, by memoCell: place in decisions + 1, reachesNothing* or 0 (not yet)
	decisions  [][]reasons            // memo's values, in blocks that never move
	kept       int                    // how many decisions the blocks hold
	idCode     map[*Document][]idStmt // identity policies, compiled on first use
}

// decisionBlock is how many decisions a block of the memo holds: a
// fleet's account can have thousands of principals, so the memo grows by
// blocks rather than copying itself.
const decisionBlock = 64

// reasons is what the memo keeps of a decision: the principal and the
// action are the question's, given back with it. Without them a decision
// is half the size, and the checks ask hundreds of questions a key.
type reasons struct {
	answer                                              Answer
	allow, deny, delegation                             []Source
	unresolved                                          []string
	iamDecides, crossAccountBlocked, unknownAction, how bool
}

// A question no statement or grant reaches is answered NOT ALLOWED, with
// no reasons but whether the action is in the table: two in three of the
// compliant key's questions. The memo keeps these as a mark in the
// principal's row (its places in decisions count from 1).
const (
	reachesNothing        = -1
	reachesNothingUnknown = -2
)

func reasonsOf(d *Decision) reasons {
	return reasons{d.Answer, d.Allow, d.Deny, d.Delegation, d.Unresolved, d.IAMDecides, d.CrossAccountBlocked, d.UnknownAction, d.howOnly}
}

func (r *reasons) decision(who Who, action string) Decision {
	return Decision{Who: who, Action: action, Answer: r.answer, Allow: r.allow, Deny: r.deny, Delegation: r.delegation,
		Unresolved: r.unresolved, IAMDecides: r.iamDecides, CrossAccountBlocked: r.crossAccountBlocked,
		UnknownAction: r.unknownAction, howOnly: r.how}
}

// memoCell is the memo's cell for a question: the principal by its number
// in whoIndex (the whole Who, not its String, which leaves out a session's
// role path), then the action by its place in the table (others as first
// asked) and whether a permissions boundary is assumed. A principal's
// questions are a row of numbers: cheaper to find than a map's entries.
// The cell is valid until the next call; called with m.mu held.
func (m *Model) memoCell(who Who, action string, bounded bool) *int32 {
	if m.whoIndex == nil {
		m.whoIndex, m.extraSlots = map[Who]int{}, map[string]int{}
	}
	if !m.hasLast || who != m.lastWho {
		n, ok := m.whoIndex[who]
		if !ok {
			n = len(m.whoIndex)
			m.whoIndex[who] = n
			m.memo = append(m.memo, nil)
		}
		m.lastWho, m.lastN, m.hasLast = who, n, true
	}
	slot, ok := actionSlot[action]
	if !ok {
		if slot, ok = m.extraSlots[action]; !ok {
			slot = len(actionTable) + len(m.extraSlots)
			m.extraSlots[action] = slot
		}
	}
	cell := slot << 1
	if bounded {
		cell |= 1
	}
	row := m.memo[m.lastN]
	if cell >= len(row) {
		row = append(row, make([]int32, 2*(len(actionTable)+len(m.extraSlots))-len(row))...)
		m.memo[m.lastN] = row
	}
	return &row[cell]
}

// grantModel is a grant read once: its principals parsed.
type grantModel struct {
	grantee, retiring Principal
	constrained       bool
}

// Note reports a principal or statement that the model reads in a way a
// report should mention.
type Note struct {
	Statement int    // -1 for a grant
	GrantID   string // for a grant
	Kind      string // "stale", "unrecognised", "no-resource", "other-key"
	Text      string
}

type stmtModel struct {
	allow       bool
	principals  *PrincipalSet
	notPrincipa bool
	stale       []bool          // per principal: a stale unique ID
	actions     []actionPattern // Action or NotAction
	notAction   bool
	resources   []string
	notResource bool
	effective   bool // has Resource or NotResource
	// res, resU: whether Resource or NotResource reaches the key, and what
	// leaves it open; the same for every principal and action.
	res   tri
	resU  string
	conds []block
}

// NewModel prepares questions about the key keyARN
// (arn:<partition>:kms:<region>:<account>:key/<id>) under doc (nil: no
// statements) and its grants.
func NewModel(doc *Document, keyARN string, grants []Grant, opts ...Option) (*Model, error) {
	a, err := awsid.ParseARN(keyARN)
	if err != nil || a.Service != "kms" || !awsid.IsAccountID(a.Account) ||
		!strings.HasPrefix(a.Resource, "key/") || len(a.Resource) == len("key/") {
		return nil, fmt.Errorf("key ARN %q: want arn:<partition>:kms:<region>:<account>:key/<key-id>", keyARN)
	}
	m := &Model{doc: doc, keyARN: keyARN, keyID: a.Resource[len("key/"):], partition: a.Partition, own: a.Account,
		orgOf: map[string]string{}, roles: map[string]string{}}
	if m.doc == nil {
		m.doc = &Document{}
	}
	for _, o := range opts {
		o(m)
	}
	for i := range m.doc.Statements {
		m.stmts = append(m.stmts, m.compile(&m.doc.Statements[i]))
	}
	for _, g := range grants {
		if g.KeyId != "" && g.KeyId != keyARN && g.KeyId != m.keyID {
			m.notes = append(m.notes, Note{-1, g.GrantId, "other-key", fmt.Sprintf("grant %s is for key %s, not this key: ignored", g.GrantId, g.KeyId)})
			continue
		}
		m.readGrant(g)
	}
	return m, nil
}

// readGrant adds a grant of this key, indexed by the operations it gives
// (written without "kms:", matched case-insensitively).
func (m *Model) readGrant(g Grant) {
	i := len(m.grants)
	m.grants = append(m.grants, g)
	gm := grantModel{grantee: grantPrincipal(g.GranteePrincipal), constrained: g.constrained()}
	if g.RetiringPrincipal != "" {
		gm.retiring = grantPrincipal(g.RetiringPrincipal)
		m.retirable = append(m.retirable, i)
	}
	m.grantModels = append(m.grantModels, gm)
	if m.grantsFor == nil {
		m.grantsFor = map[string][]int{}
	}
	for _, op := range g.Operations {
		op = strings.ToLower(op)
		if l := m.grantsFor[op]; len(l) == 0 || l[len(l)-1] != i {
			m.grantsFor[op] = append(l, i)
		}
	}
}

func (m *Model) compile(st *Statement) stmtModel {
	sm := stmtModel{allow: st.Effect == "Allow", principals: st.Principal}
	if st.NotPrincipal != nil {
		sm.principals, sm.notPrincipa = st.NotPrincipal, true
	}
	if sm.principals == nil {
		sm.principals = &PrincipalSet{}
	}
	sm.stale = make([]bool, len(sm.principals.Principals))
	for j, p := range sm.principals.Principals {
		if sm.allow && !sm.notPrincipa {
			m.learnRole(p)
		}
		if p.Type == "AWS" && IsStaleID(p.Raw) {
			sm.stale[j] = true
			m.notes = append(m.notes, Note{st.Index, "", "stale", fmt.Sprintf("statement %d names %s, the unique ID of a deleted user or role: it matches nobody", st.Index, p.Raw)})
		} else if p.Kind == KindUnknown {
			m.notes = append(m.notes, Note{st.Index, "", "unrecognised", fmt.Sprintf("statement %d names %s principal %q, which this model cannot read: answers that depend on it are CONDITIONAL", st.Index, p.Type, p.Raw)})
		}
	}
	patterns := st.Actions
	if st.NotActions != nil {
		patterns, sm.notAction = st.NotActions, true
	}
	sm.actions = actionPatterns(patterns)
	sm.resources = st.Resources
	if st.NotResources != nil {
		sm.resources, sm.notResource = st.NotResources, true
	}
	sm.effective = st.Resources != nil || st.NotResources != nil
	if !sm.effective {
		m.notes = append(m.notes, Note{st.Index, "", "no-resource", fmt.Sprintf("statement %d has neither Resource nor NotResource: it has no effect", st.Index)})
	}
	sm.res, sm.resU = m.matchResource(&sm)
	sm.conds = compileConditions(st.Conditions)
	return sm
}

// learnRole remembers the ARN of a role an Allow statement names: KMS
// accepts a principal ARN only for a principal that exists, so it gives the
// role's path, which a session's ARN does not show. Only Allow statements
// teach, so that adding a Deny can never settle what a Deny depends on.
// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-overview.html
func (m *Model) learnRole(p Principal) {
	if p.Kind != KindRole {
		return
	}
	k := m.partitionOf(p.Partition) + "/" + p.Account + "/" + p.ARN[strings.LastIndex(p.ARN, "/")+1:]
	if prev, ok := m.roles[k]; ok && prev != p.ARN {
		m.roles[k] = ""
		return
	}
	m.roles[k] = p.ARN
}

// Notes returns what the model noticed: stale unique IDs, principals it
// cannot read, statements without Resource, grants for other keys.
func (m *Model) Notes() []Note { return append([]Note(nil), m.notes...) }

// OwnAccount is the key's account.
func (m *Model) OwnAccount() string { return m.own }

// KeyARN is the key's ARN.
func (m *Model) KeyARN() string { return m.keyARN }

// Partition is the key's partition (aws, aws-cn, ...).
func (m *Model) Partition() string { return m.partition }

// GrantList returns the grants of this key.
func (m *Model) GrantList() []Grant { return append([]Grant(nil), m.grants...) }

// partitionOf: "" means the key's partition.
func (m *Model) partitionOf(p string) string {
	if p == "" {
		return m.partition
	}
	return p
}

// isOwn: an identity of the key's own account.
func (m *Model) isOwn(w Who) bool {
	return w.hasAccount() && w.Account == m.own && m.partitionOf(w.Partition) == m.partition
}

// otherAccount: an identity of another account (the cross-account rule
// applies). Anonymous callers, services and providers have no account.
func (m *Model) otherAccount(w Who) bool {
	return w.Kind == WhoKindOtherAccount || (w.hasAccount() && !m.isOwn(w))
}

// Decide answers whether who may perform action (a concrete action such as
// "kms:Decrypt") on the key. Asked again, it gives back the decision it
// kept, whose lists later answers share: read them, do not write into them.
func (m *Model) Decide(who Who, action string) Decision { return m.decide(who, action, false) }

// decide: bounded says who has a permissions boundary, which a
// NotPrincipal + Deny statement never exempts: "a Deny statement with
// NotPrincipal always denies a principal with a permissions boundary,
// whatever NotPrincipal lists" (the statement's Condition still decides).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
func (m *Model) decide(who Who, action string, bounded bool) Decision {
	m.mu.Lock()
	if i := *m.memoCell(who, action, bounded); i != 0 {
		d := Decision{Who: who, Action: action, Answer: NotAllowed, UnknownAction: i == reachesNothingUnknown}
		if i > 0 {
			d = m.decisions[(i-1)/decisionBlock][(i-1)%decisionBlock].decision(who, action)
		}
		m.mu.Unlock()
		return d
	}
	m.mu.Unlock()
	d := m.decideOnce(who, action, bounded)
	m.mu.Lock()
	cell := int32(reachesNothing)
	if d.UnknownAction {
		cell = reachesNothingUnknown
	}
	if len(d.Allow)+len(d.Deny)+len(d.Delegation) > 0 {
		i := m.kept
		if i%decisionBlock == 0 {
			m.decisions = append(m.decisions, make([]reasons, decisionBlock))
		}
		m.decisions[i/decisionBlock][i%decisionBlock] = reasonsOf(&d)
		m.kept++
		cell = int32(i + 1)
	}
	*m.memoCell(who, action, bounded) = cell
	m.mu.Unlock()
	return d
}

// stmtsFor lists the statements that can apply to the lower-cased action,
// whoever asks: those with effect whose Action or NotAction takes the
// action and whose Resource or NotResource may reach the key. Worked out
// once an action.
func (m *Model) stmtsFor(act string) []int {
	m.mu.Lock()
	l, ok := m.reaching[act]
	m.mu.Unlock()
	if ok {
		return l
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	start := len(m.reachBuf)
	for i := range m.stmts {
		if sm := &m.stmts[i]; sm.effective && sm.res != no && sm.matchesAction(act) {
			m.reachBuf = append(m.reachBuf, i)
		}
	}
	l = m.reachBuf[start:]
	if m.reaching == nil {
		m.reaching = map[string][]int{}
	}
	m.reaching[act] = l
	return l
}

// decideOnce answers a question not asked before. Its lists are clipped:
// a caller appending to them copies them rather than write into the
// decision the model keeps.
func (m *Model) decideOnce(who Who, action string, bounded bool) Decision {
	d := Decision{Who: who, Action: action}
	act := lowerAction(action)
	info, knownAction := actionIndex[act]
	d.UnknownAction = !knownAction
	get := &lazyResolver{m: m, w: who, act: act}
	allowYes, denyYes := false, false
	var condAllow, condDeny []Source
	for _, i := range m.stmtsFor(act) {
		sm := &m.stmts[i]
		var unres []string
		app := sm.res
		unres = appendU(unres, sm.resU)
		pm, viaOwn, u := m.matchPrincipal(sm, who)
		if bounded && !sm.allow && sm.notPrincipa && !sm.principals.Wildcard {
			pm, viaOwn, u = yes, false, ""
		}
		app, unres = and(app, pm), appendU(unres, u)
		if app == no {
			continue
		}
		for j := range sm.conds {
			r, u := evalCondition(&sm.conds[j], get.resolver())
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
		st := &m.doc.Statements[i]
		src := Source{Statement: i, Sid: st.Sid, Effect: st.Effect, Conditional: app == maybe}
		if app == maybe {
			src.Unresolved = unres
		}
		switch {
		case !sm.allow:
			d.Deny = append(d.Deny, src)
			if app == yes {
				denyYes = true
			} else {
				condDeny = append(condDeny, src)
			}
		case viaOwn:
			d.Delegation = append(d.Delegation, src)
		default:
			d.Allow = append(d.Allow, src)
			if app == yes {
				allowYes = true
			} else {
				condAllow = append(condAllow, src)
			}
		}
	}
	for _, i := range m.grantsFor[strings.TrimPrefix(act, "kms:")] {
		gm := &m.grantModels[i]
		pm, viaOwn, u := m.matchGrantee(gm.grantee, who)
		m.addGrant(&d, &m.grants[i], pm, viaOwn, u, gm.constrained && takesEncryptionContext(act), &allowYes, &condAllow)
	}
	if act == "kms:retiregrant" {
		// The retiring principal may retire the grant, whatever its
		// operations; constraints narrow the grant's operations only.
		for _, i := range m.retirable {
			pm, viaOwn, u := m.matchGrantee(m.grantModels[i].retiring, who)
			m.addGrant(&d, &m.grants[i], pm, viaOwn, u, false, &allowYes, &condAllow)
		}
	}

	if denyYes {
		d.Answer = NotAllowed
	} else if allowYes && len(condDeny) == 0 {
		d.Answer = Allowed
	} else if allowYes {
		d.Answer = Conditional
		d.howOnly = allHow(condDeny)
		d.Unresolved = unionU(condDeny)
	} else if len(condAllow) > 0 {
		d.Answer = Conditional
		d.howOnly = allHow(condDeny)
		anyHow := false
		for _, s := range condAllow {
			anyHow = anyHow || allHow([]Source{s})
		}
		d.howOnly = d.howOnly && anyHow
		d.Unresolved = unionU(append(append([]Source(nil), condAllow...), condDeny...))
	} else {
		d.Answer = NotAllowed
	}
	// Reached only through the delegation: what IAM allows decides.
	d.IAMDecides = len(d.Delegation) > 0 && !denyYes && len(d.Allow) == 0
	if d.Answer != NotAllowed && knownAction && !info.CrossAccount && m.otherAccount(who) {
		d.Answer, d.CrossAccountBlocked, d.Unresolved, d.howOnly = NotAllowed, true, nil, false
	}
	d.Allow, d.Deny, d.Delegation, d.Unresolved = slices.Clip(d.Allow), slices.Clip(d.Deny), slices.Clip(d.Delegation), slices.Clip(d.Unresolved)
	return d
}

func (m *Model) addGrant(d *Decision, g *Grant, pm tri, viaOwn bool, u string, constrained bool, allowYes *bool, condAllow *[]Source) {
	if pm == no {
		return
	}
	src := Source{Statement: -1, GrantID: g.GrantId, Effect: "Allow", Conditional: pm == maybe || constrained}
	if src.Conditional {
		src.Unresolved = appendU(src.Unresolved, u)
		if constrained {
			src.Unresolved = appendU(src.Unresolved, "kms:EncryptionContext:*")
		}
	}
	switch {
	case viaOwn:
		d.Delegation = append(d.Delegation, src)
	case src.Conditional:
		d.Allow = append(d.Allow, src)
		*condAllow = append(*condAllow, src)
	default:
		d.Allow = append(d.Allow, src)
		*allowYes = true
	}
}

func appendU(list []string, u string) []string {
	if u == "" {
		return list
	}
	for _, x := range list {
		if strings.EqualFold(x, u) {
			return list
		}
	}
	return append(list, u)
}

func unionU(srcs []Source) []string {
	var out []string
	for _, s := range srcs {
		for _, u := range s.Unresolved {
			out = appendU(out, u)
		}
	}
	return out
}

// allHow: every unresolved key of every source narrows how, not who.
func allHow(srcs []Source) bool {
	for _, s := range srcs {
		if len(s.Unresolved) == 0 {
			return false // open for a reason that is not a key
		}
		for _, u := range s.Unresolved {
			if !isHowKey(u) {
				return false
			}
		}
	}
	return true
}

// matchesAction takes a lower-cased action, as Action matching is
// case-insensitive.
func (sm *stmtModel) matchesAction(action string) bool {
	return matchesAny(sm.actions, action, sm.notAction)
}

// actionPattern is an Action or NotAction entry, lower-cased, and what
// kind of pattern it is: most name one action, and a plain comparison
// finds it; most others end in their only wildcard ("kms:*",
// "kms:Describe*"), and a prefix finds what they match.
type actionPattern struct {
	text   string // without the trailing * of a prefix
	wild   bool
	prefix bool
}

func actionPatterns(patterns []string) []actionPattern {
	out := make([]actionPattern, len(patterns))
	for i, p := range patterns {
		l := lowerAction(p)
		out[i] = actionPattern{text: l, wild: strings.ContainsAny(l, "*?")}
		if head, ok := strings.CutSuffix(l, "*"); ok && !strings.ContainsAny(head, "*?") {
			out[i] = actionPattern{text: head, prefix: true}
		}
	}
	return out
}

// matchesAny: some of the patterns matches the lower-cased action, or
// (NotAction) none does. Both sides are lower-cased already, so the glob
// compares characters as they are; lower-casing leaves both valid UTF-8,
// so a prefix compares bytes as the glob compares characters.
func matchesAny(patterns []actionPattern, action string, notAction bool) bool {
	matched := false
	for _, p := range patterns {
		if p.matches(action) {
			matched = true
			break
		}
	}
	return matched != notAction
}

func (p actionPattern) matches(action string) bool {
	if p.prefix {
		return strings.HasPrefix(action, p.text)
	}
	if p.wild {
		return glob(p.text, action, false)
	}
	return p.text == action
}

// matchResource: "*" or an ARN pattern matching the key's ARN field by
// field. A pattern that is not ARN-shaped cannot be read: maybe.
func (m *Model) matchResource(sm *stmtModel) (tri, string) {
	r, unres := no, ""
	for _, p := range sm.resources {
		if p == "*" || matchARN(p, m.keyARN) {
			r = yes
		} else if _, ok := awsid.ARNFields(p); !ok {
			r, unres = or(r, maybe), "Resource "+p
		}
	}
	if sm.notResource {
		r = not(r)
	}
	if r != maybe {
		unres = ""
	}
	return r, unres
}

// matchPrincipal: does the statement's Principal or NotPrincipal reach who?
// viaOwn is true when an Allow reaches an own-account identity only through
// an own-account principal (the IAM delegation).
func (m *Model) matchPrincipal(sm *stmtModel, w Who) (r tri, viaOwn bool, unres string) {
	ps := sm.principals
	if sm.notPrincipa {
		if ps.Wildcard {
			return no, false, ""
		}
		ex, u := m.exempt(sm, w)
		return not(ex), false, u
	}
	if ps.Wildcard {
		return yes, false, ""
	}
	direct, own := no, no
	for j, p := range ps.Principals {
		if sm.stale[j] {
			continue
		}
		t, u := m.entryMatch(p, w)
		if t == maybe && unres == "" {
			unres = u
		}
		if sm.allow && t != no && p.Kind == KindAccount && p.Account == m.own && m.partitionOf(p.Partition) == m.partition {
			own = or(own, t)
			continue
		}
		direct = or(direct, t)
	}
	if direct == yes {
		return yes, false, ""
	} else if own == yes {
		return yes, true, ""
	}
	return or(direct, own), false, unres
}

// sourceThrough: what an allowing source named to reach w.
func (m *Model) sourceThrough(s Source, w Who) string {
	if s.Statement >= 0 {
		return m.through(&m.stmts[s.Statement], w)
	}
	for i, g := range m.grants {
		if g.GrantId != s.GrantID {
			continue
		}
		switch m.grantModels[i].grantee.Kind {
		case KindUser, KindAssumedRole, KindFederatedUser:
			return ThroughGrantUser
		case KindRole:
			return ThroughGrantRole
		}
		break
	}
	return ThroughGrantWide
}

// through: which kind of entry of an Allow statement reaches who, the least
// limited first (an exact identity ARN, then anything broad, then the role).
func (m *Model) through(sm *stmtModel, w Who) string {
	if sm.notPrincipa || sm.principals.Wildcard {
		return ThroughBroad
	}
	best := ""
	for j, p := range sm.principals.Principals {
		if sm.stale[j] {
			continue
		}
		if t, _ := m.entryMatch(p, w); t == no {
			continue
		}
		switch p.Kind {
		case KindUser, KindAssumedRole, KindFederatedUser:
			return ThroughIdentity
		case KindRole:
			if best == "" {
				best = ThroughRole
			}
		default:
			best = ThroughBroad
		}
	}
	if best == "" {
		best = ThroughBroad
	}
	return best
}

// matchGrantee matches a grant's principal like a Principal element entry.
func (m *Model) matchGrantee(p Principal, w Who) (tri, bool, string) {
	t, u := m.entryMatch(p, w)
	viaOwn := t != no && p.Kind == KindAccount && p.Account == m.own && m.partitionOf(p.Partition) == m.partition
	if t != maybe {
		u = ""
	}
	return t, viaOwn, u
}

// entryMatch: does one principal entry name who? A role names its
// sessions; an account every identity of that account.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
func (m *Model) entryMatch(p Principal, w Who) (tri, string) {
	samePart := m.partitionOf(p.Partition) == m.partitionOf(w.Partition)
	switch p.Kind {
	case KindAccount:
		return triOf(w.hasAccount() && w.Account == p.Account && samePart), ""
	case KindUser, KindFederatedUser:
		return triOf((w.Kind == WhoKindUser || w.Kind == WhoKindFederatedUser) && w.ARN == p.ARN), ""
	case KindRole:
		switch w.Kind {
		case WhoKindRole:
			return triOf(w.ARN == p.ARN), ""
		case WhoKindSession:
			name := p.ARN[strings.LastIndex(p.ARN, "/")+1:]
			return triOf(samePart && w.Account == p.Account && w.Name == name), ""
		}
		return no, ""
	case KindAssumedRole:
		switch w.Kind {
		case WhoKindSession:
			return triOf(w.ARN == p.ARN), ""
		case WhoKindRole:
			// The statement names one session of this role: the role's
			// sessions of that name only.
			parts := strings.Split(p.ARN, "/")
			if samePart && w.Account == p.Account && w.roleName() == parts[1] {
				return maybe, "role session name"
			}
		}
		return no, ""
	case KindService:
		return triOf(w.Kind == WhoKindService && w.Name == p.Raw), ""
	case KindFederated:
		return triOf(w.Kind == WhoKindFederated && w.Name == p.Raw), ""
	case KindCanonicalUser:
		return no, ""
	}
	// Unrecognised: it may name who if it could be of who's kind and
	// account; fail closed rather than hide a holder.
	u := "principal " + p.Raw
	switch p.Type {
	case "Service":
		return maybeIf(w.Kind == WhoKindService), u
	case "Federated":
		return maybeIf(w.Kind == WhoKindFederated), u
	case "AWS":
		if w.Kind == WhoKindService || w.Kind == WhoKindFederated {
			return no, ""
		}
		if f, ok := awsid.ARNFields(p.Raw); ok && awsid.IsAccountID(f[4]) {
			if !w.hasAccount() || w.Account != f[4] {
				return no, ""
			}
		}
		return maybe, u
	}
	return no, ""
}

// exempt: is who listed in a NotPrincipal? AWS checks the account, then
// the role, then the session, so each must be listed; an account's
// identity or a role's session is not exempt by its account or role alone.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html
func (m *Model) exempt(sm *stmtModel, w Who) (tri, string) {
	listed := func(pred func(Principal) tri) (tri, string) {
		r, unres := no, ""
		for j, p := range sm.principals.Principals {
			if sm.stale[j] {
				continue
			}
			t := pred(p)
			if t == no && p.Kind == KindUnknown {
				if e, u := m.entryMatch(p, w); e == maybe {
					t, unres = maybe, u
				}
			}
			r = or(r, t)
		}
		if r != maybe {
			unres = ""
		}
		return r, unres
	}
	acct := func(p Principal) tri {
		return triOf(p.Kind == KindAccount && p.Account == w.Account && m.partitionOf(p.Partition) == m.partitionOf(w.Partition))
	}
	exact := func(p Principal) tri { return triOf(p.Kind != KindAccount && p.ARN == w.ARN) }
	var parts []func(Principal) tri
	switch w.Kind {
	case WhoKindRoot:
		parts = append(parts, acct)
	case WhoKindUser, WhoKindFederatedUser:
		parts = append(parts, acct, exact)
	case WhoKindSession:
		role := func(p Principal) tri {
			if p.Kind != KindRole {
				return no
			}
			t, _ := m.entryMatch(p, w)
			return t
		}
		parts = append(parts, acct, role, exact)
	case WhoKindRole:
		// The role's sessions: exempt only those whose session is listed too.
		session := func(p Principal) tri {
			if p.Kind != KindAssumedRole {
				return no
			}
			t, _ := m.entryMatch(p, w)
			return t
		}
		parts = append(parts, acct, exact, session)
	case WhoKindService, WhoKindFederated:
		parts = append(parts, func(p Principal) tri {
			t, _ := m.entryMatch(p, w)
			if p.Kind == KindUnknown {
				return no
			}
			return t
		})
	default:
		// Unnamed identities, anonymous callers: never listed.
		parts = append(parts, func(Principal) tri { return no })
	}
	r, unres := yes, ""
	for _, pred := range parts {
		t, u := listed(pred)
		r = and(r, t)
		if t == maybe && unres == "" {
			unres = u
		}
	}
	if r == maybe && unres == "" {
		unres = "role session name"
	}
	if r != maybe {
		unres = ""
	}
	return r, unres
}

// resolver resolves the request-context keys that are properties of the
// principal asked about (act is the lower-cased action); every other key
// is a request property: unknown.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html
func (m *Model) resolver(w Who, act string) resolver {
	ec := takesEncryptionContext(act)
	return func(key string) ctxValue {
		if !ec && (key == "kms:encryptioncontextkeys" || strings.HasPrefix(key, "kms:encryptioncontext:")) {
			return absentValue
		}
		return m.keyValue(w, key)
	}
}

// lazyResolver makes the resolver of one question when a condition first
// needs it: most statements a question reaches have none.
type lazyResolver struct {
	m   *Model
	w   Who
	act string
	get resolver
}

func (l *lazyResolver) resolver() resolver {
	if l.get == nil {
		l.get = l.m.resolver(l.w, l.act)
	}
	return l.get
}

// encryptionContextActions are the operations whose requests carry an
// encryption context; for any other the kms:EncryptionContext keys are
// absent and a grant's encryption-context constraints do not apply.
// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-encryption-context
// https://docs.aws.amazon.com/kms/latest/APIReference/API_GrantConstraints.html
var encryptionContextActions = map[string]bool{
	"kms:creategrant": true, "kms:decrypt": true, "kms:encrypt": true,
	"kms:generatedatakey": true, "kms:generatedatakeypair": true,
	"kms:generatedatakeypairwithoutplaintext": true, "kms:generatedatakeywithoutplaintext": true,
	"kms:reencryptfrom": true, "kms:reencryptto": true,
}

// logsContextARN is the encryption context key CloudWatch Logs sets.
const logsContextARN = "kms:encryptioncontext:aws:logs:arn"

func takesEncryptionContext(action string) bool {
	return encryptionContextActions[lowerAction(action)]
}

func (m *Model) keyValue(w Who, key string) ctxValue {
	anon := w.Kind == WhoKindAnonymous
	svc := w.Kind == WhoKindService
	switch key {
	case "aws:principalaccount", "kms:calleraccount":
		if w.hasAccount() {
			return known(w.Account)
		} else if w.Kind == WhoKindOtherAccount {
			return ctxValue{state: ctxUnnamed}
		} else if anon {
			// Older IAM documentation: "always included in the request
			// context"; newer: absent from anonymous requests. Either way
			// it names no account a policy can list.
			return absentOrUnnamed
		}
		return unknownValue
	case "aws:principalarn":
		switch w.Kind {
		case WhoKindUser, WhoKindRole, WhoKindRoot, WhoKindFederatedUser:
			return known(w.ARN)
		case WhoKindSession:
			// A session's aws:PrincipalArn is its role's ARN, path included;
			// the session ARN does not show the path.
			if w.RoleARN != "" {
				return known(w.RoleARN)
			}
			if arn := m.roles[m.partitionOf(w.Partition)+"/"+w.Account+"/"+w.Name]; arn != "" {
				return known(arn)
			}
			return ctxValue{state: ctxRolePath, account: w.Account, role: w.Name, partition: m.partitionOf(w.Partition)}
		case WhoKindAccount:
			return ctxValue{state: ctxUnnamed, account: w.Account}
		case WhoKindOtherAccount:
			return ctxValue{state: ctxUnnamed}
		case WhoKindAnonymous:
			return absentValue
		}
		return unknownValue
	case "aws:principaltype":
		switch w.Kind {
		case WhoKindUser:
			return known("User")
		case WhoKindRole, WhoKindSession:
			return known("AssumedRole")
		case WhoKindRoot:
			return known("Account")
		case WhoKindFederatedUser:
			return known("FederatedUser")
		case WhoKindAnonymous:
			return known("Anonymous")
		}
		return unknownValue
	case "aws:principalisawsservice":
		if svc {
			return known("true")
		} else if anon {
			return absentValue
		} else if w.Kind == WhoKindFederated {
			return unknownValue
		}
		return known("false")
	case "aws:principalservicename":
		if svc {
			return known(w.Name)
		}
		if w.Kind == WhoKindFederated {
			return unknownValue
		}
		return absentValue
	case "aws:principalservicenameslist":
		if svc || w.Kind == WhoKindFederated {
			return unknownValue
		}
		return absentValue
	case "aws:principalorgid":
		if anon {
			return absentValue
		} else if !m.orgKnown || svc || w.Kind == WhoKindFederated {
			return unknownValue
		} else if w.Kind == WhoKindOtherAccount {
			// An account named nowhere: in no organisation, or in one no
			// policy names (a block admitting any organisation holds).
			return absentOrUnnamed
		}
		if org, ok := m.orgOf[w.Account]; ok {
			return known(org)
		}
		return absentValue
	case "aws:sourceaccount", "aws:sourcearn", "aws:sourceorgid", "aws:sourceorgpaths":
		// Present only when a service calls on behalf of a resource; they
		// name that resource and its owner.
		if !svc {
			return absentValue
		} else if w.SourceAccount == "" {
			return unknownValue
		} else if w.SourceAccount == anotherSourceAccount {
			// A resource of an account no policy names.
			if key == "aws:sourceaccount" || key == "aws:sourcearn" {
				return ctxValue{state: ctxUnnamed}
			}
			return unknownValue
		} else if key == "aws:sourceaccount" {
			return known(w.SourceAccount)
		} else if key == "aws:sourcearn" {
			return ctxValue{state: ctxUnnamed, account: w.SourceAccount}
		} else if key == "aws:sourceorgid" && m.orgKnown {
			if org, ok := m.orgOf[w.SourceAccount]; ok {
				return known(org)
			}
			return absentValue
		}
		return unknownValue
	case "aws:username":
		if w.Kind == WhoKindUser {
			return known(w.Name[strings.LastIndex(w.Name, "/")+1:])
		}
	case logsContextARN:
		// CloudWatch Logs sets this encryption context itself, to the ARN of
		// the log group it encrypts for: for the service acting for an
		// account, an ARN in that account ("The encryption context ...
		// aws:logs:arn ... the ARN of the log group").
		// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
		if svc && strings.HasPrefix(w.Name, "logs.") && w.SourceAccount != "" {
			if w.SourceAccount == anotherSourceAccount {
				return ctxValue{state: ctxUnnamed}
			}
			return ctxValue{state: ctxUnnamed, account: w.SourceAccount}
		}
	}
	if anon && (strings.HasPrefix(key, "aws:principal") || key == "aws:userid" || key == "aws:username") {
		return absentValue
	}
	return unknownValue
}

// Why is the decision's sentence, for a report. It is written when asked:
// most decisions are never worded.
func (d Decision) Why() string {
	names := func(srcs []Source) string {
		s := make([]string, len(srcs))
		for i, x := range srcs {
			s[i] = x.String()
		}
		return strings.Join(s, ", ")
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s %s: %s", d.Who, d.Action, d.Answer)
	if d.CrossAccountBlocked {
		fmt.Fprintf(&b, "; %s would allow it, but %s cannot be used across accounts", names(d.Allow), d.Action)
	} else if d.Answer == NotAllowed && hasDefinite(d.Deny) {
		fmt.Fprintf(&b, "; denied by %s", names(definite(d.Deny)))
	} else if d.Answer == Allowed {
		fmt.Fprintf(&b, "; allowed by %s", names(d.Allow))
	} else if d.Answer == Conditional {
		// A CONDITIONAL answer always has an allowing source.
		fmt.Fprintf(&b, "; depends on %s (allowed by %s", strings.Join(d.Unresolved, ", "), names(d.Allow))
		if len(d.Deny) > 0 {
			fmt.Fprintf(&b, "; denied by %s", names(d.Deny))
		}
		b.WriteString(")")
	} else {
		b.WriteString("; no statement or grant allows it")
	}
	if d.IAMDecides {
		fmt.Fprintf(&b, "; IAM policies decide (own-account root: %s)", names(d.Delegation))
	}
	if d.UnknownAction {
		b.WriteString("; the action is not in the KMS action table")
	}
	return b.String()
}

func maybeIf(b bool) tri {
	if b {
		return maybe
	}
	return no
}

func hasDefinite(srcs []Source) bool { return len(definite(srcs)) > 0 }

func definite(srcs []Source) []Source {
	var out []Source
	for _, s := range srcs {
		if !s.Conditional {
			out = append(out, s)
		}
	}
	return out
}

// Principals lists every principal the checks must ask about: each one the
// policy, its conditions or its grants name; the own account's other
// identities; each organisation account given; an identity of any other
// account; anonymous callers; plus extra (the profile's administrators,
// users, Adobe and allowed external accounts). Sorted, without repeats.
func (m *Model) Principals(extra ...Who) []Who {
	seen := map[string]bool{}
	var out []Who
	add := func(w Who) {
		if k := w.String(); !seen[k] {
			seen[k] = true
			out = append(out, w)
		}
	}
	fromPrincipal := func(p Principal) {
		switch p.Kind {
		case KindAccount:
			if m.partitionOf(p.Partition) == m.partition {
				add(WhoAccountIdentity(p.Account))
			}
		case KindUser, KindRole, KindAssumedRole, KindFederatedUser:
			if w, err := WhoARN(p.ARN); err == nil {
				add(w)
			}
		case KindService:
			add(WhoService(p.Raw))
		case KindFederated:
			add(WhoFederated(p.Raw))
		case KindUnknown:
			// An ARN this model cannot read still shows its account: ask
			// about that account, whose identities it may name.
			if f, ok := awsid.ARNFields(p.Raw); p.Type == "AWS" && ok && awsid.IsAccountID(f[4]) && m.partitionOf(f[1]) == m.partition {
				add(WhoAccountIdentity(f[4]))
			}
		}
	}
	for _, st := range m.doc.Statements {
		for _, ps := range []*PrincipalSet{st.Principal, st.NotPrincipal} {
			if ps != nil {
				for _, p := range ps.Principals {
					fromPrincipal(p)
				}
			}
		}
		for _, c := range st.Conditions {
			for _, v := range c.Values {
				if strings.ContainsAny(v, "*?$") {
					continue
				}
				switch strings.ToLower(c.Key) {
				case "aws:principalaccount", "kms:calleraccount", "aws:sourceaccount":
					if awsid.IsAccountID(v) {
						add(WhoAccountIdentity(v))
					}
				case "aws:principalarn":
					fromPrincipal(ParsePrincipal("AWS", v))
				case "aws:principalservicename":
					if isHostName(v) {
						add(WhoService(v))
					}
				}
			}
		}
	}
	for _, g := range m.grants {
		for _, s := range []string{g.GranteePrincipal, g.RetiringPrincipal} {
			if s != "" {
				fromPrincipal(grantPrincipal(s))
			}
		}
	}
	for acct := range m.orgOf {
		if awsid.IsAccountID(acct) {
			add(WhoAccountIdentity(acct))
		}
	}
	add(WhoAccountIdentity(m.own))
	add(WhoAnyOtherAccount())
	add(WhoAnonymous())
	for _, w := range extra {
		add(w)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].String() < out[j].String() })
	return out
}
