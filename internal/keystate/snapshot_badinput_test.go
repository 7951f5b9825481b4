package keystate_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

const arn = "arn:aws:kms:us-east-1:111122223333:key/k"

// Invalid UTF-8 is refused; when a member holds it, the error names the
// member (the decoder would otherwise replace the bytes unnoticed).
func TestInvalidUTF8NamesTheMember(t *testing.T) {
	for name, tc := range map[string]struct{ data, want string }{
		"in the Policy string": {"{\"GetKeyPolicy\": {\"Policy\": \"{\\\"Sid\\\": \\\"\xff\\\"}\"}}", "member GetKeyPolicy"},
		"in an alias name":     {"{\"ListAliases\": {\"Aliases\": [{\"AliasName\": \"alias/\xc3\"}]}}", "member ListAliases"},
		"in a member name":     {"{\"Describe\xffKey\": {}}", "snapshot is not valid UTF-8"},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := keystate.Decode([]byte(tc.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), "not valid UTF-8")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// The live path hands raw answers to FromAnswers without a file check: an
// answer that is not valid UTF-8 is a problem there (its checks ERROR),
// not evidence quietly repaired by the decoder.
func TestLiveAnswerNotUTF8IsAProblem(t *testing.T) {
	s := keystate.FromAnswers(map[string]json.RawMessage{
		keystate.GetKeyPolicy: json.RawMessage("{\"Policy\": \"{\\\"Statement\\\": \\\"\xff\\\"}\"}"),
		keystate.ListAliases:  json.RawMessage(`{"Aliases": []}`),
	})
	assert.Contains(t, s.Problem(keystate.GetKeyPolicy), "not valid UTF-8")
	assert.Empty(t, s.Policy, "nothing of the answer is used")
	assert.NotContains(t, s.Raw, keystate.GetKeyPolicy, "no evidence the reports could not keep byte for byte")
	assert.Empty(t, s.Problem(keystate.ListAliases), "the other members are unaffected")
}

// Nesting: deep inside a member it is that member's problem; beyond the
// decoder's depth limit the file is refused; inside the Policy string it is
// the policy parser's (see checks' bad-input tests). Never a panic.
func TestDeepNestingInAMember(t *testing.T) {
	deep := func(n int) string { return strings.Repeat("[", n) + strings.Repeat("]", n) }

	s, err := keystate.Decode([]byte(`{"DescribeKey": {"KeyMetadata": ` + deep(5000) + `}}`))
	require.NoError(t, err)
	assert.Contains(t, s.Problem(keystate.DescribeKey), "KeyMetadata is a JSON array, not an object")

	_, err = keystate.Decode([]byte(`{"ListAliases": {"Aliases": [{"AliasName": "alias/a", "X": ` + deep(20000) + `}]}}`))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "max depth")
}

// A member of the wrong JSON type is that member's problem, worded with the
// field and the type it should have, not the decoder's Go types.
func TestWrongMemberTypes(t *testing.T) {
	meta := func(extra string) string {
		return `{"DescribeKey": {"KeyMetadata": {"KeyId": "k", "Arn": "` + arn + `"` + extra + `}}}`
	}
	tests := []struct {
		name, data, member, want string
	}{
		{"DescribeKey a string", `{"DescribeKey": "k"}`, keystate.DescribeKey, "the answer is a JSON string, not an object"},
		{"KeyMetadata a list", `{"DescribeKey": {"KeyMetadata": []}}`, keystate.DescribeKey, "KeyMetadata is a JSON array, not an object"},
		{"KeyId a number", `{"DescribeKey": {"KeyMetadata": {"KeyId": 5, "Arn": "` + arn + `"}}}`, keystate.DescribeKey, "KeyMetadata.KeyId is a JSON number, not a string"},
		{"Enabled a string", meta(`, "Enabled": "true"`), keystate.DescribeKey, "KeyMetadata.Enabled is a JSON string, not true or false"},
		{"KeyState an object", meta(`, "KeyState": {"v": "Enabled"}`), keystate.DescribeKey, "KeyMetadata.KeyState is a JSON object, not a string"},
		{"DeletionDate a word", meta(`, "DeletionDate": "soon"`), keystate.DescribeKey, `"soon" is neither ISO 8601 nor epoch seconds`},
		{"GetKeyPolicy a list", `{"GetKeyPolicy": []}`, keystate.GetKeyPolicy, "the answer is a JSON array, not an object"},
		{"Policy an object", `{"GetKeyPolicy": {"Policy": {"Statement": []}}}`, keystate.GetKeyPolicy, "Policy is a JSON object, not a string"},
		{"Policy null", `{"GetKeyPolicy": {"Policy": null}}`, keystate.GetKeyPolicy, "Policy is missing"},
		{"rotation a string", `{"GetKeyRotationStatus": {"KeyRotationEnabled": "true"}}`, keystate.GetKeyRotationStatus, "KeyRotationEnabled is a JSON string, not true or false"},
		{"period a string", `{"GetKeyRotationStatus": {"KeyRotationEnabled": true, "RotationPeriodInDays": "365"}}`, keystate.GetKeyRotationStatus, "RotationPeriodInDays is a JSON string, not a whole number"},
		{"period a fraction", `{"GetKeyRotationStatus": {"KeyRotationEnabled": true, "RotationPeriodInDays": 365.5}}`, keystate.GetKeyRotationStatus, "RotationPeriodInDays is a JSON number 365.5, not a whole number"},
		{"Tags an object", `{"ListResourceTags": {"Tags": {"Adobe": "x"}}}`, keystate.ListResourceTags, "Tags is a JSON object, not a list"},
		{"TagKey a number", `{"ListResourceTags": {"Tags": [{"TagKey": 1, "TagValue": "x"}]}}`, keystate.ListResourceTags, "Tags.TagKey is a JSON number, not a string"},
		{"ListAliases a list", `{"ListAliases": []}`, keystate.ListAliases, "the answer is a JSON array, not an object"},
		{"AliasName a list", `{"ListAliases": {"Aliases": [{"AliasName": ["alias/a"]}]}}`, keystate.ListAliases, "Aliases.AliasName is a JSON array, not a string"},
		{"Truncated a string", `{"ListAliases": {"Aliases": [], "Truncated": "no"}}`, keystate.ListAliases, "Truncated is a JSON string, not true or false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s, err := keystate.Decode([]byte(tc.data))
			require.NoError(t, err, "a wrong member is the member's problem, not the file's")
			got := s.Problem(tc.member)
			assert.True(t, strings.HasPrefix(got, tc.member+" could not be read: "), got)
			assert.Contains(t, got, tc.want)
			assert.NotContains(t, got, "Go struct", "the reader is not shown Go types")
		})
	}
}

// A baseline nested in a baseline is refused at the first level, without
// decoding the levels below it: a file of many levels costs one pass.
func TestNestedBaselinesAreRefusedAtOnce(t *testing.T) {
	inner := `{}`
	for range 2000 {
		inner = `{"Baseline": {"SHA256": "` + strings.Repeat("a", 64) + `", "Kind": "snapshot", "Snapshot": ` + inner + `}}`
	}
	s, err := keystate.Decode([]byte(inner))
	if err != nil {
		t.Fatalf("a member that cannot be read is a problem, not a usage error: %v", err)
	}
	if got := s.Problem(keystate.Baseline); !strings.Contains(got, "a baseline of its own") {
		t.Fatalf("problem: %q", got)
	}
}

// DescribeKey's ARN is read by awsid's one rule: an ARN without a partition,
// service or resource is a problem of the member (its checks ERROR), as the
// access model refuses it too, not a key with an empty region or account.
func TestDescribeKeyARNIsAnARN(t *testing.T) {
	for bad, says := range map[string]string{
		"arn::kms:us-east-1:111122223333:key/k":    "has no partition",
		"arn:aws::us-east-1:111122223333:key/k":    "has no service",
		"arn:aws:kms:us-east-1:111122223333:":      "has no resource",
		"urn:aws:kms:us-east-1:111122223333:key/k": "is not an ARN",
		"key/k": "is not an ARN",
	} {
		s, err := keystate.Decode([]byte(`{"DescribeKey": {"KeyMetadata": {"KeyId": "k", "Arn": "` + bad + `"}}}`))
		require.NoError(t, err, bad)
		assert.Contains(t, s.Problem(keystate.DescribeKey), "KeyMetadata.Arn: ", bad)
		assert.Contains(t, s.Problem(keystate.DescribeKey), says, bad)
		assert.Nil(t, s.Key, bad)
	}
	s, err := keystate.Decode([]byte(`{"DescribeKey": {"KeyMetadata": {"KeyId": "k", "Arn": "` + arn + `"}}}`))
	require.NoError(t, err)
	assert.Empty(t, s.Problem(keystate.DescribeKey))
	assert.Equal(t, "us-east-1", s.Key.Region())
	assert.Equal(t, "111122223333", s.Key.Account())
	assert.Equal(t, "aws", s.Key.Partition())
}
