package keystate_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// grantsOnly decodes a snapshot holding only the given ListGrants member.
func grantsOnly(t *testing.T, member string) *keystate.State {
	t.Helper()
	s, err := keystate.Decode([]byte(`{"ListGrants": ` + member + `}`))
	require.NoError(t, err, "a bad ListGrants is the member's problem, not the file's")
	return s
}

// Two grants as AWS prints them (key ARN, IssuingAccount, ISO date) and as
// LocalStack does (key ID, no IssuingAccount, epoch date, empty Name).
const twoGrants = `{"Grants": [
	{"KeyId": "` + ownKeyARN + `",
	 "GrantId": "0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60",
	 "Name": "partner",
	 "CreationDate": "2026-11-02T09:20:00+00:00",
	 "GranteePrincipal": "arn:aws:iam::444455556666:role/Partner",
	 "RetiringPrincipal": "arn:aws:iam::111122223333:role/KeyAdmin",
	 "IssuingAccount": "arn:aws:iam::111122223333:root",
	 "Operations": ["Decrypt", "Encrypt"],
	 "Constraints": {"EncryptionContextSubset": {"Department": "IT"}}},
	{"KeyId": "` + ownKeyID + `",
	 "GrantId": "58a42e4c-b105-459b-805f-0fc566490bd0",
	 "Name": "",
	 "CreationDate": 1793610847.5,
	 "GranteePrincipal": "arn:aws:iam::111122223333:role/KeyUser",
	 "Operations": ["CreateGrant"],
	 "Constraints": {"EncryptionContextEquals": {"a": "b"}}}
], "Truncated": false}`

func TestDecodeGrants(t *testing.T) {
	s := grantsOnly(t, twoGrants)
	assert.Empty(t, s.Problem(keystate.ListGrants))
	assert.True(t, s.Has(keystate.ListGrants))
	require.Len(t, s.Grants, 2)

	g := s.Grants[0]
	assert.Equal(t, "0c237476b39f8bc44e45212e08498fbe3151305030726c0590dd8d3e9f3d6a60", g.GrantID)
	assert.Equal(t, "partner", g.Name)
	assert.Equal(t, "arn:aws:iam::444455556666:role/Partner", g.GranteePrincipal)
	assert.Equal(t, "arn:aws:iam::111122223333:role/KeyAdmin", g.RetiringPrincipal)
	assert.Equal(t, "arn:aws:iam::111122223333:root", g.IssuingAccount)
	assert.Equal(t, ownKeyARN, g.KeyID)
	assert.Equal(t, []string{"Decrypt", "Encrypt"}, g.Operations)
	require.NotNil(t, g.Constraints)
	assert.Equal(t, map[string]string{"Department": "IT"}, g.Constraints.EncryptionContextSubset)
	assert.Nil(t, g.Constraints.EncryptionContextEquals)
	require.NotNil(t, g.CreationDate)
	assert.Equal(t, time.Date(2026, 11, 2, 9, 20, 0, 0, time.UTC), *g.CreationDate)

	g = s.Grants[1]
	assert.Equal(t, ownKeyID, g.KeyID, "LocalStack names the key by ID")
	assert.Empty(t, g.IssuingAccount, "LocalStack omits IssuingAccount")
	assert.Empty(t, g.RetiringPrincipal)
	assert.Equal(t, []string{"CreateGrant"}, g.Operations)
	assert.Equal(t, map[string]string{"a": "b"}, g.Constraints.EncryptionContextEquals)
	require.NotNil(t, g.CreationDate)
	assert.Equal(t, time.Date(2026, 11, 2, 9, 14, 7, 500_000_000, time.UTC), *g.CreationDate, "epoch seconds")

	// A grant without constraints has none, not an empty set.
	s = grantsOnly(t, `{"Grants": [{"GrantId": "g", "GranteePrincipal": "arn:aws:iam::111122223333:role/R", "Operations": ["Decrypt"]}]}`)
	require.Len(t, s.Grants, 1)
	assert.Nil(t, s.Grants[0].Constraints)
	assert.Nil(t, s.Grants[0].CreationDate)
}

// No grants is an empty list, which is not the same as no answer.
func TestDecodeNoGrants(t *testing.T) {
	for _, member := range []string{`{"Grants": [], "Truncated": false}`, `{"Grants": []}`} {
		s := grantsOnly(t, member)
		assert.Empty(t, s.Problem(keystate.ListGrants), member)
		assert.NotNil(t, s.Grants, member)
		assert.Empty(t, s.Grants, member)
		assert.True(t, s.Has(keystate.ListGrants), member)
	}
}

// Whatever cannot be read as every grant of the key is a problem: the
// checks that need it are ERROR, never judged on an empty or partial list.
func TestGrantProblems(t *testing.T) {
	const ok = `"GrantId": "g1", "GranteePrincipal": "arn:aws:iam::111122223333:role/R", "Operations": ["Decrypt"]`
	tests := map[string]struct{ member, want string }{
		"Grants missing":          {`{"Truncated": false}`, "member Grants is missing"},
		"Grants null":             {`{"Grants": null}`, "member Grants is missing"},
		"member null":             {`null`, "member Grants is missing"},
		"truncated":               {`{"Grants": [{` + ok + `}], "Truncated": true, "NextMarker": "m"}`, "truncated (Truncated: true); give every page"},
		"no GrantId":              {`{"Grants": [{"GranteePrincipal": "arn:aws:iam::111122223333:role/R", "Operations": ["Decrypt"]}]}`, "Grants[0] lacks GrantId"},
		"empty GrantId":           {`{"Grants": [{` + ok + `}, {"GrantId": "", "GranteePrincipal": "p", "Operations": ["Decrypt"]}]}`, "Grants[1] lacks GrantId"},
		"no GranteePrincipal":     {`{"Grants": [{"GrantId": "g1", "Operations": ["Decrypt"]}]}`, "Grants[0] (g1) lacks GranteePrincipal"},
		"empty GranteePrincipal":  {`{"Grants": [{"GrantId": "g1", "GranteePrincipal": "", "Operations": ["Decrypt"]}]}`, "Grants[0] (g1) lacks GranteePrincipal"},
		"no Operations":           {`{"Grants": [{"GrantId": "g1", "GranteePrincipal": "p"}]}`, "Grants[0] (g1) lacks Operations"},
		"empty Operations":        {`{"Grants": [{"GrantId": "g1", "GranteePrincipal": "p", "Operations": []}]}`, "Grants[0] (g1) lacks Operations"},
		"an empty operation":      {`{"Grants": [{"GrantId": "g1", "GranteePrincipal": "p", "Operations": ["Decrypt", ""]}]}`, "empty operation at Operations[1]"},
		"a null operation":        {`{"Grants": [{"GrantId": "g1", "GranteePrincipal": "p", "Operations": [null]}]}`, "empty operation at Operations[0]"},
		"the answer a list":       {`[]`, "the answer is a JSON array, not an object"},
		"Grants an object":        {`{"Grants": {"g1": {}}}`, "Grants is a JSON object, not a list"},
		"a grant a string":        {`{"Grants": ["g1"]}`, "Grants is a JSON string, not an object"},
		"GrantId a number":        {`{"Grants": [{"GrantId": 1, "GranteePrincipal": "p", "Operations": ["Decrypt"]}]}`, "Grants.GrantId is a JSON number, not a string"},
		"Operations a string":     {`{"Grants": [{"GrantId": "g1", "GranteePrincipal": "p", "Operations": "Decrypt"}]}`, "Grants.Operations is a JSON string, not a list"},
		"an operation a number":   {`{"Grants": [{"GrantId": "g1", "GranteePrincipal": "p", "Operations": [7]}]}`, "Grants.Operations is a JSON number, not a string"},
		"GranteePrincipal a list": {`{"Grants": [{"GrantId": "g1", "GranteePrincipal": ["p"], "Operations": ["Decrypt"]}]}`, "Grants.GranteePrincipal is a JSON array, not a string"},
		"Constraints a list":      {`{"Grants": [{` + ok + `, "Constraints": []}]}`, "Grants.Constraints is a JSON array, not an object"},
		"a context value a number": {`{"Grants": [{` + ok + `, "Constraints": {"EncryptionContextSubset": {"a": 1}}}]}`,
			"is a JSON number, not a string"},
		"Truncated a string": {`{"Grants": [], "Truncated": "false"}`, "Truncated is a JSON string, not true or false"},
		"CreationDate a word": {`{"Grants": [{` + ok + `, "CreationDate": "yesterday"}]}`,
			`"yesterday" is neither ISO 8601 nor epoch seconds`},
		"CreationDate out of range": {`{"Grants": [{` + ok + `, "CreationDate": 1e300}]}`, "out of range"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s := grantsOnly(t, tc.member)
			got := s.Problem(keystate.ListGrants)
			assert.True(t, strings.HasPrefix(got, "ListGrants could not be read: "), got)
			assert.Contains(t, got, tc.want)
			assert.NotContains(t, got, "Go struct", "the reader is not shown Go types")
			assert.Nil(t, s.Grants, "no partial list")
			assert.False(t, s.Has(keystate.ListGrants))
			assert.True(t, s.Answered(keystate.ListGrants), "an answer came; it could not be used")
		})
	}
}

// ListGrants is a required member: a snapshot without it says so.
func TestListGrantsIsRequired(t *testing.T) {
	m := compliantMembers(t)
	delete(m, keystate.ListGrants)
	s := decodeMembers(t, m)
	assert.Equal(t, "ListGrants is missing", s.Problem(keystate.ListGrants))
	assert.Nil(t, s.Grants)
	assert.False(t, s.Has(keystate.ListGrants))
	assert.False(t, s.Answered(keystate.ListGrants))
	for _, other := range []string{keystate.DescribeKey, keystate.GetKeyPolicy, keystate.ListAliases} {
		assert.True(t, s.Has(other), "the other members are read: %s", other)
	}

	// A hand-built state that never had the member is not taken to have it.
	assert.False(t, (&keystate.State{}).Has(keystate.ListGrants))
}

// Grants are saved byte for byte and read back the same.
func TestGrantsSnapshotRoundTrip(t *testing.T) {
	m := compliantMembers(t)
	m[keystate.ListGrants] = json.RawMessage(twoGrants)
	s := decodeMembers(t, m)
	require.Empty(t, s.Problems)
	out, err := s.Snapshot()
	require.NoError(t, err)
	again, err := keystate.Decode(out)
	require.NoError(t, err)
	assert.Equal(t, s.Grants, again.Grants)
	assert.Equal(t, s.Raw, again.Raw)
	assert.Empty(t, again.Problems)

	// Byte for byte, indentation and all.
	s = grantsOnly(t, twoGrants)
	out, err = s.Snapshot()
	require.NoError(t, err)
	assert.Contains(t, string(out), `"ListGrants": `+twoGrants, "the answer as it came")

	// A grant list that could not be read stays unreadable, for the same reason.
	m[keystate.ListGrants] = json.RawMessage(`{"Grants": [], "Truncated": true}`)
	s = decodeMembers(t, m)
	out, err = s.Snapshot()
	require.NoError(t, err)
	again, err = keystate.Decode(out)
	require.NoError(t, err)
	assert.Equal(t, s.Problem(keystate.ListGrants), again.Problem(keystate.ListGrants))
	assert.Contains(t, again.Problem(keystate.ListGrants), "truncated")

	// And one that a live run could not get keeps its reason.
	live := keystate.FromAnswers(map[string]json.RawMessage{})
	live.Problems[keystate.ListGrants] = "kms:ListGrants failed: AccessDeniedException: no"
	out, err = live.Snapshot()
	require.NoError(t, err)
	again, err = keystate.Decode(out)
	require.NoError(t, err)
	assert.Equal(t, "kms:ListGrants failed: AccessDeniedException: no", again.Problem(keystate.ListGrants))
}
