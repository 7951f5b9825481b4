package policy

import (
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// Kind classifies a principal.
type Kind string

// Principal kinds. KindUnknown is anything this package does not recognise
// (unique IDs like AROA..., typos, other partitions): the checks report it
// rather than guess.
const (
	KindAccount       Kind = "account"
	KindUser          Kind = "user"
	KindRole          Kind = "role"
	KindAssumedRole   Kind = "assumed-role"
	KindFederatedUser Kind = "federated-user" // arn:<p>:sts::<acct>:federated-user/<name> (GetFederationToken)
	KindService       Kind = "service"
	KindFederated     Kind = "federated"
	KindCanonicalUser Kind = "canonical-user"
	KindUnknown       Kind = "unknown"
)

// Principal is one principal named in a policy.
type Principal struct {
	Raw       string // as written
	Type      string // "AWS", "Service", "Federated", "CanonicalUser"
	Kind      Kind
	Partition string // aws, aws-cn, aws-us-gov ("" when none, e.g. a bare account ID)
	Account   string // 12 digits ("" when none: services, unknown principals)
	ARN       string // canonical identity: a bare account ID becomes arn:aws:iam::<id>:root; otherwise Raw
}

// partitions whose principals this model reads: a principal of another
// (aws-iso, ...) is KindUnknown, which the checks report rather than guess.
var partitions = map[string]bool{"aws": true, "aws-cn": true, "aws-us-gov": true}

// ParsePrincipal classifies the principal s given under typ ("AWS",
// "Service", "Federated", "CanonicalUser"). It never fails: anything
// malformed is KindUnknown with Account "".
func ParsePrincipal(typ, s string) Principal {
	p := Principal{Raw: s, Type: typ, Kind: KindUnknown, ARN: s}
	switch typ {
	case "AWS":
		if awsid.IsAccountID(s) {
			p.Kind, p.Account, p.ARN = KindAccount, s, "arn:aws:iam::"+s+":root"
			return p
		}
		a, ok := principalARN(s)
		if !ok {
			return p
		}
		kind := KindUnknown
		switch {
		case a.Service == "iam" && a.Resource == "root":
			kind = KindAccount
		case a.Service == "iam" && strings.HasPrefix(a.Resource, "user/") && validIAMPath(a.Resource[len("user/"):]):
			kind = KindUser
		case a.Service == "iam" && strings.HasPrefix(a.Resource, "role/") && validIAMPath(a.Resource[len("role/"):]):
			kind = KindRole
		case a.Service == "sts" && strings.HasPrefix(a.Resource, "assumed-role/"):
			// assumed-role/<role>/<session>: role names have no path here.
			parts := strings.Split(a.Resource, "/")
			if len(parts) == 3 && validIAMName(parts[1]) && validIAMName(parts[2]) {
				kind = KindAssumedRole
			}
		case a.Service == "sts" && strings.HasPrefix(a.Resource, "federated-user/") && validIAMName(a.Resource[len("federated-user/"):]):
			kind = KindFederatedUser
		}
		if kind != KindUnknown {
			p.Kind, p.Partition, p.Account = kind, a.Partition, a.Account
		}
	case "Service":
		if isHostName(s) {
			p.Kind = KindService
		}
	case "Federated":
		if a, ok := principalARN(s); ok {
			if a.Service == "iam" && (hasNonEmptySuffix(a.Resource, "saml-provider/") || hasNonEmptySuffix(a.Resource, "oidc-provider/")) &&
				!strings.ContainsAny(a.Resource, "*?") {
				p.Kind, p.Partition, p.Account = KindFederated, a.Partition, a.Account
			}
		} else if isHostName(s) {
			p.Kind = KindFederated
		}
	case "CanonicalUser":
		if len(s) == 64 && strings.Trim(s, "0123456789abcdef") == "" {
			p.Kind = KindCanonicalUser
		}
	}
	return p
}

// principalARN accepts arn:<partition>:<iam|sts>::<12 digits>:<resource>
// only: the forms a key policy principal can take.
func principalARN(s string) (awsid.ARN, bool) {
	a, err := awsid.ParseARN(s)
	if err != nil || !partitions[a.Partition] || a.Region != "" || !awsid.IsAccountID(a.Account) {
		return awsid.ARN{}, false
	}
	if a.Service != "iam" && a.Service != "sts" {
		return awsid.ARN{}, false
	}
	return a, true
}

// validIAMPath checks <path/>name after "user/" or "role/": non-empty
// segments of IAM name characters. Wildcards are not allowed in a
// principal, so they make the principal unknown.
func validIAMPath(s string) bool {
	for _, seg := range strings.Split(s, "/") {
		if !validIAMName(seg) {
			return false
		}
	}
	return true
}

func validIAMName(s string) bool {
	if s == "" {
		return false
	}
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9':
		case strings.ContainsRune("+=,.@_-", r):
		default:
			return false
		}
	}
	return true
}

// isHostName checks a service principal or identity provider name such as
// logs.amazonaws.com or accounts.google.com: lower-case DNS labels, at
// least two.
func isHostName(s string) bool {
	labels := strings.Split(s, ".")
	if len(labels) < 2 {
		return false
	}
	for _, l := range labels {
		if l == "" {
			return false
		}
		for _, r := range l {
			if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '-') {
				return false
			}
		}
	}
	return true
}

func hasNonEmptySuffix(s, prefix string) bool {
	return len(s) > len(prefix) && strings.HasPrefix(s, prefix)
}

// IsStaleID reports whether s is an IAM unique ID (AIDA... for a user,
// AROA... for a role) as KMS shows it in place of a principal that was
// deleted: it matches nobody, not even a new principal of the same name.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html#identifiers-unique-ids
func IsStaleID(s string) bool {
	if len(s) < 16 || len(s) > 128 {
		return false
	}
	switch s[:4] {
	case "AIDA", "AROA", "AIPA", "ANPA", "ANVA", "AGPA", "ASIA", "AKIA":
	default:
		return false
	}
	for i := 4; i < len(s); i++ {
		c := s[i]
		if !(c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
			return false
		}
	}
	return true
}
