package audit

import (
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

func snapshot(t *testing.T, path string) *keystate.State {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	s, err := keystate.Decode(b)
	require.NoError(t, err)
	return s
}

// A snapshot's record: no target account or region, so the key ARN names
// both; without the key, the profile names the region.
func TestEvaluateSnapshot(t *testing.T) {
	p, err := profile.Load("../../fixtures/profiles/aep-example.yaml", func(string) string { return "" })
	require.NoError(t, err)
	src := Source{Target: keystate.TargetFacts{Kind: keystate.KindSnapshot, Endpoint: "compliant.json"}, Start: time.Now()}

	run, err := Evaluate(snapshot(t, "../../fixtures/snapshots/compliant.json"), p, src)
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$`, run.RunID, "the one run-ID scheme")
	assert.Equal(t, checks.Ready, run.Verdict)
	assert.Equal(t, src.Target, run.Target)
	assert.Equal(t, "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab", run.KeyARN)
	assert.Equal(t, "111122223333", run.Account)
	assert.Equal(t, "us-east-1", run.Region)
	assert.Empty(t, run.Caller, "a snapshot has no caller")
	assert.Equal(t, p.Profile().Content, []byte(run.Profile.Content))
	assert.False(t, run.End.Before(run.Start))

	run, err = Evaluate(snapshot(t, "../../fixtures/snapshots/noncompliant/region-mismatch.json"), p, src)
	require.NoError(t, err)
	assert.NotEqual(t, p.Profile().Region, run.Region, "the key's region, not the profile's")

	run, err = Evaluate(snapshot(t, "../../fixtures/snapshots/noncompliant/missing-describe-key.json"), p, src)
	require.NoError(t, err)
	assert.Equal(t, p.Profile().Region, run.Region, "no key: the profile's region")
	assert.Empty(t, run.KeyARN)
	assert.Empty(t, run.Account)

	other, err := Evaluate(snapshot(t, "../../fixtures/snapshots/compliant.json"), profile.Default(), src)
	require.NoError(t, err, "the default profile")
	assert.NotEqual(t, run.RunID, other.RunID)
}

// A panic in the checks is an error of the run, not a crash, whichever
// path (live or snapshot) asked.
func TestEvaluatePanicIsAnError(t *testing.T) {
	judge = func(*keystate.State, profile.Valid) ([]checks.Result, []checks.AccessRow) { panic("deliberate") }
	t.Cleanup(func() { judge = checks.Judge })
	_, err := Evaluate(snapshot(t, "../../fixtures/snapshots/compliant.json"), profile.Default(), Source{Target: keystate.TargetFacts{Kind: keystate.KindSnapshot}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "the checks failed on this key state: deliberate")

	_, err = Evaluate(nil, profile.Default(), Source{})
	assert.ErrorContains(t, err, "no key state")
}
