package policy

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Who may assume a role, read from the trust policies of the corpus-iam
// cases (the chosen key-user role AEPKeyUser) and from inline documents.
func TestTrust(t *testing.T) {
	const (
		docTrust    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy"
		docCross    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_common-scenarios_aws-accounts.html"
		docOrgID    = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-principalorgid"
		docSource   = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_condition-keys.html#condition-keys-sourceaccount"
		docServices = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-services"
		docOIDC     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_create_for-idp_oidc.html"
		docAnon     = "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html#principal-anonymous"
	)
	type want struct {
		who    string
		kind   AssumerKind
		answer Answer
	}
	tests := []struct {
		name, doc, file, trust string // file: a corpus-iam case whose AEPKeyUser trust is read; else trust
		wants                  []want
		orgOnly                string // an assumer whose answer is open only on the organisation
		throughIAM             bool   // the own account is named by its root
	}{
		{"another account's root", docCross, "223-trust-other-account.json", "", []want{
			{"account:444455556666", AssumerOtherAccount, Allowed},
			{"any-other-account", AssumerAnyone, NotAllowed},
			{"account:111122223333", AssumerOwnAccount, NotAllowed},
		}, "", false},
		{"AWS * unconditioned: anyone, anonymous included", docAnon, "224-trust-star-unconditioned.json", "", []want{
			{"any-other-account", AssumerAnyone, Allowed},
			{"anonymous", AssumerAnyone, Allowed},
		}, "", false},
		{"AWS * pinned to an organisation", docOrgID, "225-trust-star-principalorgid.json", "", []want{
			{"any-other-account", AssumerAnyone, Conditional},
			{"anonymous", AssumerAnyone, NotAllowed},
		}, "any-other-account", false},
		{"* with aws:SourceAccount = own account: no person, no other account", docSource, "226-trust-star-sourceaccount-own.json", "", []want{
			{"any-other-account", AssumerAnyone, NotAllowed},
			{"anonymous", AssumerAnyone, NotAllowed},
			{"account:111122223333", AssumerOwnAccount, NotAllowed},
		}, "", false},
		{"a service, unrestricted: for anyone's resources", docServices, "227-trust-aws-services.json", "", []want{
			{"service:lambda.amazonaws.com for account 111122223333", AssumerService, Allowed},
			{"service:lambda.amazonaws.com for another account", AssumerService, Allowed},
			{"any-other-account", AssumerAnyone, NotAllowed},
		}, "", false},
		{"a service restricted by aws:SourceAccount to own resources", docSource, "",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:SourceAccount":"111122223333"}}}]}`, []want{
				{"service:ecs-tasks.amazonaws.com for account 111122223333", AssumerService, Allowed},
				{"service:ecs-tasks.amazonaws.com for another account", AssumerService, NotAllowed},
			}, "", false},
		{"the own account's root: its IAM decides", docTrust, "",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:root"},"Action":"sts:AssumeRole","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"true"}}}]}`, []want{
				{"account:111122223333", AssumerOwnAccount, Conditional},
				{"any-other-account", AssumerAnyone, NotAllowed},
			}, "", true},
		{"the own account's OIDC provider, pinned by sub", docOIDC, "229-trust-own-oidc-provider.json", "", []want{
			{"federated:arn:aws:iam::111122223333:oidc-provider/token.actions.githubusercontent.com", AssumerProvider, Conditional},
			{"any-other-account", AssumerAnyone, NotAllowed},
		}, "", false},
		{"a role of another account", docCross, "",
			`{"Version":"2012-10-17","Statement":[{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::999988887777:role/Partner"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}}]}`, []want{
				{"arn:aws:iam::999988887777:role/Partner", AssumerOtherAccount, Conditional},
			}, "", false},
		{"a Deny in the trust policy wins", docTrust, "",
			`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"},{"Effect":"Deny","Principal":{"AWS":"444455556666"},"Action":"sts:*"}]}`, []want{
				{"account:444455556666", AssumerOtherAccount, NotAllowed},
			}, "", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			raw := []byte(tt.trust)
			if tt.file != "" {
				raw = corpusTrust(t, tt.file, "AEPKeyUser")
			}
			d, err := ParseTrustPolicy(raw)
			require.NoError(t, err)
			m := newModel(t, policyOf(rootDelegation), nil)
			got := map[string]Assumer{}
			for _, a := range m.Trust(mustWho(t, "arn:aws:iam::111122223333:role/AEPKeyUser"), d) {
				got[a.Who.String()] = a
			}
			for _, w := range tt.wants {
				a, ok := got[w.who]
				require.True(t, ok, "%s not asked about (%s)", w.who, tt.doc)
				assert.Equal(t, w.kind, a.Kind, w.who)
				assert.Equal(t, w.answer, a.Answer, "%s (%s): %s", w.who, tt.doc, a.Why)
				if a.Answer != NotAllowed {
					assert.Contains(t, a.Source(), "trust statement 0", "the trust statement is named")
				}
			}
			if tt.orgOnly != "" {
				assert.True(t, got[tt.orgOnly].OrgOnly, got[tt.orgOnly].Why)
			}
			assert.Equal(t, tt.throughIAM, got["account:111122223333"].ThroughIAM)
		})
	}
}

func corpusTrust(t *testing.T, file, role string) []byte {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(corpusIAMDir, file))
	require.NoError(t, err)
	var c struct{ IAM authDetails }
	require.NoError(t, json.Unmarshal(data, &c))
	for _, r := range c.IAM.RoleDetailList {
		if r.RoleName == role {
			return r.AssumeRolePolicyDocument
		}
	}
	t.Fatalf("%s: no role %s", file, role)
	return nil
}

func TestParseTrustPolicyErrors(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{`{"Statement":{"Effect":"Allow","Action":"sts:AssumeRole"}}`, "neither Principal nor NotPrincipal"},
		{`{"Statement":{"Effect":"Allow","Principal":"*","Action":"sts:AssumeRole","Resource":"*"}}`, "names no resource"},
		{`{`, "invalid JSON"},
	} {
		_, err := ParseTrustPolicy([]byte(tc.in))
		require.Error(t, err, tc.in)
		assert.Contains(t, err.Error(), tc.want)
		assert.True(t, strings.Contains(err.Error(), "trust policy"), err.Error())
	}
}

// A principal's answer is the strongest over the three assume actions
// (https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy:
// the trust policy's actions are sts:AssumeRole, AssumeRoleWithSAML and
// AssumeRoleWithWebIdentity), and of equal answers the first action's,
// so the statement named is the one for sts:AssumeRole. The assumers
// come by kind, then by name.
func TestTrustStrongestAnswerAndOrder(t *testing.T) {
	m := newModel(t, policyOf(rootDelegation), nil)
	role := mustWho(t, "arn:aws:iam::111122223333:role/AEPKeyUser")
	trust := func(doc string) map[string]Assumer {
		d, err := ParseTrustPolicy([]byte(doc))
		require.NoError(t, err)
		got := map[string]Assumer{}
		for _, a := range m.Trust(role, d) {
			got[a.Who.String()] = a
		}
		return got
	}

	// Conditional for AssumeRole, Allowed for web identity: Allowed.
	got := trust(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"x"}}},
		{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)
	a := got["account:444455556666"]
	assert.Equal(t, Allowed, a.Answer, a.Why)
	assert.Equal(t, "trust statement 1", a.Source())

	// Allowed for both: the first action's statement is named.
	got = trust(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRole"},
		{"Effect":"Allow","Principal":{"AWS":"444455556666"},"Action":"sts:AssumeRoleWithWebIdentity"}]}`)
	a = got["account:444455556666"]
	assert.Equal(t, Allowed, a.Answer, a.Why)
	assert.Equal(t, "trust statement 0", a.Source())

	d, err := ParseTrustPolicy([]byte(`{"Version":"2012-10-17","Statement":[
		{"Effect":"Allow","Principal":{"AWS":["arn:aws:iam::999988887777:role/B","arn:aws:iam::999988887777:role/A"],"Service":"ecs-tasks.amazonaws.com"},"Action":"sts:AssumeRole"}]}`))
	require.NoError(t, err)
	list := m.Trust(role, d)
	require.NotEmpty(t, list)
	for i := 1; i < len(list); i++ {
		prev, cur := list[i-1], list[i]
		if prev.Kind == cur.Kind {
			assert.Less(t, prev.Who.String(), cur.Who.String(), "within a kind, by name")
		} else {
			assert.Less(t, string(prev.Kind), string(cur.Kind), "by kind first")
		}
	}
}
