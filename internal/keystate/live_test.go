package keystate_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

const target = `"Target": {"Kind": "embedded", "Region": "us-east-1", "Account": "111122223333"}`

// Every form of the live members reads back as the facts it holds.
func TestLiveMembersDecode(t *testing.T) {
	s, err := keystate.Decode([]byte(`{` + target + `,
		"GetCallerIdentity": {"UserId": "AIDA", "Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/alice"},
		"SimulatePrincipalPolicy": {"PolicySourceArn": "arn:aws:iam::111122223333:user/alice", "IsTruncated": false,
			"EvaluationResults": [{"EvalActionName": "kms:CreateKey", "EvalDecision": "allowed", "EvalResourceName": "*", "MatchedStatements": []}]},
		"RoundTrip": {"Requested": true, "PlaintextBytes": 32, "PlaintextMatches": true,
			"Encrypt": {"KeyId": "k", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT", "CiphertextBytes": 184}, "Decrypt": {"KeyId": "k", "PlaintextBytes": 32}}}`))
	require.NoError(t, err)
	for _, m := range keystate.LiveMembers {
		assert.Empty(t, s.Problem(m), m)
	}
	assert.True(t, s.Live())
	assert.Equal(t, &keystate.TargetFacts{Kind: "embedded", Region: "us-east-1", Account: "111122223333"}, s.Target)
	assert.Equal(t, &keystate.Caller{UserID: "AIDA", Account: "111122223333", Arn: "arn:aws:iam::111122223333:user/alice"}, s.Identity.Caller)
	assert.Equal(t, []keystate.Evaluation{{EvalActionName: "kms:CreateKey", EvalDecision: "allowed"}}, s.Simulation.EvaluationResults)
	assert.True(t, *s.RoundTrip.PlaintextMatches)
	assert.Equal(t, 184, s.RoundTrip.Encrypt.CiphertextBytes)

	s, err = keystate.Decode([]byte(`{` + target + `,
		"GetCallerIdentity": {"NotRun": "no STS on the embedded target"},
		"SimulatePrincipalPolicy": {"PolicySourceArn": "arn:aws:iam::111122223333:user/alice", "Error": {"Operation": "iam:SimulatePrincipalPolicy", "Code": "AccessDenied", "Detail": "denied"}},
		"RoundTrip": {"Requested": true, "Error": {"Operation": "kms:Encrypt", "Code": "DisabledException", "Message": "disabled", "Detail": "api error DisabledException: disabled"}}}`))
	require.NoError(t, err)
	assert.Equal(t, "no STS on the embedded target", s.Identity.NotRun)
	assert.Equal(t, "AccessDenied", s.Simulation.Error.Code)
	assert.Equal(t, &keystate.CallError{Operation: "kms:Encrypt", Code: "DisabledException", Message: "disabled", Detail: "api error DisabledException: disabled"}, s.RoundTrip.Error)

	s, err = keystate.Decode([]byte(`{"RoundTrip": {"Requested": false}, "SimulatePrincipalPolicy": {"NotRun": "no IAM"}}`))
	require.NoError(t, err)
	assert.False(t, s.Live(), "without Target it is not a live capture")
	assert.False(t, s.RoundTrip.Requested)
	assert.Equal(t, "no IAM", s.Simulation.NotRun)
	assert.Nil(t, s.Identity, "absent: offline")
	assert.Empty(t, s.Problem(keystate.GetCallerIdentity), "an absent optional member is no problem")
}

// A live member that holds no form, or two, or lacks what its form needs,
// is a problem that names what is wrong (its checks ERROR).
func TestLiveMemberProblems(t *testing.T) {
	tests := map[string]struct{ member, data, want string }{
		"identity: two forms":         {keystate.GetCallerIdentity, `{"NotRun": "x", "Error": {"Detail": "y"}}`, "holds more than one of"},
		"identity: no form":           {keystate.GetCallerIdentity, `{}`, "holds none of"},
		"identity: no Arn":            {keystate.GetCallerIdentity, `{"Account": "111122223333"}`, "lacks Account or Arn"},
		"identity: empty NotRun":      {keystate.GetCallerIdentity, `{"NotRun": ""}`, "NotRun is empty"},
		"identity: error says naught": {keystate.GetCallerIdentity, `{"Error": {"Code": "X"}}`, "Error.Detail is missing"},
		"simulation: whose":           {keystate.SimulatePrincipalPolicy, `{"EvaluationResults": []}`, "PolicySourceArn is missing"},
		"simulation: no decision":     {keystate.SimulatePrincipalPolicy, `{"PolicySourceArn": "a", "EvaluationResults": [{"EvalActionName": "kms:Encrypt"}]}`, "EvaluationResults[0] lacks"},
		"simulation: wrong type":      {keystate.SimulatePrincipalPolicy, `{"PolicySourceArn": "a", "EvaluationResults": {}}`, "EvaluationResults is a JSON object, not a list"},
		"roundtrip: no Requested":     {keystate.RoundTrip, `{"PlaintextMatches": true}`, "Requested is missing"},
		"roundtrip: unknown field":    {keystate.RoundTrip, `{"Requested": true, "PlaintextMatch": true}`, `unknown field "PlaintextMatch"`},
		"roundtrip: not requested":    {keystate.RoundTrip, `{"Requested": false, "PlaintextMatches": true}`, "not requested has no outcome"},
		"roundtrip: half results":     {keystate.RoundTrip, `{"Requested": true, "PlaintextBytes": 32, "PlaintextMatches": true}`, "lack Encrypt, Decrypt or PlaintextMatches"},
		"roundtrip: size unknown": {keystate.RoundTrip, `{"Requested": true, "PlaintextMatches": false,
			"Encrypt": {"KeyId": "k", "EncryptionAlgorithm": "SYMMETRIC_DEFAULT", "CiphertextBytes": 1}, "Decrypt": {"KeyId": "k", "PlaintextBytes": 1}}`, "PlaintextBytes is missing"},
		"roundtrip: error and results": {keystate.RoundTrip, `{"Requested": true, "Error": {"Detail": "x"}, "PlaintextMatches": true}`, "holds more than one of"},
		"roundtrip: nothing":           {keystate.RoundTrip, `{"Requested": true}`, "holds none of"},
		"roundtrip: null":              {keystate.RoundTrip, `null`, "Requested is missing"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := keystate.Decode([]byte(`{"` + tc.member + `": ` + tc.data + `}`))
			require.NoError(t, err)
			assert.Contains(t, s.Problem(tc.member), tc.member+" could not be read: ")
			assert.Contains(t, s.Problem(tc.member), tc.want)
		})
	}
}

// Target decides whether the whole snapshot is read as a live capture, and
// CollectionErrors what its absent members mean: either unreadable makes
// the file unusable, with a message that says why.
func TestUnreadableCaptureIsRefused(t *testing.T) {
	tests := map[string]struct{ data, want string }{
		"Target without Kind":            {`{"Target": {"Region": "us-east-1"}}`, "snapshot member Target: Target.Kind is missing"},
		"Target without Region":          {`{"Target": {"Kind": "aws"}}`, "Target.Region is missing"},
		"Target with a typo":             {`{"Target": {"Kind": "aws", "Region": "us-east-1", "Acount": "1"}}`, `unknown field "Acount"`},
		"Target null":                    {`{"Target": null}`, "member Target is null"},
		"Target a string":                {`{"Target": "aws"}`, "the answer is a JSON string, not an object"},
		"CollectionErrors a list":        {`{"CollectionErrors": ["x"]}`, "not an object of member names and reasons"},
		"CollectionErrors unknown name":  {`{"CollectionErrors": {"DescribeKeys": "x"}}`, `"DescribeKeys" is not a member`},
		"CollectionErrors about itself":  {`{"CollectionErrors": {"CollectionErrors": "x"}}`, "is not a member"},
		"CollectionErrors of an answer":  {`{"ListAliases": {"Aliases": []}, "CollectionErrors": {"ListAliases": "x"}}`, "ListAliases is present"},
		"CollectionErrors without cause": {`{"CollectionErrors": {"ListAliases": " "}}`, "the reason for ListAliases is empty"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := keystate.Decode([]byte(tc.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// CollectionErrors gives an absent member the live run's problem, and
// tells a call that failed from an answer that could not be read.
func TestCollectionErrorsAndAnswered(t *testing.T) {
	s, err := keystate.Decode([]byte(`{` + target + `, "ListAliases": {"Aliases": "x"}, "CollectionErrors": {
		"DescribeKey": "kms:DescribeKey failed: ThrottlingException",
		"GetKeyPolicy": "GetKeyPolicy could not be read: the answer is not valid UTF-8",
		"RoundTrip": "RoundTrip could not be recorded: x"}}`))
	require.NoError(t, err)
	assert.Equal(t, "kms:DescribeKey failed: ThrottlingException", s.Problem(keystate.DescribeKey))
	assert.Equal(t, "RoundTrip could not be recorded: x", s.Problem(keystate.RoundTrip))
	assert.Equal(t, "GetKeyRotationStatus is missing", s.Problem(keystate.GetKeyRotationStatus))
	assert.False(t, s.Answered(keystate.DescribeKey), "the call failed")
	assert.True(t, s.Answered(keystate.GetKeyPolicy), "an answer came that could not be kept")
	assert.True(t, s.Answered(keystate.ListAliases), "an answer came that could not be read")
	assert.False(t, s.Answered(keystate.GetKeyRotationStatus))
}
