package keystate_test

import (
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

const delDoc = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`

// IAM sends policy documents URL-encoded (RFC 3986); the AWS CLI prints
// them decoded as JSON objects. Both read back as the same JSON text.
func TestAccountAuthorizationDecodes(t *testing.T) {
	encoded := strings.ReplaceAll(url.QueryEscape(delDoc), "+", "%20")
	member := `{"UserDetailList": [{"UserName": "bob", "Arn": "arn:aws:iam::111122223333:user/bob", "GroupList": ["ops"],
			"UserPolicyList": [{"PolicyName": "u", "PolicyDocument": "` + encoded + `"}],
			"AttachedManagedPolicies": [{"PolicyName": "M", "PolicyArn": "arn:aws:iam::111122223333:policy/M"}],
			"PermissionsBoundary": {"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": "arn:aws:iam::111122223333:policy/B"}}],
		"GroupDetailList": [{"GroupName": "ops", "Arn": "arn:aws:iam::111122223333:group/ops", "GroupPolicyList": [{"PolicyName": "g", "PolicyDocument": ` + delDoc + `}], "AttachedManagedPolicies": []}],
		"RoleDetailList": [{"RoleName": "Ops", "Arn": "arn:aws:iam::111122223333:role/Ops", "AssumeRolePolicyDocument": "%7B%7D", "RolePolicyList": [{"PolicyName": "r", "PolicyDocument": ` + quote(delDoc) + `}]}],
		"Policies": [{"PolicyName": "M", "Arn": "arn:aws:iam::111122223333:policy/M", "DefaultVersionId": "v2",
			"PolicyVersionList": [{"Document": "%7B%7D", "VersionId": "v1", "IsDefaultVersion": false}, {"Document": "` + encoded + `", "VersionId": "v2", "IsDefaultVersion": true}]}],
		"IsTruncated": false}`
	s, err := keystate.Decode([]byte(`{"GetAccountAuthorizationDetails": ` + member + `}`))
	require.NoError(t, err)
	require.Empty(t, s.Problem(keystate.GetAccountAuthorizationDetails))
	a := s.IAM
	require.NotNil(t, a)
	require.Len(t, a.Users, 1)
	assert.Equal(t, delDoc, a.Users[0].Inline[0].Document, "URL-encoded")
	assert.Equal(t, []string{"ops"}, a.Users[0].Groups)
	assert.Equal(t, "arn:aws:iam::111122223333:policy/B", a.Users[0].PermissionsBoundary)
	assert.Equal(t, delDoc, a.Groups[0].Inline[0].Document, "a JSON object, as the CLI prints it")
	assert.Equal(t, delDoc, a.Roles[0].Inline[0].Document, "a JSON string")
	assert.Equal(t, "{}", a.Roles[0].Trust, "the trust policy, URL-encoded as IAM sends it")
	p, ok := a.Policy("arn:aws:iam::111122223333:policy/M")
	require.True(t, ok)
	assert.Equal(t, delDoc, p.Document, "the default version")
	assert.Equal(t, "v2", p.DefaultVersionID)
	assert.Equal(t, []byte(member), []byte(s.Raw[keystate.GetAccountAuthorizationDetails]), "the evidence is kept as it came")
}

func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `\"`) + `"` }

func TestAccountAuthorizationForms(t *testing.T) {
	s, err := keystate.Decode([]byte(`{"GetAccountAuthorizationDetails": {"NotRun": "--no-iam"}}`))
	require.NoError(t, err)
	assert.Equal(t, "--no-iam", s.IAM.NotRun)
	s, err = keystate.Decode([]byte(`{"GetAccountAuthorizationDetails": {"Error": {"Operation": "iam:GetAccountAuthorizationDetails", "Code": "AccessDenied", "Detail": "denied"}}}`))
	require.NoError(t, err)
	assert.Equal(t, "AccessDenied", s.IAM.Error.Code)

	for _, tc := range []struct{ member, want string }{
		{`{}`, "holds none of"},
		{`{"NotRun": ""}`, "NotRun is empty"},
		{`{"NotRun": "x", "Policies": []}`, "NotRun"},
		{`{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [], "IsTruncated": true, "Marker": "m"}`, "truncated"},
		{`{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": []}`, "Policies is missing"},
		{`{"UserDetailList": [{"UserName": "x"}], "GroupDetailList": [], "RoleDetailList": [], "Policies": []}`, "UserDetailList[0] lacks"},
		{`{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [{"RoleName": "R", "Arn": "arn:aws:iam::1:role/R", "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": "%zz"}]}], "Policies": []}`, "RoleDetailList[0].RolePolicyList[0].PolicyDocument is not URL-encoded JSON"},
		{`{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [{"RoleName": "R", "Arn": "arn:aws:iam::1:role/R", "RolePolicyList": [{"PolicyName": "p", "PolicyDocument": 3}]}], "Policies": []}`, "neither a JSON object nor a string"},
		{`{"UserDetailList": [], "GroupDetailList": [], "RoleDetailList": [], "Policies": [{"PolicyName": "M", "Arn": "arn:aws:iam::1:policy/M", "PolicyVersionList": []}]}`, "no default version"},
		{`[]`, "not an object"},
	} {
		s, err := keystate.Decode([]byte(`{"GetAccountAuthorizationDetails": ` + tc.member + `}`))
		require.NoError(t, err, "a bad member is a problem of that member, not of the file")
		assert.Contains(t, s.Problem(keystate.GetAccountAuthorizationDetails), tc.want, tc.member)
		assert.Contains(t, s.Problem(keystate.GetAccountAuthorizationDetails), "GetAccountAuthorizationDetails could not be read")
	}
}
