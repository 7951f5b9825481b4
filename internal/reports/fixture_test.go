package reports

import (
	"bytes"
	"os"
	"testing"
	"time"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

const exampleProfile = "../../fixtures/profiles/aep-example.yaml"

// fixtureRun judges a snapshot file and fills the run as audit.Evaluate
// does (which reports cannot import): the renderers are tested on a real
// run. Judging is audit's; this is test code.
func fixtureRun(t testing.TB, snapshotPath string, v profile.Valid) *Run {
	t.Helper()
	data, err := os.ReadFile(snapshotPath)
	require.NoError(t, err)
	state, err := keystate.Decode(data)
	require.NoError(t, err)
	p := v.Profile()
	results := checks.Evaluate(state, v)
	start := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	run := &Run{
		RunID: "20260504T030201Z-0badcafe", Start: start, End: start.Add(time.Second),
		ToolVersion: "(devel)", Commit: "feedface", Target: keystate.TargetFacts{Kind: keystate.KindSnapshot, Endpoint: snapshotPath},
		Region: p.Region, Profile: NewProfileRecord(p.Source, p.Content),
		Verdict: checks.Verdict(results), NotEvaluated: checks.NotEvaluated(results), Results: results,
	}
	if state.Key != nil {
		run.KeyARN, run.Account, run.Region = state.Key.Arn, state.Key.Account(), state.Key.Region()
	}
	snapshot, err := state.Snapshot()
	require.NoError(t, err)
	canonical, err := v.Canonical()
	require.NoError(t, err)
	run.Snapshot = bytes.TrimSpace(snapshot)
	run.SnapshotSHA256, err = SnapshotDigests(run.Snapshot)
	require.NoError(t, err)
	run.Profile.Canonical = string(canonical)
	catalog := Catalog()
	run.Catalog = &catalog
	return run
}

func loadProfile(t testing.TB, path string) profile.Valid {
	t.Helper()
	v, err := profile.Load(path, func(string) string { return "" })
	require.NoError(t, err)
	return v
}

func written(t testing.TB, run *Run) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, WriteResults(&b, run))
	return b.Bytes()
}

// rendered is the run with its results file rendered, as every command
// renders it before the JUnit and Markdown reports.
func rendered(t testing.TB, run *Run) *Run {
	t.Helper()
	r, err := Render(run)
	require.NoError(t, err)
	return r.Run
}
