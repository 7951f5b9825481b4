package policy

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// "Which answer counts": a Deny that applies only to some requests (a
// request property the caller chooses) does not take a grant-side right
// away, and removes a risk-side right only where it applies to every
// request. A Deny on a principal property may apply to this principal:
// the grant side cannot count the right.
func TestRequestPropertyDenies(t *testing.T) {
	adminPut := allow(`{"AWS":"`+ownAdmin+`"}`, `"kms:PutKeyPolicy"`, "")
	tests := []struct {
		name, doc     string
		deny          string
		grants, risks bool
	}{
		// https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check
		{"deny when the lockout check is bypassed", "https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-bypass-policy-lockout-safety-check",
			deny(`"*"`, `"kms:PutKeyPolicy"`, cond(`{"Bool":{"kms:BypassPolicyLockoutSafetyCheck":"true"}}`)), true, true},
		{"deny without TLS", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-securetransport",
			deny(`"*"`, `"kms:PutKeyPolicy"`, cond(`{"Bool":{"aws:SecureTransport":"false"}}`)), true, true},
		{"deny outside a time window", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-currenttime",
			deny(`"*"`, `"kms:PutKeyPolicy"`, cond(`{"DateGreaterThan":{"aws:CurrentTime":"2030-01-01T00:00:00Z"}}`)), true, true},
		{"deny on a principal tag", "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principaltag",
			deny(`"*"`, `"kms:PutKeyPolicy"`, cond(`{"StringEquals":{"aws:PrincipalTag/team":"ops"}}`)), false, true},
		{"unconditional deny", docEvaluation, deny(`"*"`, `"kms:PutKeyPolicy"`, ""), false, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := newModel(t, policyOf(adminPut, tt.deny), nil).Decide(mustWho(t, ownAdmin), "kms:PutKeyPolicy")
			assert.Equal(t, tt.grants, d.Grants(), "grant side (%s): %s", tt.doc, d.Why())
			assert.Equal(t, tt.risks, d.Risks(), "risk side (%s): %s", tt.doc, d.Why())
		})
	}
}

// A condition that admits any organisation pins nothing: principal * behind
// it is public (corpus-iam 251). One that names the organisation is not.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_condition_operators.html#Conditions_Null
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid
func TestAnyOrganisationIsPublic(t *testing.T) {
	tests := []struct {
		name, cond string
		public     bool
	}{
		{"Null false", `{"Null":{"aws:PrincipalOrgID":"false"}}`, true},
		{"StringLike o-*", `{"StringLike":{"aws:PrincipalOrgID":"o-*"}}`, true},
		{"StringLike *", `{"StringLike":{"aws:PrincipalOrgID":"*"}}`, true},
		{"StringNotEquals another organisation", `{"StringNotEquals":{"aws:PrincipalOrgID":"o-other"}}`, true},
		{"org paths any", `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-*/*"}}`, true},
		{"StringEquals the organisation", `{"StringEquals":{"aws:PrincipalOrgID":"o-abc123"}}`, false},
		{"org paths of the organisation", `{"ForAnyValue:StringLike":{"aws:PrincipalOrgPaths":"o-abc123/*"}}`, false},
	}
	for _, tt := range tests {
		for _, orgs := range []bool{false, true} {
			t.Run(tt.name, func(t *testing.T) {
				var opts []Option
				if orgs {
					opts = append(opts, WithOrganizations(map[string][]string{"o-abc123": {own, other}}))
				}
				m := newModel(t, policyOf(allow(`"*"`, `"kms:Decrypt"`, cond(tt.cond))), nil, opts...)
				pub := m.Public()
				assert.Equal(t, tt.public, len(pub) > 0, "organisations given: %v; %v", orgs, pub)
				if an := m.Decide(WhoAnonymous(), "kms:Decrypt"); !strings.Contains(tt.cond, "Not") {
					// A negated operator holds for a missing key; the others do not.
					assert.Equal(t, NotAllowed, an.Answer, "an anonymous request carries no organisation: %s", an.Why())
				}
			})
		}
	}
}

// A user of the key holds any use action by the risk-side rule: Decrypt
// alone, through the key policy, a grant or IAM (spec, "Roles";
// corpus-iam 231-236).
func TestUsersOfTheKey(t *testing.T) {
	// https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#cryptographic-operations
	for _, a := range []string{"kms:Decrypt", "kms:ReEncryptFrom", "kms:GenerateDataKeyWithoutPlaintext", "kms:Sign", "kms:DeriveSharedSecret", "kms:CreateGrant"} {
		assert.Contains(t, UseActions, a)
		_, ok := LookupAction(a)
		assert.True(t, ok, a)
	}
	assert.NotContains(t, UseActions, "kms:DescribeKey")
	assert.NotContains(t, UseActions, "kms:GenerateRandom")

	const role = "arn:aws:iam::111122223333:role/Reader"
	grants := []Grant{{GrantId: "g-1", KeyId: testKey, GranteePrincipal: "arn:aws:iam::111122223333:role/Batch", Operations: []string{"GenerateDataKey"}}}
	m := newModel(t, policyOf(rootDelegation,
		allow(`{"AWS":"`+role+`"}`, `"kms:Decrypt"`, ""),
		allow(`{"AWS":"arn:aws:iam::111122223333:role/Describer"}`, `"kms:DescribeKey"`, ""),
	), grants)
	// https://docs.aws.amazon.com/kms/latest/developerguide/key-policies.html
	uses := m.Uses(mustWho(t, role))
	require.Len(t, uses, 1)
	assert.Equal(t, "kms:Decrypt", uses[0].Action)
	assert.Equal(t, 1, uses[0].Allow[0].Statement)
	// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
	uses = m.Uses(mustWho(t, "arn:aws:iam::111122223333:role/Batch"))
	require.Len(t, uses, 1)
	assert.Equal(t, "g-1", uses[0].Allow[0].GrantID)
	assert.Empty(t, m.Uses(mustWho(t, "arn:aws:iam::111122223333:role/Describer")), "DescribeKey is not use")
	// Through the root delegation and an identity policy.
	// https://docs.aws.amazon.com/kms/latest/developerguide/key-policy-default.html#key-policy-default-allow-root-enable-iam
	id := Identity{Who: mustWho(t, "arn:aws:iam::111122223333:user/ops"),
		Policies: []IdentityPolicy{idPolicy(t, "managed policy arn:aws:iam::111122223333:policy/Read", `{"Effect":"Allow","Action":"kms:Decrypt","Resource":"*"}`)}}
	assert.Empty(t, m.Uses(id.Who), "the key policy alone leaves it to IAM")
	eff := m.UsesEffective(id)
	require.Len(t, eff, 1)
	assert.Contains(t, eff[0].Sources(), `managed policy arn:aws:iam::111122223333:policy/Read statement 0`)
}

// The platform cannot choose its network: a Deny unless from the
// customer's addresses takes its grant-side right (first corpus, 067).
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceip
func TestOriginDenyKeepsGrantSideClosed(t *testing.T) {
	m := newModel(t, policyOf(allow(`{"AWS":"`+ownAdmin+`"}`, `"kms:Decrypt"`, ""),
		deny(`"*"`, `"kms:Decrypt"`, cond(`{"NotIpAddress":{"aws:SourceIp":"203.0.113.0/24"}}`))), nil)
	d := m.Decide(mustWho(t, ownAdmin), "kms:Decrypt")
	assert.False(t, d.Grants(), d.Why())
	assert.True(t, d.Risks(), d.Why())
}

// CloudWatch Logs sets kms:EncryptionContext:aws:logs:arn itself, to the
// log group's ARN: the statement AWS documents for it admits the service
// only for the own account's log groups, never for another account's.
// https://docs.aws.amazon.com/AmazonCloudWatch/latest/logs/encrypt-log-data-kms.html
func TestLogsEncryptionContextNamesTheLogGroupsAccount(t *testing.T) {
	logs := `{"Service":"logs.us-east-1.amazonaws.com"}`
	ownGroups := cond(`{"ArnLike":{"kms:EncryptionContext:aws:logs:arn":"arn:aws:logs:us-east-1:` + own + `:log-group:*"}}`)
	m := newModel(t, policyOf(allow(logs, `["kms:Encrypt*","kms:Decrypt*","kms:GenerateDataKey*"]`, ownGroups)), nil)
	forOwn := m.Decide(WhoServiceFor("logs.us-east-1.amazonaws.com", own), "kms:Decrypt")
	assert.NotEqual(t, NotAllowed, forOwn.Answer, forOwn.Why())
	forOther := m.Decide(WhoServiceForAnother("logs.us-east-1.amazonaws.com"), "kms:Decrypt")
	assert.Equal(t, NotAllowed, forOther.Answer, "another account's log group ARN is not in the own account: %s", forOther.Why())
	// Another service that does not set this context gains nothing from it.
	s3 := m.Decide(WhoServiceFor("s3.amazonaws.com", own), "kms:Decrypt")
	assert.Equal(t, NotAllowed, s3.Answer, s3.Why())
}
