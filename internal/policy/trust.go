package policy

// Role trust policies: who may become a role (spec, "Who can become a
// principal"). A trust policy (AssumeRolePolicyDocument) is read with the
// key policy's statement rules; its "resource" is the role itself.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// ParseTrustPolicy parses a role's trust policy strictly: each statement
// names a Principal or NotPrincipal and no Resource (IAM refuses one).
// Errors name the field (Statement[i].Field).
func ParseTrustPolicy(doc []byte) (*Document, error) {
	return parseDocument(doc, "trust policy", MaxIdentityPolicySize, func(i int, v any) (Statement, error) {
		st, err := parseStatement(i, v)
		if err == nil && (st.Resources != nil || st.NotResources != nil) {
			return st, errField("Resource", "a trust policy names no resource: the role is the resource")
		}
		return st, err
	})
}

// AssumerKind classifies who may assume a role.
type AssumerKind string

// Assumer kinds.
const (
	AssumerOwnAccount   AssumerKind = "own account"       // the own account's identities, as its IAM policies allow
	AssumerOtherAccount AssumerKind = "other account"     // an identity of a named other account
	AssumerAnyone       AssumerKind = "anyone"            // anonymous callers or an identity of any other account
	AssumerService      AssumerKind = "service"           // an AWS service principal
	AssumerProvider     AssumerKind = "identity provider" // a SAML or OIDC provider's users
)

// TrustActions are the actions that let a principal become a role.
// https://docs.aws.amazon.com/STS/latest/APIReference/API_Operations.html
var TrustActions = []string{"sts:AssumeRole", "sts:AssumeRoleWithSAML", "sts:AssumeRoleWithWebIdentity"}

// Assumer is the answer for one principal that may (or may not) assume
// the role.
type Assumer struct {
	Who  Who
	Kind AssumerKind
	// Answer: ALLOWED, CONDITIONAL or NOT ALLOWED, the strongest over
	// TrustActions. For the own account through its root (ThroughIAM) it
	// is ALLOWED for the identities whose IAM policies allow sts:AssumeRole.
	Answer Answer
	// Allow, Deny: the trust statements (index, Sid) that allow or deny it.
	Allow, Deny []Source
	Unresolved  []string
	// ThroughIAM: only the own account's root names it: the account's IAM
	// policies decide which of its identities may assume the role.
	ThroughIAM bool
	// OrgOnly: open only on the organisation keys: the organisation's
	// accounts may assume it, not everyone.
	OrgOnly bool
	// Account: the account the principal belongs to ("" for anyone,
	// services and providers named by host); for a provider ARN its
	// account.
	Account string
	Why     string
}

// Source names the trust statements for a report.
func (a Assumer) Source() string {
	if len(a.Allow) == 0 {
		return "no trust statement allows it"
	}
	s := make([]string, len(a.Allow))
	for i, x := range a.Allow {
		s[i] = "trust " + x.String()
	}
	return strings.Join(s, ", ")
}

// anotherSourceAccount stands for the account of a resource no policy
// names: a service acting for someone else's resource.
const anotherSourceAccount = "another account"

// WhoServiceForAnother is the service principal name acting on behalf of a
// resource of an account no policy names: aws:SourceAccount and
// aws:SourceArn are present, equal to nothing a policy lists.
func WhoServiceForAnother(name string) Who { return WhoServiceFor(name, anotherSourceAccount) }

// Trust answers who may assume the role role (an own-account role) under
// its trust policy doc: every principal the policy names (accounts, other
// accounts' identities, services for the own account's resources and for
// others', identity providers), an identity of the own account, of each
// organisation account given, of any other account, and anonymous
// callers. Conditions are resolved as for key policies: aws:PrincipalOrgID
// admits the organisation's accounts, aws:SourceAccount the resources of
// the accounts it names. Sorted by Kind, then principal.
func (m *Model) Trust(role Who, doc *Document) []Assumer {
	tm := &Model{doc: doc, keyARN: role.ARN, partition: m.partition, own: m.own,
		orgKnown: m.orgKnown, orgOf: m.orgOf, roles: map[string]string{}}
	if tm.doc == nil {
		tm.doc = &Document{}
	}
	for i := range tm.doc.Statements {
		sm := tm.compile(&tm.doc.Statements[i])
		// The role is the resource of every statement.
		sm.resources, sm.notResource, sm.effective = []string{"*"}, false, true
		sm.res, sm.resU = tm.matchResource(&sm)
		tm.stmts = append(tm.stmts, sm)
	}
	var whos []Who
	seen := map[string]bool{}
	add := func(w Who) {
		if k := w.String(); !seen[k] {
			seen[k] = true
			whos = append(whos, w)
		}
	}
	add(WhoAccountIdentity(m.own))
	for _, st := range tm.doc.Statements {
		for _, ps := range []*PrincipalSet{st.Principal, st.NotPrincipal} {
			if ps == nil {
				continue
			}
			for _, p := range ps.Principals {
				switch p.Kind {
				case KindAccount:
					add(WhoAccountIdentity(p.Account))
				case KindUser, KindRole, KindAssumedRole, KindFederatedUser:
					if w, err := WhoARN(p.ARN); err == nil {
						add(w)
					}
				case KindService:
					add(WhoServiceFor(p.Raw, m.own))
					add(WhoServiceForAnother(p.Raw))
				case KindFederated:
					add(WhoFederated(p.Raw))
				}
			}
		}
	}
	for acct := range m.orgOf {
		add(WhoAccountIdentity(acct))
	}
	add(WhoAnyOtherAccount())
	add(WhoAnonymous())

	var out []Assumer
	for _, w := range whos {
		out = append(out, tm.assumer(w))
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Kind != out[j].Kind {
			return out[i].Kind < out[j].Kind
		}
		return out[i].Who.String() < out[j].Who.String()
	})
	return out
}

// assumer answers for one principal over TrustActions: the strongest answer.
func (tm *Model) assumer(w Who) Assumer {
	a := Assumer{Who: w, Answer: NotAllowed, Account: w.Account}
	switch {
	case w.Kind == WhoKindAnonymous || w.Kind == WhoKindOtherAccount:
		a.Kind = AssumerAnyone
	case w.Kind == WhoKindService:
		a.Kind = AssumerService
	case w.Kind == WhoKindFederated:
		a.Kind = AssumerProvider
		if f, ok := awsid.ARNFields(w.Name); ok && awsid.IsAccountID(f[4]) {
			a.Account = f[4]
		}
	case tm.isOwn(w):
		a.Kind = AssumerOwnAccount
	default:
		a.Kind = AssumerOtherAccount
	}
	rank := map[Answer]int{NotAllowed: 0, Conditional: 1, Allowed: 2}
	var best Decision
	for i, act := range TrustActions {
		d := tm.Decide(w, act)
		if d.IAMDecides && a.Kind == AssumerOwnAccount {
			// The root names the own account: its IAM decides who.
			d.Answer, d.Allow = Allowed, d.Delegation
			a.ThroughIAM = true
			if hasConditional(d.Delegation) {
				d.Answer = Conditional
			}
		}
		if i == 0 || rank[d.Answer] > rank[best.Answer] {
			best = d
		}
	}
	a.Answer, a.Allow, a.Deny, a.Unresolved, a.OrgOnly = best.Answer, best.Allow, best.Deny, best.Unresolved, best.OrgOnly()
	a.Why = fmt.Sprintf("%s may assume %s: %s; %s", w, tm.keyARN, a.Answer, a.Source())
	if len(a.Unresolved) > 0 {
		a.Why += "; depends on " + strings.Join(a.Unresolved, ", ")
	}
	if a.ThroughIAM {
		a.Why += "; the account's IAM policies decide which of its identities"
	}
	return a
}

func hasConditional(srcs []Source) bool {
	for _, s := range srcs {
		if s.Conditional {
			return true
		}
	}
	return false
}
