package keystate_test

import (
	"os"
	"reflect"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

func TestDecodeCompliant(t *testing.T) {
	data, err := os.ReadFile("../../fixtures/snapshots/compliant.json")
	require.NoError(t, err)
	s, err := keystate.Decode(data)
	require.NoError(t, err)
	assert.Empty(t, s.Problems)
	require.NotNil(t, s.Key)
	assert.Equal(t, "us-east-1", s.Key.Region())
	assert.Equal(t, "111122223333", s.Key.Account())
	assert.Equal(t, "aws", s.Key.Partition())
	require.NotNil(t, s.Key.MultiRegion)
	assert.False(t, *s.Key.MultiRegion)
	assert.Equal(t, 2026, s.Key.CreationDate.Year())
	require.NotNil(t, s.Rotation.RotationPeriodInDays)
	assert.Equal(t, 365, *s.Rotation.RotationPeriodInDays)
	assert.Len(t, s.Aliases, 1)
	assert.Contains(t, s.Policy, "kms:*")
	assert.Len(t, s.Raw, len(keystate.Members))
}

func TestEpochAndISOTimesAgree(t *testing.T) {
	iso, err := keystate.Decode([]byte(`{"DescribeKey":{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:us-east-1:111122223333:key/k","CreationDate":"2026-11-02T09:14:07.5+00:00"}}}`))
	require.NoError(t, err)
	epoch, err := keystate.Decode([]byte(`{"DescribeKey":{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:us-east-1:111122223333:key/k","CreationDate":1793610847.5}}}`))
	require.NoError(t, err)
	assert.True(t, iso.Key.CreationDate.Equal(*epoch.Key.CreationDate), "%v vs %v", iso.Key.CreationDate, epoch.Key.CreationDate)
}

func TestDecodeRejectsUnusableFiles(t *testing.T) {
	tests := map[string]struct{ data, want string }{
		"not JSON":       {"hello", "not a readable JSON object"},
		"an array":       {"[1,2]", "not a readable JSON object"},
		"null":           {"null", "got null"},
		"trailing data":  {`{} {}`, "trailing"},
		"unknown member": {`{"DescribeKeys": {}}`, `DescribeKeys`},
		"invalid UTF-8":  {"{\"DescribeKey\": \"\xff\"}", "UTF-8"},
		"too large":      {`{"x":"` + strings.Repeat("a", keystate.MaxSnapshotSize) + `"}`, "more than"},
		"deep nesting":   {strings.Repeat("[", 20000) + strings.Repeat("]", 20000), "exceeded max depth"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			_, err := keystate.Decode([]byte(tc.data))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A member that is missing or malformed is a problem the checks turn into
// ERROR, named precisely; it never stops the other members.
func TestMemberProblems(t *testing.T) {
	tests := map[string]struct {
		data, member, want string
	}{
		"missing":           {`{}`, keystate.GetKeyPolicy, "GetKeyPolicy is missing"},
		"no KeyMetadata":    {`{"DescribeKey":{}}`, keystate.DescribeKey, "KeyMetadata is missing"},
		"no KeyId":          {`{"DescribeKey":{"KeyMetadata":{"Arn":"arn:aws:kms:us-east-1:111122223333:key/k"}}}`, keystate.DescribeKey, "KeyId"},
		"bad Arn":           {`{"DescribeKey":{"KeyMetadata":{"KeyId":"k","Arn":"k"}}}`, keystate.DescribeKey, "Arn"},
		"wrong type":        {`{"DescribeKey":{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:us-east-1:1:key/k","MultiRegion":"no"}}}`, keystate.DescribeKey, "MultiRegion"},
		"bad time":          {`{"DescribeKey":{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:us-east-1:1:key/k","CreationDate":"yesterday"}}}`, keystate.DescribeKey, "yesterday"},
		"huge epoch":        {`{"DescribeKey":{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:us-east-1:1:key/k","CreationDate":1e300}}}`, keystate.DescribeKey, "out of range"},
		"policy not string": {`{"GetKeyPolicy":{"Policy":{"Version":"2012-10-17"}}}`, keystate.GetKeyPolicy, "Policy"},
		"no Policy":         {`{"GetKeyPolicy":{"PolicyName":"default"}}`, keystate.GetKeyPolicy, "Policy is missing"},
		"rotation absent":   {`{"GetKeyRotationStatus":{}}`, keystate.GetKeyRotationStatus, "KeyRotationEnabled"},
		"tags truncated":    {`{"ListResourceTags":{"Tags":[],"Truncated":true}}`, keystate.ListResourceTags, "truncated"},
		"tag without value": {`{"ListResourceTags":{"Tags":[{"TagKey":"a"}]}}`, keystate.ListResourceTags, "Tags[0]"},
		"aliases truncated": {`{"ListAliases":{"Aliases":[],"Truncated":true,"NextMarker":"x"}}`, keystate.ListAliases, "truncated"},
		"aliases a string":  {`{"ListAliases":{"Aliases":"alias/x"}}`, keystate.ListAliases, "ListAliases"},
		"member null":       {`{"ListAliases":null}`, keystate.ListAliases, "Aliases is missing"},
	}
	for name, tc := range tests {
		t.Run(name, func(t *testing.T) {
			s, err := keystate.Decode([]byte(tc.data))
			require.NoError(t, err)
			assert.Contains(t, s.Problem(tc.member), tc.want)
		})
	}
}

func FuzzDecode(f *testing.F) {
	for _, path := range []string{"../../fixtures/snapshots/compliant.json", "../../fixtures/snapshots/noncompliant/multi-region.json"} {
		b, err := os.ReadFile(path)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte(`{"DescribeKey":{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:::"}}}`))
	f.Add([]byte(`{"Target":{"Kind":"embedded","Region":"us-east-1"},"GetCallerIdentity":{"NotRun":"no STS"},` +
		`"SimulatePrincipalPolicy":{"PolicySourceArn":"a","EvaluationResults":[{"EvalActionName":"kms:Encrypt","EvalDecision":"allowed"}]},` +
		`"RoundTrip":{"Requested":true,"Error":{"Operation":"kms:Encrypt","Code":"DisabledException","Detail":"d"}},` +
		`"CollectionErrors":{"GetKeyPolicy":"kms:GetKeyPolicy failed: x"}}`))
	f.Add([]byte(`{"ListGrants":{"Grants":[{"KeyId":"k","GrantId":"g","GranteePrincipal":"arn:aws:iam::444455556666:role/P",` +
		`"Operations":["Decrypt"],"Constraints":{"EncryptionContextSubset":{"a":"b"}},"CreationDate":1793610847.5}],"Truncated":false}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		s, err := keystate.Decode(data)
		if err != nil {
			return
		}
		for _, m := range keystate.Members {
			if _, raw := s.Raw[m]; !raw && s.Problem(m) == "" {
				t.Fatalf("%s neither decoded nor reported", m)
			}
		}
		_ = s.Key.Region()
		_ = s.Key.Account()
		// What was read can be saved and read back the same.
		out, err := s.Snapshot()
		if err != nil {
			if len(data) < keystate.MaxSnapshotSize/2 {
				t.Fatalf("a readable snapshot could not be saved: %v", err)
			}
			return
		}
		again, err := keystate.Decode(out)
		if err != nil {
			t.Fatalf("a saved snapshot does not read back: %v\n%s", err, out)
		}
		if !reflect.DeepEqual(s.Raw, again.Raw) || !reflect.DeepEqual(s.Problems, again.Problems) {
			t.Fatalf("a saved snapshot reads back differently:\n%v\n%v", s.Problems, again.Problems)
		}
	})
}
