package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// A role's trust policy decides who can become it, and so who holds what
// it holds on the key.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_policies_elements_principal.html
const docTrust = "https://docs.aws.amazon.com/IAM/latest/UserGuide/id_roles_terms-and-concepts.html#iam-term-trust-policy"

// chosen names the fixture's administrator and user, so their trust is read.
const chosen = adobeAll + "\nkey_administrators: [" + admin + "]\nkey_users: [" + user + "]"

// withTrust gives the chosen administrator a service's trust and the
// chosen key user role the trust policy doc.
func withTrust(doc any) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		withIAM(nil, nil, nil, nil)(t, s)
		roles := s[keystate.GetAccountAuthorizationDetails].(map[string]any)["RoleDetailList"].([]any)
		roles[0].(map[string]any)["AssumeRolePolicyDocument"] = iamDoc(false, `{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}`)
		roles[1].(map[string]any)["AssumeRolePolicyDocument"] = doc
	}
}

var trustCases = table([]tc{
	{name: "trust: services only", id: "CMK-USR-2", profile: chosen, edit: withTrust(iamDoc(true,
		`{"Effect":"Allow","Principal":{"Service":"lambda.amazonaws.com"},"Action":"sts:AssumeRole"}`)), want: checks.Pass, doc: docTrust},
	{name: "trust: another account may become the key user", id: "CMK-USR-2", profile: chosen, edit: withTrust(iamDoc(false,
		`{"Sid":"Partner","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}`)),
		want: checks.Fail, doc: docTrust, observe: "may become " + user},
	{name: "trust: an Adobe account is accepted", id: "CMK-USR-2", profile: chosen, edit: withTrust(iamDoc(false,
		`{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::222233334444:root"},"Action":"sts:AssumeRole"}`)), want: checks.Pass, doc: docTrust},
	{name: "trust: the organisation's accounts", id: "CMK-USR-2", profile: chosen, edit: withTrust(iamDoc(false,
		`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalOrgID":"o-a1b2c3d4e5"}}}`)),
		want: checks.Fail, doc: docGlobalKeys + "#condition-keys-principalorgid"},
	{name: "trust: not in the evidence is reported", id: "CMK-USR-2", profile: chosen, edit: withIAM(nil, nil, nil, nil),
		want: checks.Pass, observe: "trust not read"},
	{name: "trust: unreadable", id: "CMK-USR-2", profile: chosen, edit: withTrust(`{"Statement":"nope"}`),
		want: checks.Error, observe: "who may become a chosen role cannot be told"},
	{name: "trust: anyone may become the key user", id: "CMK-USR-3", profile: chosen, edit: withTrust(iamDoc(false,
		`{"Sid":"Open","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`)),
		want: checks.Fail, doc: docTrust, observe: "anyone may become a chosen role"},
	{name: "trust: anyone includes other accounts", id: "CMK-USR-2", profile: chosen, edit: withTrust(iamDoc(false,
		`{"Sid":"Open","Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole"}`)),
		want: checks.Fail, doc: docTrust, observe: "may become " + user},
	{name: "trust: anyone, pinned to the own account", id: "CMK-USR-3", profile: chosen, edit: withTrust(iamDoc(false,
		`{"Effect":"Allow","Principal":{"AWS":"*"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"aws:PrincipalAccount":"111122223333"}}}`)),
		want: checks.Pass, doc: docGlobalKeys},
})

func TestTrustPolicies(t *testing.T) { runCases(t, trustCases) }
