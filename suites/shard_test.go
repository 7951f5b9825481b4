package suites

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/fleet"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/fleetmix"
)

// TestShardsMergedEqualOneRun: keys of the mix in two accounts x three
// regions of LocalStack, audited in one run and as three shards
// (--shard K/3, each with its own reports) that merge joins: the merged
// index has every key with the verdict, failed IDs, platform and statuses
// (read from the copied results files) of the run unsplit, the places in
// the same order, the same counts and verdict. Without one shard, the
// accounts and regions it owned are ERROR entries and the run is NOT READY.
func TestShardsMergedEqualOneRun(t *testing.T) {
	if targetKind(t) != keystate.KindLocalStack {
		t.Skip("LocalStack only: the embedded target has one account and one region")
	}
	ctx := t.Context()
	tg, err := opener().Open(ctx, keystate.KindLocalStack, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	p := selfProfile(t, tg)
	accounts := []string{tg.Account, "111111111111"}
	regions := []string{tg.Region, "eu-west-1", "us-west-2"}
	var arns []string
	i := 0
	for _, account := range accounts {
		for _, region := range regions {
			conn, err := opener().Open(ctx, keystate.KindLocalStack, region, account)
			require.NoError(t, err)
			t.Cleanup(conn.Close)
			for range 2 {
				spec := provision.SpecFromProfile(p.Profile(), account, conn.Kind)
				spec.Variant = fleetmix.VariantOf(i, conn.Kind)
				arns = append(arns, createKey(t, conn, spec).Arn)
				i++
			}
		}
	}
	keysFile := filepath.Join(t.TempDir(), "keys.txt")
	require.NoError(t, os.WriteFile(keysFile, []byte(strings.Join(arns, "\n")+"\n"), 0o644))
	sel, err := fleet.Input{KeysFile: keysFile}.Load()
	require.NoError(t, err)

	root := filepath.Join(reportDir(t), "shards")
	require.NoError(t, os.RemoveAll(root))
	wholeSum, wholePaths := shardRun(t, tg, p, sel, fleet.Shard{}, keysFile, filepath.Join(root, "whole"))
	var dirs []string
	for k := 1; k <= 3; k++ {
		dir := filepath.Join(root, fmt.Sprintf("shard-%d", k))
		sum, _ := shardRun(t, tg, p, sel, fleet.Shard{K: k, N: 3}, keysFile, dir)
		t.Logf("shard %d/3 owns %v: %d keys, %s", k, sum.Shard.Owns, sum.Keys, sum.Verdict())
		dirs = append(dirs, dir)
	}
	sum, paths, err := fleet.Merge(fleet.MergeOptions{Dirs: dirs, Out: filepath.Join(root, "merged"), RunID: "merged"})
	require.NoError(t, err)
	t.Logf("whole: %s over %d keys; merged: %s over %d keys; index %s", wholeSum.Verdict(), wholeSum.Keys, sum.Verdict(), sum.Keys, paths.Markdown)
	assert.Equal(t, wholeSum.Verdict(), sum.Verdict())
	assert.Equal(t, len(arns), sum.Keys)
	assert.Zero(t, sum.PlaceErrors)

	a, b := shardIndex(t, wholePaths.JSON), shardIndex(t, paths.JSON)
	wantKeys, gotKeys := shardKeys(t, filepath.Join(root, "whole"), a), shardKeys(t, filepath.Join(root, "merged"), b)
	require.Len(t, wantKeys, len(arns))
	for _, arn := range arns {
		assert.Equal(t, wantKeys[arn], gotKeys[arn], "%s: as the run unsplit judged it", arn)
	}
	assert.Equal(t, shardPlaces(a), shardPlaces(b), "the places, in the run's order")
	sa, sb := a.Summary, b.Summary
	sa.End, sb.End = time.Time{}, time.Time{} // each run ends when it ends
	assert.Equal(t, sa, sb)

	missing, _, err := fleet.Merge(fleet.MergeOptions{Dirs: dirs[1:], Out: filepath.Join(root, "missing"), RunID: "missing"})
	require.NoError(t, err)
	assert.Equal(t, checks.NotReady, missing.Verdict())
	owned := 0
	for _, account := range accounts {
		for _, region := range regions {
			if fleet.ShardOf(account, region, 3) == 1 {
				owned++
			}
		}
	}
	assert.Equal(t, owned, missing.PlaceErrors, "each account and region of the missing shard 1/3 is an ERROR entry")
}

func shardRun(t *testing.T, tg *targets.Conn, p profile.Valid, sel fleet.Selection, s fleet.Shard, keysFile, dir string) (*fleet.Summary, reports.IndexPaths) {
	t.Helper()
	o := fleet.Options{Conn: tg, Profile: p, Selection: sel, Shard: s, Parallel: 4}
	w, err := fleet.NewReports(dir, fleet.Meta("suites-"+s.String(), o, keysFile, keystate.TargetFacts{Kind: tg.Kind, Endpoint: tg.Endpoint}))
	require.NoError(t, err)
	o.Sink = w
	sum, err := fleet.Run(t.Context(), o)
	require.NoError(t, err)
	paths, err := w.Close(sum)
	require.NoError(t, err)
	return sum, paths
}

func shardIndex(t *testing.T, path string) *reports.FleetIndex {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	idx, err := reports.ReadIndex(bytes.NewReader(data))
	require.NoError(t, err)
	return idx
}

// shardKeys is each key's row and statuses, by key ARN.
func shardKeys(t *testing.T, dir string, idx *reports.FleetIndex) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, k := range idx.Keys {
		row := []string{k.Account, k.Region, k.Verdict, k.Platform, strings.Join(k.Failed, ","), k.Error}
		if k.Results != "" {
			data, err := os.ReadFile(filepath.Join(dir, k.Results))
			require.NoError(t, err)
			run, err := reports.ReadResults(bytes.NewReader(data))
			require.NoError(t, err)
			row = append(row, statusLines(run.Results)...)
		}
		require.NotContains(t, out, k.KeyARN)
		out[k.KeyARN] = row
	}
	return out
}

func shardPlaces(idx *reports.FleetIndex) []string {
	var out []string
	for _, p := range idx.Places {
		out = append(out, fmt.Sprintf("%s %s keys=%d error=%q", p.Account, p.Region, p.Keys, p.Error))
	}
	return out
}
