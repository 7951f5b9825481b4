package policy

import (
	"sort"
	"strings"
	"sync"
)

// Analysis answers who may do what under one key policy. Statements are
// identified by their position in Doc.Statements, never by Sid.
type Analysis struct {
	Doc        *Document
	OwnAccount string // the key's account

	once sync.Once
	ix   *index
}

// Analyze prepares doc for questions about the key of account ownAccount.
// A nil doc is a policy with no statements.
func Analyze(doc *Document, ownAccount string) *Analysis {
	return &Analysis{Doc: doc, OwnAccount: ownAccount}
}

// index is what the questions need from each statement, computed once.
type index struct {
	stmts      []stmtInfo
	principals []Principal // Principals(), sorted
}

type stmtInfo struct {
	allow, deny   bool
	unconditional bool
	hasPrincipal  bool            // Principal present (else NotPrincipal, or neither in a hand-built Document)
	hasNot        bool            // NotPrincipal present
	wildcard      bool            // the Principal or NotPrincipal set is a wildcard
	listed        map[string]bool // ids of the principals listed in that set
	notAction     bool
	patterns      [][]rune // lower-cased Action or NotAction patterns
	allKMS        bool     // Action has "*" or "kms:*"
	pinned        bool
	accounts      []string // pinned accounts, sorted
}

func (a *Analysis) index() *index {
	a.once.Do(func() { a.ix = buildIndex(a.Doc) })
	return a.ix
}

func buildIndex(doc *Document) *index {
	ix := &index{}
	if doc == nil {
		return ix
	}
	seen := map[string]bool{}
	add := func(p Principal) {
		if !seen[p.id()] {
			seen[p.id()] = true
			ix.principals = append(ix.principals, p)
		}
	}
	for i := range doc.Statements {
		st := &doc.Statements[i]
		si := stmtInfo{
			allow:         st.Effect == "Allow",
			deny:          st.Effect == "Deny",
			unconditional: len(st.Conditions) == 0,
			listed:        map[string]bool{},
		}
		set := st.Principal
		if set != nil {
			si.hasPrincipal = true
		} else if st.NotPrincipal != nil {
			si.hasNot, set = true, st.NotPrincipal
		}
		if set != nil {
			si.wildcard = set.Wildcard
			for _, p := range set.Principals {
				si.listed[p.id()] = true
			}
		}
		patterns := st.Actions
		if len(st.NotActions) > 0 {
			si.notAction, patterns = true, st.NotActions
		}
		for _, pat := range patterns {
			si.patterns = append(si.patterns, []rune(strings.ToLower(pat)))
			if !si.notAction && (pat == "*" || strings.EqualFold(pat, "kms:*")) {
				si.allKMS = true
			}
		}
		si.pinned, si.accounts = pinning(st.Conditions)
		ix.stmts = append(ix.stmts, si)

		if !si.allow {
			continue
		}
		if si.hasPrincipal {
			for _, p := range st.Principal.Principals {
				add(p)
			}
		}
		if (si.hasPrincipal && si.wildcard) || si.hasNot {
			// A broad Allow pinned to accounts lets those accounts in.
			for _, acct := range si.accounts {
				add(ParsePrincipal("AWS", acct))
			}
		}
	}
	sort.SliceStable(ix.principals, func(i, j int) bool {
		pi, pj := ix.principals[i], ix.principals[j]
		if pi.ARN != pj.ARN {
			return pi.ARN < pj.ARN
		}
		return pi.Type < pj.Type
	})
	return ix
}

// matchesPrincipal: listed principals match; a wildcard Principal or any
// NotPrincipal admits everyone (not listed in the NotPrincipal), restricted
// to the pinned accounts when the statement names any. An account root
// matches only itself, not the users and roles of its account.
func (si *stmtInfo) matchesPrincipal(p Principal) bool {
	switch {
	case si.hasPrincipal:
		if si.listed[p.id()] {
			return true
		}
		if !si.wildcard {
			return false
		}
	case si.hasNot:
		if si.wildcard || si.listed[p.id()] {
			return false
		}
	default:
		return false
	}
	if len(si.accounts) == 0 {
		return true
	}
	i := sort.SearchStrings(si.accounts, p.Account)
	return i < len(si.accounts) && si.accounts[i] == p.Account
}

// matchesAction takes a lower-cased action. A NotAction statement covers
// every action none of its patterns match.
func (si *stmtInfo) matchesAction(action []rune) bool {
	matched := false
	for _, pat := range si.patterns {
		if glob(pat, action) {
			matched = true
			break
		}
	}
	return matched != si.notAction
}

// Principals returns every distinct principal named in an Allow statement's
// Principal, plus the root of each account that a broad Allow (wildcard
// Principal or NotPrincipal) is pinned to. Sorted by ARN.
func (a *Analysis) Principals() []Principal {
	return append([]Principal(nil), a.index().principals...)
}

// Allowed returns the indexes of the Allow statements that grant p the
// concrete action, or nil when none does or an unconditional Deny removes
// it. Conditional Allows count; a Deny with any condition removes nothing.
func (a *Analysis) Allowed(p Principal, action string) []int {
	return a.grants(p, a.relevant(action))
}

// relevant returns the statements that can decide action: the Allows and
// the unconditional Denys whose actions cover it. Computing it once per
// action keeps the Holders questions linear in principals.
func (a *Analysis) relevant(action string) []int {
	act := []rune(strings.ToLower(action))
	var out []int
	for i, si := range a.index().stmts {
		if (si.allow || si.deny && si.unconditional) && si.matchesAction(act) {
			out = append(out, i)
		}
	}
	return out
}

func (a *Analysis) grants(p Principal, relevant []int) []int {
	var out []int
	for _, i := range relevant {
		si := &a.ix.stmts[i]
		if si.deny {
			if si.denies(p) {
				return nil
			}
			continue
		}
		if si.matchesPrincipal(p) {
			out = append(out, i)
		}
	}
	return out
}

// AllowedAll reports whether p is allowed every one of actions (true for
// none).
func (a *Analysis) AllowedAll(p Principal, actions []string) bool {
	for _, act := range actions {
		if len(a.Allowed(p, act)) == 0 {
			return false
		}
	}
	return true
}

// HoldersAll returns the principals of Principals() allowed every one of
// actions.
func (a *Analysis) HoldersAll(actions []string) []Principal {
	rel := make([][]int, len(actions))
	for j, act := range actions {
		rel[j] = a.relevant(act)
	}
	var out []Principal
	for _, p := range a.index().principals {
		all := true
		for _, r := range rel {
			if len(a.grants(p, r)) == 0 {
				all = false
				break
			}
		}
		if all {
			out = append(out, p)
		}
	}
	return out
}

// HoldersAny maps the ARN of each principal of Principals() allowed at
// least one of actions to the actions it holds, sorted.
func (a *Analysis) HoldersAny(actions []string) map[string][]string {
	out := map[string][]string{}
	for _, act := range actions {
		rel := a.relevant(act)
		for _, p := range a.index().principals {
			if len(a.grants(p, rel)) > 0 {
				out[p.ARN] = append(out[p.ARN], act)
			}
		}
	}
	for arn, held := range out {
		sort.Strings(held)
		out[arn] = compact(held)
	}
	return out
}

func compact(s []string) []string {
	out := s[:0]
	for i, v := range s {
		if i == 0 || v != s[i-1] {
			out = append(out, v)
		}
	}
	return out
}

// Administrators returns the key administrators: principals allowed every
// AdminAction. The own-account root is not one: its kms:* only delegates to
// IAM.
func (a *Analysis) Administrators() []Principal { return a.holdersExceptOwnRoot(AdminActions) }

// Users returns the key users: principals allowed every UserAction, except
// the own-account root.
func (a *Analysis) Users() []Principal { return a.holdersExceptOwnRoot(UserActions) }

// DeletionHolders returns the principals allowed kms:ScheduleKeyDeletion,
// except the own-account root.
func (a *Analysis) DeletionHolders() []Principal { return a.holdersExceptOwnRoot(DeletionActions) }

func (a *Analysis) holdersExceptOwnRoot(actions []string) []Principal {
	var out []Principal
	for _, p := range a.HoldersAll(actions) {
		if !a.isOwnRoot(p) {
			out = append(out, p)
		}
	}
	return out
}

func (a *Analysis) isOwnRoot(p Principal) bool {
	return p.Kind == KindAccount && p.Account != "" && p.Account == a.OwnAccount
}

// RootDelegation returns the indexes of the Allow statements that give the
// own account's root (bare ID or root ARN) "*" or "kms:*": the IAM
// delegation. It is cancelled (nil) when an unconditional Deny takes
// kms:PutKeyPolicy from the root, since the delegation is what keeps the
// key manageable through IAM.
func (a *Analysis) RootDelegation() []int {
	if !isAccountID(a.OwnAccount) {
		return nil
	}
	root := ParsePrincipal("AWS", a.OwnAccount)
	var out []int
	for i, si := range a.index().stmts {
		if si.allow && si.hasPrincipal && si.listed[root.id()] && si.allKMS {
			out = append(out, i)
		}
	}
	if len(out) > 0 && a.denied(root, "kms:PutKeyPolicy") {
		return nil
	}
	return out
}

// denied reports whether an unconditional Deny removes action from p.
func (a *Analysis) denied(p Principal, action string) bool {
	for _, i := range a.relevant(action) {
		if si := &a.ix.stmts[i]; si.deny && si.denies(p) {
			return true
		}
	}
	return false
}

// denies reports whether a Deny statement reaches p. A Deny naming an
// account covers every principal of that account: unlike an Allow, which
// only delegates to IAM, it binds the whole account.
func (si *stmtInfo) denies(p Principal) bool {
	if si.matchesPrincipal(p) {
		return true
	}
	return si.hasPrincipal && p.Kind != KindAccount && p.Account != "" && si.listed["account:"+p.Account]
}

// Public returns the indexes of the Allow statements open to everyone: a
// wildcard Principal or any NotPrincipal, with no pinning condition.
func (a *Analysis) Public() []int {
	var out []int
	for i, si := range a.index().stmts {
		if si.allow && ((si.hasPrincipal && si.wildcard) || si.hasNot) && !si.pinned {
			out = append(out, i)
		}
	}
	return out
}

// Pinning reports whether statement stmt has a condition that pins the
// caller, and the fixed accounts those conditions name (sorted). Keys such
// as aws:PrincipalOrgID or kms:ViaService pin without naming an account.
func (a *Analysis) Pinning(stmt int) (pinned bool, accounts []string) {
	ix := a.index()
	if stmt < 0 || stmt >= len(ix.stmts) {
		return false, nil
	}
	si := ix.stmts[stmt]
	return si.pinned, append([]string(nil), si.accounts...)
}

// pinKeys are the condition keys that pin a caller; the value says whether
// the key names an account directly ("account"), inside an ARN ("arn"), or
// not at all ("").
var pinKeys = map[string]string{
	"aws:principalaccount": "account",
	"kms:calleraccount":    "account",
	"aws:sourceaccount":    "account",
	"aws:principalarn":     "arn",
	"aws:sourcearn":        "arn",
	"aws:principalorgid":   "",
	"aws:sourcevpc":        "",
	"aws:sourcevpce":       "",
	"kms:viaservice":       "",
}

// pinOperators are the positive exact-match operators. Operators are case
// sensitive in IAM, so a differently spelled one does not pin; neither do
// IfExists, ForAnyValue:/ForAllValues: or negated forms.
var pinOperators = map[string]bool{
	"StringEquals": true, "StringEqualsIgnoreCase": true, "StringLike": true,
	"ArnEquals": true, "ArnLike": true,
}

func pinning(conds []Condition) (bool, []string) {
	pinned := false
	seen := map[string]bool{}
	var accounts []string
	for _, c := range conds {
		kind, ok := pinKeys[strings.ToLower(c.Key)]
		if !ok || !pinOperators[c.Operator] || !fixedValues(c.Values) {
			continue
		}
		pinned = true
		for _, v := range c.Values {
			acct := ""
			switch kind {
			case "account":
				acct = v
			case "arn":
				if f := strings.SplitN(v, ":", 6); len(f) == 6 && f[0] == "arn" {
					acct = f[4]
				}
			}
			if isAccountID(acct) && !seen[acct] {
				seen[acct] = true
				accounts = append(accounts, acct)
			}
		}
	}
	sort.Strings(accounts)
	return pinned, accounts
}

// fixedValues: at least one value and none with a wildcard or a policy
// variable (${aws:PrincipalAccount} would match every caller).
func fixedValues(values []string) bool {
	if len(values) == 0 {
		return false
	}
	for _, v := range values {
		if strings.ContainsAny(v, "*?") || strings.Contains(v, "${") {
			return false
		}
	}
	return true
}

// ExternalAccounts returns the accounts, other than OwnAccount, of the
// principals in Principals(); sorted and distinct.
func (a *Analysis) ExternalAccounts() []string {
	seen := map[string]bool{}
	var out []string
	for _, p := range a.index().principals {
		if p.Account != "" && p.Account != a.OwnAccount && !seen[p.Account] {
			seen[p.Account] = true
			out = append(out, p.Account)
		}
	}
	sort.Strings(out)
	return out
}

// UnknownPrincipals returns the principals of Principals() of KindUnknown.
func (a *Analysis) UnknownPrincipals() []Principal {
	var out []Principal
	for _, p := range a.index().principals {
		if p.Kind == KindUnknown {
			out = append(out, p)
		}
	}
	return out
}

// GrantConditions returns the conditions of the statements that grant p
// the action, in statement order without repeats: the evidence that a grant
// is qualified. A grant by an unconditional statement adds nothing.
func (a *Analysis) GrantConditions(p Principal, action string) []Condition {
	var out []Condition
	seen := map[string]bool{}
	for _, i := range a.Allowed(p, action) {
		for _, c := range a.Doc.Statements[i].Conditions {
			k := c.Operator + "\x00" + c.Key + "\x00" + strings.Join(c.Values, "\x00")
			if !seen[k] {
				seen[k] = true
				out = append(out, c)
			}
		}
	}
	return out
}
