package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// "The IAM side" of the access model, one rule per case, each citing the
// AWS page it rests on.
func TestDecideEffectiveIAMSide(t *testing.T) {
	const (
		evalBasics = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_evaluation-logic_policy-eval-basics.html"
		boundaries = "https://docs.aws.amazon.com/IAM/latest/UserGuide/access_policies_boundaries.html"
		notPrinc   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_notprincipal.html"
		inIAM      = "https://docs.aws.amazon.com/kms/latest/developerguide/cmks-in-iam-policies.html"
		rootUser   = "https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam"
		bypass     = "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check"

		roleARN    = "arn:aws:iam::111122223333:role/App"
		sessionARN = "arn:aws:sts::111122223333:assumed-role/App/s1"
		userARN    = "arn:aws:iam::111122223333:user/alice"
		noKMS      = `{"Effect":"Allow","Action":["s3:*","logs:*"],"Resource":"*"}`
		kmsAll     = `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`
		decrypt    = `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`
	)
	keyAllows := func(p string) string {
		return `{"Effect":"Allow","Principal":{"AWS":"` + p + `"},"Action":["kms:Decrypt","kms:PutKeyPolicy"],"Resource":"*"}`
	}
	notPrincipalDeny := func(listed, c string) string {
		s := `{"Effect":"Deny","NotPrincipal":{"AWS":["` + listed + `","arn:aws:iam::111122223333:root"]},"Action":"kms:*","Resource":"*"`
		if c != "" {
			s += `,"Condition":` + c
		}
		return s + "}"
	}
	tests := []struct {
		name, doc      string
		key            []string
		who            string
		group          []string // identity policies (as if a group's)
		boundary       []string // nil: no boundary
		action         string
		want           Answer
		grants         bool
		sourceContains string
	}{
		{"key policy names the role: the boundary's implicit deny removes it", boundaries,
			[]string{keyAllows(roleARN)}, roleARN, nil, []string{noKMS}, "kms:Decrypt", NotAllowed, false, ""},
		{"key policy names the role: a boundary allowing KMS keeps it", boundaries,
			[]string{keyAllows(roleARN)}, roleARN, nil, []string{kmsAll}, "kms:Decrypt", Allowed, true, "key policy statement 0"},
		{"key policy names a session: not limited by the role's boundary", evalBasics,
			[]string{keyAllows(sessionARN)}, sessionARN, nil, []string{noKMS}, "kms:Decrypt", Allowed, true, "key policy statement 0"},
		{"key policy names the role, asked for a session: limited", evalBasics,
			[]string{keyAllows(roleARN)}, sessionARN, nil, []string{noKMS}, "kms:Decrypt", NotAllowed, false, ""},
		{"key policy names the user: not limited by the boundary", evalBasics,
			[]string{keyAllows(userARN)}, userARN, nil, []string{noKMS}, "kms:Decrypt", Allowed, true, "key policy statement 0"},
		{"an explicit Deny in the boundary still wins for a named user", boundaries,
			[]string{keyAllows(userARN)}, userARN, nil, []string{kmsAll, `{"Effect":"Deny","Action":"kms:Decrypt","Resource":"*"}`}, "kms:Decrypt", NotAllowed, false, ""},
		{"principal * for a bounded role: AWS does not say, CONDITIONAL", evalBasics,
			[]string{`{"Effect":"Allow","Principal":"*","Action":"kms:Decrypt","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}`},
			roleARN, nil, []string{noKMS}, "kms:Decrypt", Conditional, false, "key policy statement 0"},
		{"root delegation: a group's policy allows, within the boundary", docRootIAM,
			[]string{rootDelegation}, userARN, []string{decrypt}, []string{kmsAll}, "kms:Decrypt", Allowed, true, "permissions boundary"},
		{"root delegation: the boundary alone gives nothing", boundaries,
			[]string{rootDelegation}, userARN, nil, []string{kmsAll}, "kms:Decrypt", NotAllowed, false, ""},
		{"root delegation: an alias ARN in the identity policy never names the key", inIAM,
			[]string{rootDelegation}, userARN, []string{`{"Effect":"Allow","Action":"kms:Decrypt","Resource":"arn:aws:kms:us-east-1:111122223333:alias/app"}`}, nil, "kms:Decrypt", NotAllowed, false, ""},
		{"NotPrincipal + Deny always denies an identity with a boundary", boundaries,
			[]string{keyAllows(userARN), notPrincipalDeny(userARN, "")}, userARN, nil, []string{kmsAll}, "kms:PutKeyPolicy", NotAllowed, false, ""},
		{"NotPrincipal + Deny exempts the listed identity without a boundary", notPrinc,
			[]string{keyAllows(userARN), notPrincipalDeny(userARN, "")}, userARN, nil, nil, "kms:PutKeyPolicy", Allowed, true, "key policy statement 0"},
		{"NotPrincipal + Deny with a boundary: the Condition still decides", boundaries,
			[]string{keyAllows(userARN), notPrincipalDeny(userARN, `{"Bool":{"aws:SecureTransport":"false"}}`)}, userARN, nil, []string{kmsAll}, "kms:PutKeyPolicy", Conditional, true, "key policy statement 0"},
		{"an identity-policy Deny on a request property leaves the grant side", bypass,
			[]string{keyAllows(userARN)}, userARN, []string{`{"Effect":"Deny","Action":"kms:PutKeyPolicy","Resource":"*","Condition":{"Bool":{"kms:BypassPolicyLockoutSafetyCheck":"true"}}}`}, nil, "kms:PutKeyPolicy", Conditional, true, ""},
		{"an identity-policy Deny on a principal tag: not on the grant side", evalBasics,
			[]string{keyAllows(userARN)}, userARN, []string{`{"Effect":"Deny","Action":"kms:PutKeyPolicy","Resource":"*","Condition":{"StringEquals":{"aws:PrincipalTag/x":"y"}}}`}, nil, "kms:PutKeyPolicy", Conditional, false, ""},
		{"the root user needs no identity policy", rootUser,
			[]string{rootDelegation}, ownRoot, nil, nil, "kms:PutKeyPolicy", Allowed, true, "root delegation"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := newModel(t, policyOf(tt.key...), nil)
			id := Identity{Who: mustWho(t, tt.who)}
			if len(tt.group) > 0 {
				id.Policies = append(id.Policies, idPolicy(t, `inline policy "p" of group G`, tt.group...))
			}
			if tt.boundary != nil {
				b := idPolicy(t, "permissions boundary arn:aws:iam::111122223333:policy/B", tt.boundary...)
				id.Boundary = &b
			}
			d := m.DecideEffective(id, tt.action)
			require.Equal(t, tt.want, d.Answer, "%s\n%s", tt.doc, d.Why())
			assert.Equal(t, tt.grants, d.Grants(), "grant side: %s", d.Why())
			assert.Equal(t, tt.want != NotAllowed, d.Risks())
			if tt.sourceContains != "" {
				assert.Contains(t, strings.Join(d.Sources(), "; "), tt.sourceContains, d.Why())
			}
			if d.Answer == NotAllowed {
				assert.Empty(t, d.Sources(), "nothing gives a right that is not held: %s", d.Why())
			}
		})
	}
}
