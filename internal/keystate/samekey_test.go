package keystate_test

import (
	"encoding/json"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

const (
	ownKeyID   = "1234abcd-12ab-34cd-56ef-1234567890ab"
	ownKeyARN  = "arn:aws:kms:us-east-1:111122223333:key/" + ownKeyID
	otherKeyID = "0987dcba-09fe-87dc-65ba-ab0987654321"
	otherARN   = "arn:aws:kms:us-east-1:111122223333:key/" + otherKeyID
)

// compliantMembers is the compliant snapshot as members, to edit per case.
func compliantMembers(t *testing.T) map[string]json.RawMessage {
	t.Helper()
	data, err := os.ReadFile("../../fixtures/snapshots/compliant.json")
	require.NoError(t, err)
	var m map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &m))
	return m
}

func decodeMembers(t *testing.T, m map[string]json.RawMessage) *keystate.State {
	t.Helper()
	data, err := json.Marshal(m)
	require.NoError(t, err)
	s, err := keystate.Decode(data)
	require.NoError(t, err)
	return s
}

// grantOf is one well-formed grant naming the key ref.
func grantOf(ref string) string {
	return `{"KeyId":"` + ref + `","GrantId":"g-` + ref + `","GranteePrincipal":"arn:aws:iam::111122223333:role/KeyUser","Operations":["Decrypt"]}`
}

func TestSameKeyAcceptsOneKey(t *testing.T) {
	s := decodeMembers(t, compliantMembers(t))
	for _, want := range []string{"", ownKeyID, ownKeyARN, "alias/Adobe-Experience-Platform-Key",
		"arn:aws:kms:us-east-1:111122223333:alias/Adobe-Experience-Platform-Key", "  " + ownKeyID + " "} {
		assert.NoError(t, s.SameKey(want), "profile key %q", want)
	}
}

// Each case is a way a hand-made snapshot mixes keys (issue 15); every one
// must be refused, naming both keys.
func TestSameKeyRefusesMixedEvidence(t *testing.T) {
	tests := map[string]struct {
		edit      func(m map[string]json.RawMessage)
		want      string // the profile's key
		mentioned []string
	}{
		"profile names another key ID":  {want: otherKeyID, mentioned: []string{otherKeyID, ownKeyARN, "profile"}},
		"profile names another key ARN": {want: otherARN, mentioned: []string{otherARN, ownKeyARN}},
		"profile names the key in another region": {
			want: "arn:aws:kms:eu-west-1:111122223333:key/" + ownKeyID, mentioned: []string{"eu-west-1", ownKeyARN}},
		"profile alias targets another key": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.ListAliases] = json.RawMessage(`{"Aliases":[{"AliasName":"alias/other","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/other","TargetKeyId":"` + otherKeyID + `"},{"AliasName":"alias/Adobe-Experience-Platform-Key","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/Adobe-Experience-Platform-Key","TargetKeyId":"` + ownKeyID + `"}]}`)
			},
			want: "alias/other", mentioned: []string{"alias/other", otherKeyID, ownKeyARN}},
		"profile alias absent from the evidence": {want: "alias/Someone-Else", mentioned: []string{"alias/Someone-Else", "not among the aliases", ownKeyARN}},
		"profile alias ARN of another account": {
			want: "arn:aws:kms:us-east-1:444455556666:alias/Adobe-Experience-Platform-Key", mentioned: []string{"444455556666", ownKeyARN}},
		"profile alias without a usable ListAliases": {
			edit: func(m map[string]json.RawMessage) { delete(m, keystate.ListAliases) },
			want: "alias/Adobe-Experience-Platform-Key", mentioned: []string{"no usable ListAliases", "ListAliases is missing"}},
		"rotation status of another key (ARN)": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.GetKeyRotationStatus] = json.RawMessage(`{"KeyRotationEnabled":true,"KeyId":"` + otherARN + `"}`)
			},
			mentioned: []string{"GetKeyRotationStatus", otherARN, ownKeyARN}},
		"rotation status of another key (ID)": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.GetKeyRotationStatus] = json.RawMessage(`{"KeyRotationEnabled":true,"KeyId":"` + otherKeyID + `"}`)
			},
			mentioned: []string{"GetKeyRotationStatus", otherKeyID}},
		"DescribeKey's KeyId and Arn disagree": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.DescribeKey] = json.RawMessage(`{"KeyMetadata":{"KeyId":"` + otherKeyID + `","Arn":"` + ownKeyARN + `"}}`)
			},
			mentioned: []string{otherKeyID, ownKeyARN}},
		"a grant of another key (ARN)": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.ListGrants] = json.RawMessage(`{"Grants":[` + grantOf(ownKeyARN) + `,` + grantOf(otherARN) + `]}`)
			},
			mentioned: []string{"ListGrants's Grants[1].KeyId", otherARN, ownKeyARN}},
		"a grant of another key (ID)": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.ListGrants] = json.RawMessage(`{"Grants":[` + grantOf(otherKeyID) + `]}`)
			},
			mentioned: []string{"ListGrants's Grants[0].KeyId", otherKeyID, ownKeyARN}},
		"a grant of the key in another region": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.ListGrants] = json.RawMessage(`{"Grants":[` + grantOf("arn:aws:kms:eu-west-1:111122223333:key/"+ownKeyID) + `]}`)
			},
			mentioned: []string{"ListGrants", "eu-west-1", ownKeyARN}},
		"a grant of another key beside one the decoder refuses": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.ListGrants] = json.RawMessage(`{"Grants":[{"GrantId":5,"KeyId":"` + ownKeyARN + `"},` + grantOf(otherARN) + `]}`)
			},
			mentioned: []string{"Grants[1].KeyId", otherARN}},
		"aliases listed from another region": {
			edit: func(m map[string]json.RawMessage) {
				m[keystate.ListAliases] = json.RawMessage(`{"Aliases":[{"AliasName":"alias/x","AliasArn":"arn:aws:kms:eu-west-1:111122223333:alias/x","TargetKeyId":"` + ownKeyID + `"}]}`)
			},
			mentioned: []string{"ListAliases", "eu-west-1"}},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			m := compliantMembers(t)
			if tc.edit != nil {
				tc.edit(m)
			}
			err := decodeMembers(t, m).SameKey(tc.want)
			require.Error(t, err)
			for _, s := range tc.mentioned {
				assert.Contains(t, err.Error(), s)
			}
		})
	}
}

// Grants name the key by ARN (AWS) or by ID (LocalStack), or not at all.
func TestSameKeyGrantsOfTheKey(t *testing.T) {
	m := compliantMembers(t)
	m[keystate.ListGrants] = json.RawMessage(`{"Grants":[` + grantOf(ownKeyARN) + `,` + grantOf(ownKeyID) + `,` +
		`{"GrantId":"g","GranteePrincipal":"arn:aws:iam::111122223333:role/KeyUser","Operations":["Decrypt"]}]}`)
	s := decodeMembers(t, m)
	require.Empty(t, s.Problems)
	require.Len(t, s.Grants, 3)
	assert.NoError(t, s.SameKey(""))
	assert.NoError(t, s.SameKey(ownKeyARN))

	// Without DescribeKey, the grants name the key the profile must name.
	delete(m, keystate.DescribeKey)
	delete(m, keystate.GetKeyRotationStatus)
	s = decodeMembers(t, m)
	assert.NoError(t, s.SameKey(ownKeyARN))
	var mixed *keystate.MixedKeysError
	require.ErrorAs(t, s.SameKey(otherARN), &mixed)
	assert.Equal(t, ownKeyARN, mixed.Key)
	assert.Equal(t, "the profile's key", mixed.Where)
}

// The live path names the key as it was asked for.
func TestSameKeyAsNamesTheKeyAskedFor(t *testing.T) {
	s := decodeMembers(t, compliantMembers(t))
	err := s.SameKeyAs(otherKeyID, "the key asked for")
	var mixed *keystate.MixedKeysError
	require.ErrorAs(t, err, &mixed)
	assert.Equal(t, "the key asked for", mixed.Where)
	assert.Equal(t, otherKeyID, mixed.Other)
	assert.Equal(t, ownKeyARN, mixed.Key)
	assert.NotContains(t, err.Error(), "profile")
	err = s.SameKeyAs("alias/Someone-Else", "the key asked for")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the key asked for alias/Someone-Else is not among the aliases")
}

func TestSameKeyWithoutDescribeKey(t *testing.T) {
	m := compliantMembers(t)
	delete(m, keystate.DescribeKey)
	s := decodeMembers(t, m)
	// The rotation answer names the key; the profile's key must agree with it.
	assert.NoError(t, s.SameKey(ownKeyARN))
	err := s.SameKey(otherARN)
	var mixed *keystate.MixedKeysError
	require.True(t, errors.As(err, &mixed), "%v", err)
	assert.Equal(t, ownKeyARN, mixed.Key)
	// Nothing names a key: nothing to compare, the checks are ERROR instead.
	delete(m, keystate.GetKeyRotationStatus)
	assert.NoError(t, decodeMembers(t, m).SameKey(otherARN))
}

func TestSameKeyRegionWideAliasesAreFine(t *testing.T) {
	m := compliantMembers(t)
	m[keystate.ListAliases] = json.RawMessage(`{"Aliases":[
		{"AliasName":"alias/aws/s3","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/aws/s3"},
		{"AliasName":"alias/other","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/other","TargetKeyId":"` + otherKeyID + `"},
		{"AliasName":"alias/Adobe-Experience-Platform-Key","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/Adobe-Experience-Platform-Key","TargetKeyId":"` + ownKeyID + `"}]}`)
	s := decodeMembers(t, m)
	require.NoError(t, s.SameKey(""))
	require.NoError(t, s.SameKey("alias/Adobe-Experience-Platform-Key"))
	assert.True(t, strings.Contains(s.SameKey("alias/other").Error(), otherKeyID))
}
