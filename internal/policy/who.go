package policy

import (
	"errors"
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// WhoKind is the kind of principal a question is about.
type WhoKind string

// Principal kinds a question can be about.
const (
	WhoKindUser          WhoKind = "user"              // an IAM user
	WhoKindRole          WhoKind = "role"              // the sessions of an IAM role
	WhoKindSession       WhoKind = "session"           // one assumed-role session
	WhoKindRoot          WhoKind = "root"              // an account's root user
	WhoKindFederatedUser WhoKind = "federated-user"    // a GetFederationToken session
	WhoKindAccount       WhoKind = "account"           // some identity of an account that no statement names
	WhoKindOtherAccount  WhoKind = "any-other-account" // an identity of an account named nowhere
	WhoKindAnonymous     WhoKind = "anonymous"         // an unauthenticated caller
	WhoKindService       WhoKind = "service"           // an AWS service principal
	WhoKindFederated     WhoKind = "federated"         // a web identity or SAML provider's users
)

// Who is the principal a question is about. Build it with the Who*
// constructors or ParseWho.
type Who struct {
	Kind      WhoKind
	ARN       string // user, role, session, root, federated-user
	Partition string // "" means the key's partition
	Account   string // "" for any-other-account, anonymous, services, federated providers
	Name      string // user or role path and name; a session's role name; service or provider name
	Session   string // session name
	RoleARN   string // a session's role ARN with its path, when known
	// SourceAccount: for a service, the account whose resource it acts
	// for ("" when not known).
	SourceAccount string
}

// WhoARN is the principal an IAM or STS ARN names: a user, a role (meaning
// its sessions), an assumed-role session, a federated-user session or an
// account's root user.
func WhoARN(arn string) (Who, error) {
	p := ParsePrincipal("AWS", arn)
	if p.Raw != p.ARN { // a bare account ID
		return Who{}, fmt.Errorf("%q: an account ID is not an ARN; use WhoAccountIdentity or the root ARN", arn)
	}
	w := Who{ARN: arn, Partition: p.Partition, Account: p.Account}
	res, _ := awsid.ParseARN(arn) // ParsePrincipal read it: a known kind is an ARN
	switch p.Kind {
	case KindUser:
		w.Kind, w.Name = WhoKindUser, strings.TrimPrefix(res.Resource, "user/")
	case KindRole:
		w.Kind, w.Name = WhoKindRole, strings.TrimPrefix(res.Resource, "role/")
	case KindAssumedRole:
		parts := strings.Split(res.Resource, "/")
		w.Kind, w.Name, w.Session = WhoKindSession, parts[1], parts[2]
	case KindFederatedUser:
		w.Kind, w.Name = WhoKindFederatedUser, strings.TrimPrefix(res.Resource, "federated-user/")
	case KindAccount:
		w.Kind = WhoKindRoot
	default:
		return Who{}, fmt.Errorf("%q: not a user, role, session or root ARN", arn)
	}
	return w, nil
}

// WhoRoleSession is the session named session of the role roleARN. Unlike
// WhoARN of the session's ARN, it knows the role's path, so conditions on
// aws:PrincipalArn (the role's ARN) are settled.
func WhoRoleSession(roleARN, session string) (Who, error) {
	r, err := WhoARN(roleARN)
	if err != nil || r.Kind != WhoKindRole {
		return Who{}, fmt.Errorf("%q: not a role ARN", roleARN)
	}
	w, err := WhoARN("arn:" + r.Partition + ":sts::" + r.Account + ":assumed-role/" + r.roleName() + "/" + session)
	if err != nil {
		return Who{}, err
	}
	w.RoleARN = roleARN
	return w, nil
}

// WhoAccountIdentity is some IAM identity of account acct that no statement
// names by ARN.
func WhoAccountIdentity(acct string) Who { return Who{Kind: WhoKindAccount, Account: acct} }

// WhoAnyOtherAccount is an identity of an account that appears nowhere in
// the policy, its grants or the organisations given.
func WhoAnyOtherAccount() Who { return Who{Kind: WhoKindOtherAccount} }

// WhoAnonymous is an unauthenticated caller.
func WhoAnonymous() Who { return Who{Kind: WhoKindAnonymous} }

// WhoService is the AWS service principal name (e.g. logs.amazonaws.com),
// calling on behalf of a resource whose owner is not known.
func WhoService(name string) Who { return Who{Kind: WhoKindService, Name: name} }

// WhoServiceFor is the service principal name acting on behalf of a
// resource of account acct, so aws:SourceAccount (and the account field of
// aws:SourceArn) are known.
func WhoServiceFor(name, acct string) Who {
	return Who{Kind: WhoKindService, Name: name, SourceAccount: acct}
}

// WhoFederated is a user of the web identity or SAML provider p (a host
// name or a provider ARN), as a Federated principal element names it.
func WhoFederated(p string) Who { return Who{Kind: WhoKindFederated, Name: p} }

// ParseWho reads the vocabulary of the corpus format: an ARN (WhoARN),
// "account:<12 digits>", "any-other-account", "anonymous",
// "service:<name>" or "federated:<provider>".
func ParseWho(s string) (Who, error) {
	if s == "any-other-account" {
		return WhoAnyOtherAccount(), nil
	} else if s == "anonymous" {
		return WhoAnonymous(), nil
	} else if strings.HasPrefix(s, "account:") {
		acct := s[len("account:"):]
		if !awsid.IsAccountID(acct) {
			return Who{}, fmt.Errorf("%q: not a 12-digit account ID", s)
		}
		return WhoAccountIdentity(acct), nil
	} else if strings.HasPrefix(s, "service:") {
		if !isHostName(s[len("service:"):]) {
			return Who{}, fmt.Errorf("%q: not a service principal name", s)
		}
		return WhoService(s[len("service:"):]), nil
	} else if strings.HasPrefix(s, "federated:") {
		if s == "federated:" {
			return Who{}, errors.New(`"federated:": no provider`)
		}
		return WhoFederated(s[len("federated:"):]), nil
	} else if strings.HasPrefix(s, "arn:") {
		return WhoARN(s)
	}
	return Who{}, fmt.Errorf("%q: not a principal (want an ARN, account:<id>, any-other-account, anonymous, service:<name> or federated:<provider>)", s)
}

// String renders w in the vocabulary ParseWho reads.
func (w Who) String() string {
	switch w.Kind {
	case WhoKindUser, WhoKindRole, WhoKindSession, WhoKindRoot, WhoKindFederatedUser:
		return w.ARN
	case WhoKindAccount:
		return "account:" + w.Account
	case WhoKindOtherAccount, WhoKindAnonymous:
		return string(w.Kind)
	case WhoKindService:
		if w.SourceAccount == anotherSourceAccount {
			return "service:" + w.Name + " for another account"
		} else if w.SourceAccount != "" {
			return "service:" + w.Name + " for account " + w.SourceAccount
		}
		return "service:" + w.Name
	case WhoKindFederated:
		return "federated:" + w.Name
	}
	return "unknown principal"
}

// roleName is the role of a role or session.
func (w Who) roleName() string {
	if w.Kind == WhoKindRole {
		return w.Name[strings.LastIndex(w.Name, "/")+1:]
	}
	return w.Name
}

// hasAccount: the identity belongs to a known account.
func (w Who) hasAccount() bool {
	switch w.Kind {
	case WhoKindUser, WhoKindRole, WhoKindSession, WhoKindRoot, WhoKindFederatedUser, WhoKindAccount:
		return w.Account != ""
	}
	return false
}
