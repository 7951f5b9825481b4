package keystate_test

import (
	"encoding/json"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// sameState holds a decoded snapshot to the state it was written from.
func sameState(t *testing.T, want, got *keystate.State) {
	t.Helper()
	assert.Equal(t, want.Raw, got.Raw, "the answers byte for byte")
	assert.Equal(t, want.Problems, got.Problems)
	assert.Equal(t, want.Key, got.Key)
	assert.Equal(t, want.Policy, got.Policy)
	assert.Equal(t, want.Rotation, got.Rotation)
	assert.Equal(t, want.Tags, got.Tags)
	assert.Equal(t, want.Aliases, got.Aliases)
	assert.Equal(t, want.Target, got.Target)
	assert.Equal(t, want.Identity, got.Identity)
	assert.Equal(t, want.Simulation, got.Simulation)
	assert.Equal(t, want.RoundTrip, got.RoundTrip)
}

func TestSnapshotOfASnapshot(t *testing.T) {
	data, err := os.ReadFile("../../fixtures/snapshots/compliant.json")
	require.NoError(t, err)
	s, err := keystate.Decode(data)
	require.NoError(t, err)
	out, err := s.Snapshot()
	require.NoError(t, err)
	again, err := keystate.Decode(out)
	require.NoError(t, err)
	sameState(t, s, again)
	assert.NotContains(t, string(out), keystate.CollectionErrors, "nothing is missing")
	assert.False(t, again.Live())
}

// The answers go into the file as they came: not compacted, not escaped
// (json.Marshal would turn < into \u003c and drop the spacing), so the
// evidence digests of a re-evaluation match the live run's.
func TestSnapshotKeepsAnswersByteForByte(t *testing.T) {
	policy := `{"Policy" :  "{\"Sid\": \"<&> é\"}",` + "\n" + `  "PolicyName": "default"}`
	tags := `{"Tags":[{"TagKey":"a&b","TagValue":"<x>"}],"Truncated":false}`
	s := keystate.FromAnswers(map[string]json.RawMessage{
		keystate.GetKeyPolicy:     json.RawMessage(policy),
		keystate.ListResourceTags: json.RawMessage(tags),
	})
	out, err := s.Snapshot()
	require.NoError(t, err)
	assert.Contains(t, string(out), `"GetKeyPolicy": `+policy)
	assert.Contains(t, string(out), `"ListResourceTags": `+tags)
	again, err := keystate.Decode(out)
	require.NoError(t, err)
	sameState(t, s, again)
}

// Why a live run has no answer travels with the capture, so the saved run
// reports the same problem; the default "is missing" goes without saying.
func TestSnapshotKeepsWhyAnswersAreMissing(t *testing.T) {
	s := keystate.FromAnswers(map[string]json.RawMessage{
		keystate.Target:       json.RawMessage(`{"Kind":"embedded","Region":"us-east-1"}`),
		keystate.GetKeyPolicy: json.RawMessage("{\"Policy\": \"\xff\"}"),
	})
	s.Problems[keystate.DescribeKey] = "kms:DescribeKey failed: for k: ThrottlingException"
	s.Problems[keystate.RoundTrip] = "RoundTrip could not be recorded: x"
	out, err := s.Snapshot()
	require.NoError(t, err)
	again, err := keystate.Decode(out)
	require.NoError(t, err)
	sameState(t, s, again)
	assert.True(t, again.Answered(keystate.GetKeyPolicy), "an unreadable answer stays an answer")
	assert.False(t, again.Answered(keystate.DescribeKey))
	var members map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(out, &members))
	assert.JSONEq(t, `{"DescribeKey": "kms:DescribeKey failed: for k: ThrottlingException",
		"GetKeyPolicy": "GetKeyPolicy could not be read: the answer is not valid UTF-8",
		"RoundTrip": "RoundTrip could not be recorded: x"}`, string(members[keystate.CollectionErrors]))
}

func TestSnapshotOfNothing(t *testing.T) {
	s := keystate.FromAnswers(nil)
	out, err := s.Snapshot()
	require.NoError(t, err)
	assert.Equal(t, "{\n}\n", string(out))
	again, err := keystate.Decode(out)
	require.NoError(t, err)
	sameState(t, s, again)
}

// A snapshot that would not read back as this state is refused, saying why.
func TestSnapshotRefusesWhatItCannotKeep(t *testing.T) {
	s := keystate.FromAnswers(map[string]json.RawMessage{keystate.ListAliases: json.RawMessage(`{"Aliases": [`)})
	_, err := s.Snapshot()
	assert.ErrorContains(t, err, "the ListAliases answer is not JSON")

	big := `{"Tags":[{"TagKey":"k","TagValue":"` + strings.Repeat("v", keystate.MaxSnapshotSize) + `"}]}`
	s = keystate.FromAnswers(map[string]json.RawMessage{keystate.ListResourceTags: json.RawMessage(big)})
	_, err = s.Snapshot()
	assert.ErrorContains(t, err, "more than the")
}
