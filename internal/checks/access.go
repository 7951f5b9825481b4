package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// The ADM, USR, AEP and GRT checks ask the access model one question (may
// this principal do this action on this key?) and never read policy text.
// The model is built once per evaluation, from the parsed key policy, the
// key ARN and the key's grants.

// access is the model of one evaluation, the principals asked about, and
// the combined answers already given (the model keeps its own).
type access struct {
	m    *policy.Model
	whos []policy.Who
	// trust is what the chosen roles' trust policies give away, read once
	// for the checks that judge it (trustReach).
	trust *trustReach
	// delegationText and notesText are worded once for the checks that
	// say them (delegation, notes).
	delegationText, notesText *string
	// grantsRead: the grants are in the model. Without them the checks that
	// count grants ERROR (they need ListGrants); the others are judged on
	// the policy, since a grant never gives an administrative or deletion
	// operation (CreateGrant's Operations are use, DescribeKey and the
	// grant operations).
	// https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html#KMS-CreateGrant-request-Operations
	grantsRead bool
	// ids: the own account's IAM users and roles from the IAM member, by
	// ARN without path; nil without the member (IAM policies then decide).
	// iamErr says why a member that is present could not be read.
	ids    map[string]policy.Identity
	iamErr string
	// eff holds the combined decisions of the identities the IAM member
	// answers for, for the words (which policy gave the right) and the
	// grant-side reading; by pointer, since every question looks here first
	// and a combined decision is large to copy out.
	eff map[question]*policy.EffectiveDecision
}

// question is one principal and action. The whole Who is the key: the
// model answers by all of it.
type question struct {
	who    policy.Who
	action string
}

// newAccess builds the model, or says why it cannot be built.
func newAccess(s *keystate.State, e *env) (*access, string) {
	if why := s.Problem(keystate.GetKeyPolicy); why != "" {
		return nil, why
	}
	if s.Key == nil {
		return nil, "the key's account is unknown: " + s.Problem(keystate.DescribeKey)
	}
	doc, err := policy.Parse([]byte(s.Policy))
	if err != nil {
		return nil, "the key policy could not be parsed: " + err.Error()
	}
	a := &access{eff: map[question]*policy.EffectiveDecision{}}
	var grants []policy.Grant
	if s.Has(keystate.ListGrants) && s.Problem(keystate.ListGrants) == "" {
		a.grantsRead = true
		grants = modelGrants(s.Grants)
	}
	a.m, err = policy.NewModel(doc, s.Key.Arn, grants)
	if err != nil {
		return nil, "the key cannot be judged: " + err.Error()
	}
	var extra []policy.Who
	for _, arn := range append(append([]string(nil), e.p.KeyAdministrators...), e.p.KeyUsers...) {
		w, err := policy.WhoARN(arn)
		if err != nil {
			return nil, "the profile names a principal the access model cannot ask about: " + err.Error()
		}
		extra = append(extra, w)
	}
	for _, acct := range append(e.adobe, e.p.AllowedExternalAccounts...) {
		extra = append(extra, policy.WhoAccountIdentity(acct))
	}
	// Every IAM identity of the evidence is asked about, not only those the
	// policy names; one the policy names (perhaps without its path) once.
	if _, ok := iamUnusable(s); ok {
		ids, err := iamIdentities(s.IAM, s.Key.Account())
		if err != nil {
			a.iamErr = err.Error()
		} else {
			a.ids = map[string]policy.Identity{}
			named := map[string]bool{}
			for _, w := range a.m.Principals(extra...) {
				named[shortARN(w.ARN)] = true
			}
			for _, id := range ids {
				a.ids[shortARN(id.Who.ARN)] = id
				if !named[shortARN(id.Who.ARN)] {
					extra = append(extra, id.Who)
				}
			}
		}
	}
	a.whos = a.m.Principals(extra...)
	return a, ""
}

// identity is the IAM identity the combined decision asks about for w: an
// own-account user or role (one absent from the evidence has no IAM
// policy), or a role's session with its role's policies and boundary.
// ok is false without the IAM member and for every other principal.
func (a *access) identity(w policy.Who) (policy.Identity, bool) {
	if a.ids == nil || !a.isOwn(w) {
		return policy.Identity{}, false
	}
	switch w.Kind {
	case policy.WhoKindUser, policy.WhoKindRole:
		id := a.ids[shortARN(w.ARN)]
		return policy.Identity{Who: w, Policies: id.Policies, Boundary: id.Boundary}, true
	case policy.WhoKindSession:
		role := "arn:" + a.m.Partition() + ":iam::" + w.Account + ":role/" + w.Name
		id := a.ids[shortARN(role)]
		return policy.Identity{Who: w, Policies: id.Policies, Boundary: id.Boundary}, true
	}
	return policy.Identity{}, false
}

func modelGrants(gs []keystate.Grant) []policy.Grant {
	out := make([]policy.Grant, 0, len(gs))
	for _, g := range gs {
		pg := policy.Grant{
			GrantId: g.GrantID, KeyId: g.KeyID, Name: g.Name, GranteePrincipal: g.GranteePrincipal,
			RetiringPrincipal: g.RetiringPrincipal, IssuingAccount: g.IssuingAccount, Operations: g.Operations,
		}
		if c := g.Constraints; c != nil {
			pg.Constraints = &policy.GrantConstraints{EncryptionContextEquals: c.EncryptionContextEquals, EncryptionContextSubset: c.EncryptionContextSubset}
		}
		out = append(out, pg)
	}
	return out
}

// decide asks once per principal and action: the model keeps its
// decisions, and the combined ones are kept here.
func (a *access) decide(w policy.Who, action string) policy.Decision {
	q := question{w, action}
	ed, ok := a.eff[q]
	if !ok {
		id, isIAM := a.identity(w)
		if !isIAM {
			return a.m.Decide(w, action)
		}
		// With the IAM member the key policy, grants, identity policies and
		// boundary answer together: nothing is left to "IAM policies decide".
		e := a.m.DecideEffective(id, action)
		ed = &e
		a.eff[q] = ed
	}
	d := ed.Key
	d.Answer, d.IAMDecides = ed.Answer, false
	return d
}

func (a *access) decideAll(w policy.Who, actions []string) []policy.Decision {
	out := make([]policy.Decision, len(actions))
	for i, act := range actions {
		out[i] = a.decide(w, act)
	}
	return out
}

// holding is the decisions of a.decideAll(w, actions) that satisfy keep
// (nil: none), without copying out the decisions nobody keeps: most
// principals hold none of the actions asked about, and a decision is large.
func (a *access) holding(w policy.Who, actions []string, keep func(policy.Decision) bool) []policy.Decision {
	return kept(len(actions), func(i int) policy.Decision { return a.decide(w, actions[i]) }, keep)
}

// kept keeps the n decisions get gives that satisfy keep, in one
// allocation of just what is kept: a decision is large, and most
// principals hold a few of the actions asked about. The kept ones are
// found first and asked again (the model keeps its answers).
func kept(n int, get func(int) policy.Decision, keep func(policy.Decision) bool) []policy.Decision {
	var buf [64]int
	at := buf[:0]
	for i := range n {
		if keep(get(i)) {
			at = append(at, i)
		}
	}
	if len(at) == 0 {
		return nil
	}
	out := make([]policy.Decision, len(at))
	for j, i := range at {
		out[j] = get(i)
	}
	return out
}

func risks(d policy.Decision) bool { return d.Risks() }

// grants is the grant-side reading. A combined (IAM) answer that is
// CONDITIONAL counts when every key left open is a request property, which
// the caller chooses; a principal property, an operator or a resource
// pattern left open does not count.
func (a *access) grants(d policy.Decision) bool {
	ed, ok := a.eff[question{d.Who, d.Action}]
	if !ok {
		return d.Grants()
	}
	if ed.Answer != policy.Conditional {
		return ed.Answer == policy.Allowed
	}
	for _, u := range effUnresolved(ed) {
		if !requestProperty(u) {
			return false
		}
	}
	return true
}

// principalKeys are the spec's principal properties ("Which answer
// counts"); every other condition key is a property of the request.
var principalKeys = map[string]bool{
	"aws:principalaccount": true, "kms:calleraccount": true, "aws:principalarn": true, "aws:principaltype": true,
	"aws:principalisawsservice": true, "aws:principalservicename": true, "aws:principalservicenameslist": true,
	"aws:principalorgid": true, "aws:principalorgpaths": true, "aws:userid": true, "aws:username": true,
	"aws:federatedprovider": true, "aws:sourceidentity": true, "aws:sourceaccount": true, "aws:sourcearn": true,
	"aws:sourceorgid": true, "aws:sourceorgpaths": true,
}

func requestProperty(u string) bool {
	k := strings.ToLower(u)
	if strings.ContainsAny(k, " ") || !strings.Contains(k, ":") {
		return false // "operator X", "Resource arn:...": not a condition key
	}
	return !principalKeys[k] && !strings.HasPrefix(k, "aws:principaltag/")
}

// effUnresolved lists what leaves a combined answer open.
func effUnresolved(ed *policy.EffectiveDecision) []string {
	var out []string
	seen := map[string]bool{}
	add := func(us []string) {
		for _, u := range us {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	if ed.Key.Answer == policy.Conditional {
		add(ed.Key.Unresolved)
	}
	for _, l := range [][]policy.IAMSource{ed.IAMAllow, ed.IAMDeny, ed.BoundaryAllow, ed.BoundaryDeny} {
		for _, s := range l {
			if s.Conditional {
				add(s.Unresolved)
			}
		}
	}
	return out
}

// isAdmin and isUser are the spec's roles: ALLOWED (grant side) every one
// of the role's actions.
func (a *access) isAdmin(w policy.Who) bool { return a.every(w, policy.AdminActions, a.grants) }

func (a *access) isUser(w policy.Who) bool { return a.every(w, policy.UserActions, a.grants) }

// every says whether each of actions satisfies keep for w. It stops at the
// first that does not: most principals hold none of them.
func (a *access) every(w policy.Who, actions []string, keep func(policy.Decision) bool) bool {
	for _, act := range actions {
		if !keep(a.decide(w, act)) {
			return false
		}
	}
	return true
}

// keyPolicyAdmin: the key policy and grants alone make w an administrator.
// Without key_administrators in the profile these are the chosen ones: a
// right that only IAM gives is never taken as a choice.
func (a *access) keyPolicyAdmin(w policy.Who) bool {
	for _, act := range policy.AdminActions {
		if !a.m.Decide(w, act).Grants() {
			return false
		}
	}
	return true
}

// keyPolicyUser is keyPolicyAdmin for the key-user actions.
func (a *access) keyPolicyUser(w policy.Who) bool {
	for _, act := range policy.UserActions {
		if !a.m.Decide(w, act).Grants() {
			return false
		}
	}
	return true
}

// roleHolders are the own account's IAM users and roles that hold a role
// (every one of its actions, grant side), and whether every identity of
// the account does.
type roleHolders struct {
	ws   []policy.Who
	wide bool
	obs  string   // who holds it, and why
	none *outcome // not met: nobody holds it (and why the chosen do not)
	a    *access
}

// result is the outcome when nothing is chosen to compare with.
func (h roleHolders) result() outcome {
	if h.none != nil {
		return *h.none
	}
	return pass(sentence(h.obs, h.a.delegation(), h.a.notes()))
}

// holders finds who holds the role named title: is says whether a
// principal does, actions are the role's, listed the profile's choice.
func (a *access) holders(title string, is func(policy.Who) bool, actions, listed []string) roleHolders {
	h := roleHolders{ws: a.ownIAM(is), wide: is(a.ownAccount()), a: a}
	var found []string
	for _, w := range h.ws {
		found = append(found, a.whoWhy(w, a.decideAll(w, actions)))
	}
	if h.wide {
		found = append(found, a.everyone()+" ["+a.actionsWhy(a.decideAll(a.ownAccount(), actions))+"]")
	}
	head := title + " of account " + a.m.OwnAccount() + " (each allowed " + strings.Join(actions, ", ") + "): "
	if len(found) == 0 {
		why := a.notQuite(listed, actions)
		o := notMet(sentence(head+"none", detailed("not every one of them: ", why), a.delegation(), a.notes()))
		h.none = &o
		return h
	}
	h.obs = head + bounded(found, maxItems)
	return h
}

// ownAccount is an identity of some IAM user or role of the key's account
// that no statement names.
func (a *access) ownAccount() policy.Who { return policy.WhoAccountIdentity(a.m.OwnAccount()) }

// isOwn: a principal of the key's own account (and partition).
func (a *access) isOwn(w policy.Who) bool {
	p := a.m.Partition()
	return w.Account == a.m.OwnAccount() && (w.Partition == "" || w.Partition == p)
}

// ownIAM lists the principals asked about that are IAM users or roles of
// the own account and satisfy keep.
func (a *access) ownIAM(keep func(policy.Who) bool) []policy.Who {
	var out []policy.Who
	for _, w := range a.whos {
		if w.IsIAMIdentity() && a.isOwn(w) && keep(w) {
			out = append(out, w)
		}
	}
	return out
}

// delegation names the own account's root statements when they leave some
// answer to IAM policies: "" when they do not.
func (a *access) delegation() string {
	if a.delegationText == nil {
		s := a.wordDelegation()
		a.delegationText = &s
	}
	return *a.delegationText
}

func (a *access) wordDelegation() string {
	type sourceID struct { // a statement by index, a grant by ID
		statement int
		grant     string
	}
	seen := map[sourceID]bool{}
	var srcs []policy.Source
	for _, act := range policy.KMSActions() {
		d := a.decide(a.ownAccount(), act)
		if !d.IAMDecides {
			continue
		}
		for _, s := range d.Delegation {
			if id := (sourceID{s.Statement, s.GrantID}); !seen[id] {
				seen[id] = true
				srcs = append(srcs, s)
			}
		}
	}
	if len(srcs) == 0 {
		return ""
	}
	if a.ids != nil {
		return fmt.Sprintf("IAM evaluated: the %d IAM users and roles of account %s, through the root delegation (%s), their identity policies and permissions boundaries; %s",
			len(a.ids), a.m.OwnAccount(), sources(srcs), iamNotEvaluated)
	}
	if a.iamErr != "" {
		return "IAM policies decide for the other identities of account " + a.m.OwnAccount() + " (" + sources(srcs) + "): the IAM evidence could not be evaluated (" + a.iamErr + ")"
	}
	return "IAM policies decide for the other identities of account " + a.m.OwnAccount() + " (" + sources(srcs) + "): they may give more than the key policy shows"
}

// notes reports what the model noticed in the policy and grants: stale
// unique IDs (deleted users or roles, matching nobody), principals it
// cannot read, statements without Resource.
func (a *access) notes() string {
	if a.notesText == nil {
		s := a.wordNotes()
		a.notesText = &s
	}
	return *a.notesText
}

func (a *access) wordNotes() string {
	var out []string
	for _, n := range a.m.Notes() {
		out = append(out, n.Text)
	}
	if len(out) == 0 {
		return ""
	}
	return "the model notes: " + bounded(out, 3)
}

// --- Saying why -------------------------------------------------------------

// maxItems bounds each list in an observed text; beyond it, "and N more".
const maxItems = 4

// bounded joins items, summarising those beyond n.
func bounded(items []string, n int) string {
	if len(items) <= n {
		return strings.Join(items, "; ")
	}
	return strings.Join(items[:n], "; ") + fmt.Sprintf("; and %d more", len(items)-n)
}

// keySources is sources with each named by Source.KeyPolicyName.
func keySources(srcs []policy.Source) string { return sourceList(srcs, policy.Source.KeyPolicyName) }

// sources names statements (index and Sid) and grants.
func sources(srcs []policy.Source) string { return sourceList(srcs, policy.Source.String) }

// sourceList names a few sources and counts the rest.
func sourceList(srcs []policy.Source, name func(policy.Source) string) string {
	names := make([]string, len(srcs))
	for i, s := range srcs {
		names[i] = name(s)
	}
	if len(names) > 3 {
		return strings.Join(names[:3], ", ") + fmt.Sprintf(" and %d more", len(names)-3)
	}
	return strings.Join(names, ", ")
}

// answer says how one decision came about, without the principal and the
// action: the answer, the sources that gave it, the keys left open, the
// root delegation, the cross-account rule.
func answer(d policy.Decision) string {
	definite := func(srcs []policy.Source) []policy.Source {
		var out []policy.Source
		for _, s := range srcs {
			if !s.Conditional {
				out = append(out, s)
			}
		}
		return out
	}
	// if-chains, not switch cases, so that mutation testing sees them.
	if d.CrossAccountBlocked {
		return "NOT ALLOWED across accounts (" + sources(d.Allow) + " would allow it, but AWS never allows it to another account)"
	}
	if d.IAMDecides {
		s := "IAM policies decide (" + sources(d.Delegation) + ")"
		if len(d.Deny) > 0 {
			s += ", unless denied by " + sources(d.Deny) + " (on " + strings.Join(unresolvedOf(d.Deny), ", ") + ")"
		}
		return s
	}
	if d.Answer == policy.Allowed {
		return "ALLOWED by " + sources(d.Allow)
	}
	if d.Answer == policy.Conditional {
		s := "CONDITIONAL on " + strings.Join(d.Unresolved, ", ") + " (allowed by " + sources(d.Allow)
		if len(d.Deny) > 0 {
			s += "; denied by " + sources(d.Deny)
		}
		return s + ")"
	}
	if denials := definite(d.Deny); len(denials) > 0 {
		return "NOT ALLOWED: denied by " + sources(denials)
	}
	return "NOT ALLOWED: no statement or grant allows it"
}

// answer is answer for the principals the IAM member answers for too: the
// key policy's statements and grants, the identity policies and the
// boundary that gave (or took) the right.
func (a *access) answer(d policy.Decision) string {
	ed, ok := a.eff[question{d.Who, d.Action}]
	if !ok {
		return answer(d)
	}
	iam := func(srcs []policy.IAMSource) string {
		names := make([]string, len(srcs))
		for i, s := range srcs {
			names[i] = s.String()
		}
		return bounded(names, 3)
	}
	var by []string
	if len(ed.Key.Allow) > 0 && !ed.Key.CrossAccountBlocked {
		by = append(by, keySources(ed.Key.Allow))
	}
	if ed.ViaIAM {
		by = append(by, "the root delegation ("+sources(ed.Key.Delegation)+") and "+iam(ed.IAMAllow))
	}
	if len(ed.BoundaryAllow) > 0 && ed.Answer != policy.NotAllowed {
		by = append(by, "within "+iam(ed.BoundaryAllow))
	}
	denied := append(append([]policy.IAMSource(nil), ed.IAMDeny...), ed.BoundaryDeny...)
	switch ed.Answer {
	case policy.Allowed:
		return "ALLOWED by " + strings.Join(by, "; ")
	case policy.Conditional:
		s := "CONDITIONAL on " + strings.Join(effUnresolved(ed), ", ") + " (allowed by " + strings.Join(by, "; ")
		if len(ed.Key.Deny) > 0 {
			s += "; denied by key policy " + sources(ed.Key.Deny)
		}
		if len(denied) > 0 {
			s += "; denied by " + iam(denied)
		}
		return s + ")"
	}
	// NOT ALLOWED: the model's own sentence, without the principal and the
	// action, and without the not-evaluated note the result gives once.
	why := strings.TrimPrefix(ed.Why(), fmt.Sprintf("%s %s: %s", ed.Key.Who, d.Action, ed.Answer))
	why = strings.TrimPrefix(why, "; ")
	if i := strings.Index(why, "; service control"); i >= 0 {
		why = why[:i]
	}
	return "NOT ALLOWED (key policy, grants and IAM): " + why
}

// sourcesOf names what gives the right, for an auditor to follow: key
// policy statements (index and Sid) and grants, and for an IAM answer the
// identity policy statements (through the root delegation) and the
// permissions boundary statements it stays within.
func (a *access) sourcesOf(d policy.Decision) []string {
	var out []string
	ed, isIAM := a.eff[question{d.Who, d.Action}]
	allow := d.Allow
	if isIAM {
		allow = ed.Key.Allow
	}
	for _, s := range allow {
		out = append(out, s.KeyPolicyName())
	}
	if !isIAM {
		return out
	}
	if ed.ViaIAM {
		for _, s := range ed.IAMAllow {
			out = append(out, s.String())
		}
	}
	for _, s := range ed.BoundaryAllow {
		out = append(out, "within "+s.String())
	}
	return out
}

// asRole is the ARN a profile names w by: a session's role, else w's own.
func (a *access) asRole(w policy.Who) string {
	if w.Kind == policy.WhoKindSession {
		return "arn:" + a.m.Partition() + ":iam::" + w.Account + ":role/" + w.Name
	}
	return w.String()
}

func unresolvedOf(srcs []policy.Source) []string {
	var out []string
	seen := map[string]bool{}
	for _, s := range srcs {
		for _, u := range s.Unresolved {
			if !seen[u] {
				seen[u] = true
				out = append(out, u)
			}
		}
	}
	return out
}

// actionsWhy says why one principal got its answers: the actions grouped by
// how each answer came about, in the order first seen.
func (a *access) actionsWhy(ds []policy.Decision) string {
	var order []string
	byWhy := map[string][]string{}
	for _, d := range ds {
		w := a.answer(d)
		if _, ok := byWhy[w]; !ok {
			order = append(order, w)
		}
		byWhy[w] = append(byWhy[w], d.Action)
	}
	parts := make([]string, len(order))
	for i, w := range order {
		parts[i] = actionList(byWhy[w]) + " " + w
	}
	return bounded(parts, 3)
}

// actionList names a few actions and counts the rest.
func actionList(acts []string) string {
	acts = append([]string(nil), acts...)
	sort.Strings(acts)
	if len(acts) > 3 {
		return strings.Join(acts[:3], ", ") + fmt.Sprintf(" and %d more", len(acts)-3)
	}
	return strings.Join(acts, ", ")
}

// whoWhy is one principal and why: "arn:... [kms:Decrypt ALLOWED by ...]".
func (a *access) whoWhy(w policy.Who, ds []policy.Decision) string {
	return w.String() + " [" + a.actionsWhy(ds) + "]"
}

// lacking says why w is not given every one of actions (grant side).
func (a *access) lacking(w policy.Who, actions []string) string {
	return a.whoWhy(w, a.holding(w, actions, func(d policy.Decision) bool { return !a.grants(d) }))
}

// notQuite says why none of the chosen principals (listed, else the own
// IAM users and roles given some of the actions) is given all of actions.
func (a *access) notQuite(listed []string, actions []string) []string {
	var ws []policy.Who
	if listed != nil {
		for _, arn := range listed {
			w, _ := policy.WhoARN(arn) // read when the model was built
			ws = append(ws, w)
		}
	} else {
		ws = a.ownIAM(func(w policy.Who) bool { return len(a.holding(w, actions, a.grants)) > 0 })
	}
	var why []string
	for _, w := range ws {
		why = append(why, a.lacking(w, actions))
	}
	return why
}

// everyone names the account-wide identity in a list of principals.
func (a *access) everyone() string {
	return "every identity of account " + a.m.OwnAccount()
}

// whoList names principals.
func whoList(ws []policy.Who) []string {
	out := make([]string, len(ws))
	for i, w := range ws {
		out[i] = w.String()
	}
	return out
}

// sentence joins the parts of an observed text that are not empty.
func sentence(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	return strings.Join(out, "; ")
}

func diffNote(missing, extra []string) string {
	return sentence(prefixed("expected but absent: ", missing), prefixed("present but not expected: ", extra))
}

// prefixed is "" for no items, else the prefix and the items.
func prefixed(prefix string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return prefix + names(items)
}

// detailed is prefixed for entries that hold commas themselves.
func detailed(prefix string, items []string) string {
	if len(items) == 0 {
		return ""
	}
	return prefix + bounded(items, maxItems)
}

// names lists a few names and counts the rest: "a, b and 3 more".
func names(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	if len(items) > maxItems {
		return strings.Join(items[:maxItems], ", ") + fmt.Sprintf(" and %d more", len(items)-maxItems)
	}
	return strings.Join(items, ", ")
}
