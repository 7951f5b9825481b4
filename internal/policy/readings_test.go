package policy

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const (
	docOrgID    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid"
	docOrgPaths = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgpaths"
	docGrantee  = "https://docs.aws.amazon.com/kms/latest/APIReference/API_CreateGrant.html#KMS-CreateGrant-request-GranteePrincipal"
)

// aws:PrincipalOrgID "compare[s] the identifier of the organization ... to
// which the requesting principal belongs" (docOrgID): without the
// membership, an identity of another account may or may not belong. Such a
// pin admits the organisation, not everyone.
func TestOrgOnly(t *testing.T) {
	m := newModel(t, policyOf(
		allow(`"*"`, `"kms:Decrypt"`, cond(`{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)),
		allow(`"*"`, `"kms:Encrypt"`, cond(`{"ForAnyValue:StringLike":{"AWS:PrincipalOrgPaths":"o-a1b2c3d4e5/*"}}`)),
		allow(`"*"`, `"kms:Encrypt"`, cond(`{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)),
		allow(`"*"`, `"kms:Sign"`, cond(`{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`)),
		allow(`"*"`, `"kms:Sign"`, cond(`{"StringEquals":{"kms:ViaService":"s3.us-east-1.amazonaws.com"}}`)),
		allow(`"*"`, `"kms:Verify"`, cond(`{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5","aws:SourceIp":"203.0.113.7"}}`)),
		allow(`"*"`, `"kms:GenerateMac"`, ""),
		deny(`"*"`, `"kms:GenerateMac"`, cond(`{"StringNotEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}`))), nil)
	stranger := WhoAnyOtherAccount()
	tests := []struct {
		action  string
		answer  Answer
		orgOnly bool
		doc     string
	}{
		{"kms:Decrypt", Conditional, true, docOrgID},
		{"kms:Encrypt", Conditional, true, docOrgPaths}, // key names are case-insensitive
		{"kms:Sign", Conditional, false, docOrgID},      // another statement opens it to anyone calling through S3
		{"kms:Verify", Conditional, false, docOrgID},    // the source address too
		{"kms:GenerateMac", Conditional, false, docOrgID},
		{"kms:DescribeKey", NotAllowed, false, docOrgID},
	}
	for _, tt := range tests {
		d := m.Decide(stranger, tt.action)
		assert.Equal(t, tt.answer, d.Answer, "%s (%s): %s", tt.action, tt.doc, d.Why())
		assert.Equal(t, tt.orgOnly, d.OrgOnly(), "%s (%s): %s", tt.action, tt.doc, d.Why())
	}
	// An answer without sources, or with a source open for no key, is not.
	assert.False(t, Decision{Answer: Conditional}.OrgOnly())
	assert.False(t, Decision{Answer: Conditional, Allow: []Source{{Conditional: true}}}.OrgOnly())
	assert.False(t, Decision{Answer: Allowed, Allow: []Source{{Conditional: true, Unresolved: []string{"aws:PrincipalOrgID"}}}}.OrgOnly())
}

// Public is what CMK-USR-3 calls public.
func TestPublic(t *testing.T) {
	tests := []struct {
		name   string
		stmt   string
		public []string // who and action of each decision, in order
	}{
		{"organisation pin", allow(`"*"`, `"kms:Decrypt"`, cond(`{"StringEquals":{"aws:PrincipalOrgID":"o-1"}}`)), nil},
		{"own account pin", allow(`"*"`, `"kms:Decrypt"`, cond(`{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`)), nil},
		{"source address", allow(`"*"`, `"kms:Decrypt"`, cond(`{"IpAddress":{"aws:SourceIp":"198.51.100.0/24"}}`)),
			[]string{"anonymous kms:Decrypt", "any-other-account kms:Decrypt"}},
		{"anyone", allow(`"*"`, `"kms:Encrypt"`, ""), []string{"anonymous kms:Encrypt", "any-other-account kms:Encrypt"}},
		// Another account may not delete, whatever the policy says; an
		// anonymous caller belongs to no account, so the rule does not stop it.
		{"deletion", allow(`"*"`, `"kms:ScheduleKeyDeletion"`, ""), []string{"anonymous kms:ScheduleKeyDeletion"}},
		{"organisation or service", allow(`"*"`, `"kms:Decrypt"`, cond(`{"StringEquals":{"aws:PrincipalOrgID":"o-1","kms:ViaService":"s3.us-east-1.amazonaws.com"}}`)),
			[]string{"any-other-account kms:Decrypt"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var got []string
			for _, d := range newModel(t, policyOf(tt.stmt), nil).Public() {
				got = append(got, d.Who.String()+" "+d.Action)
				assert.True(t, d.Risks())
			}
			assert.Equal(t, tt.public, got)
		})
	}
}

// The root statement leaves the answer to IAM (docDefault); a Deny that
// may apply stops it unless it is open only on how the call is made.
func TestDelegated(t *testing.T) {
	root := `{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"kms:*","Resource":"*"}`
	tests := []struct {
		name      string
		stmts     []string
		delegated bool
	}{
		{"root statement", []string{root}, true},
		{"deny without TLS", []string{root, deny(`"*"`, `"kms:*"`, cond(`{"Bool":{"aws:SecureTransport":"false"}}`))}, true},
		// aws:MultiFactorAuthPresent is a property of the request (spec,
		// "Which answer counts"): the identity can call with MFA.
		{"deny without MFA", []string{root, deny(`"*"`, `"kms:PutKeyPolicy"`, cond(`{"Bool":{"aws:MultiFactorAuthPresent":"false"}}`))}, true},
		{"deny unless in the organisation", []string{root, deny(`"*"`, `"kms:PutKeyPolicy"`, cond(`{"StringNotEquals":{"aws:PrincipalOrgID":"o-abc"}}`))}, false},
		{"deny", []string{root, deny(`"*"`, `"kms:PutKeyPolicy"`, "")}, false},
		{"direct allow", []string{root, allow(`"*"`, `"kms:PutKeyPolicy"`, cond(`{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}`))}, false},
		{"no root statement", []string{allow(`{"AWS":"`+adm+`"}`, `"kms:*"`, "")}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newModel(t, policyOf(tt.stmts...), nil).Decide(WhoAccountIdentity(own), "kms:PutKeyPolicy")
			assert.Equal(t, tt.delegated, d.Delegated(), "%s (%s)", d.Why(), docDefault)
		})
	}
}

func TestGrantWho(t *testing.T) {
	tests := []struct {
		in      string
		want    string
		account string
	}{
		{"444455556666", "account:444455556666", "444455556666"},
		{"arn:aws:iam::444455556666:root", "account:444455556666", "444455556666"},
		{"arn:aws:iam::444455556666:role/partner/etl", "arn:aws:iam::444455556666:role/partner/etl", "444455556666"},
		{"arn:aws:iam::111122223333:user/bob", "arn:aws:iam::111122223333:user/bob", "111122223333"},
		{"arn:aws:sts::111122223333:assumed-role/R/s", "arn:aws:sts::111122223333:assumed-role/R/s", "111122223333"},
		{"arn:aws:sts::111122223333:federated-user/f", "arn:aws:sts::111122223333:federated-user/f", "111122223333"},
		{"dynamodb.us-east-1.amazonaws.com", "service:dynamodb.us-east-1.amazonaws.com", ""},
	}
	for _, tt := range tests {
		w, err := GrantWho(tt.in)
		require.NoError(t, err, "%s (%s)", tt.in, docGrantee)
		assert.Equal(t, tt.want, w.String())
		assert.Equal(t, tt.account, w.Account)
	}
	w, err := GrantWho("arn:aws-cn:iam::444455556666:root")
	require.NoError(t, err)
	assert.Equal(t, "aws-cn", w.Partition)
	// LocalStack accepts any grantee string: what names no account is an error.
	for _, bad := range []string{"", "Partner", "arn:aws:iam::444455556666:group/g", "AROAEXAMPLEID12345678", "arn:aws:iam::*:root"} {
		_, err := GrantWho(bad)
		assert.Error(t, err, bad)
	}
}

func TestWhoHelpers(t *testing.T) {
	assert.True(t, WhoService("dynamodb.us-east-1.amazonaws.com").IsAWSService())
	assert.True(t, WhoService("logs.cn-north-1.amazonaws.com.cn").IsAWSService())
	assert.False(t, WhoService("evil.example.com").IsAWSService())
	assert.False(t, WhoService("amazonaws.com").IsAWSService())
	assert.False(t, mustWho(t, adm).IsAWSService())

	role := mustWho(t, "arn:aws:iam::111122223333:role/team/KeyAdmin")
	assert.True(t, role.ActsFor(role))
	assert.True(t, mustWho(t, sess).ActsFor(role), "the session of a role with a path: session ARNs carry no path")
	assert.False(t, mustWho(t, "arn:aws:sts::222233334444:assumed-role/KeyAdmin/alice").ActsFor(role), "another account")
	assert.False(t, mustWho(t, "arn:aws-cn:sts::111122223333:assumed-role/KeyAdmin/alice").ActsFor(role), "another partition")
	assert.False(t, mustWho(t, "arn:aws:sts::111122223333:assumed-role/Other/alice").ActsFor(role))
	assert.False(t, role.ActsFor(mustWho(t, sess)), "a role does not act for one of its sessions")
	assert.False(t, mustWho(t, bob).ActsFor(role))
	assert.False(t, mustWho(t, sess).ActsFor(mustWho(t, "arn:aws:iam::111122223333:user/KeyAdmin")), "a user of the role's name")

	assert.True(t, role.IsIAMIdentity())
	assert.True(t, mustWho(t, bob).IsIAMIdentity())
	for _, w := range []Who{mustWho(t, sess), WhoAccountIdentity(own), mustWho(t, ownRoot), WhoService("logs.amazonaws.com")} {
		assert.False(t, w.IsIAMIdentity(), w.String())
	}
}

// An ARN the model cannot read still names its account: that account's
// identities are asked about, so a check cannot overlook them.
func TestPrincipalsOfUnreadableARNs(t *testing.T) {
	m := newModel(t, policyOf(allow(`{"AWS":["arn:aws:iam::444455556666:group/G","arn:aws-cn:iam::555566667777:group/G","arn:aws:iam::*:root"]}`, `"kms:Decrypt"`, "")),
		[]Grant{{GrantId: "g", GranteePrincipal: "arn:aws:iam::777788889999:group/G", Operations: []string{"Decrypt"}}})
	var got []string
	for _, w := range m.Principals() {
		got = append(got, w.String())
	}
	assert.Equal(t, []string{"account:111122223333", "account:444455556666", "account:777788889999", "anonymous", "any-other-account"}, got)
	d := m.Decide(WhoAccountIdentity("444455556666"), "kms:Decrypt")
	assert.Equal(t, Conditional, d.Answer, d.Why())
}
