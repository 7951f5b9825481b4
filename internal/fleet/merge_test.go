package fleet

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/fleetmix"
)

// runTo runs a fleet (a shard of it when s is set) with its reports in dir,
// as the command does.
func runTo(t *testing.T, tg *targets.Conn, p profile.Valid, sel Selection, s Shard, dir string) (*Summary, reports.IndexPaths) {
	t.Helper()
	o := Options{Conn: tg, Profile: p, Selection: sel, Shard: s, Parallel: 3}
	w, err := NewReports(dir, Meta("run-"+s.String(), o, "keys.txt", keystate.TargetFacts{Kind: tg.Kind, Endpoint: "embedded"}))
	require.NoError(t, err)
	o.Sink = w
	sum, err := Run(context.Background(), o)
	require.NoError(t, err)
	paths, err := w.Close(sum)
	require.NoError(t, err)
	return sum, paths
}

// runShards runs the n shards of a run, each into its own directory.
func runShards(t *testing.T, tg *targets.Conn, p profile.Valid, sel Selection, n int) []string {
	t.Helper()
	var dirs []string
	for k := 1; k <= n; k++ {
		dir := filepath.Join(t.TempDir(), fmt.Sprintf("shard-%d", k))
		runTo(t, tg, p, sel, Shard{K: k, N: n}, dir)
		dirs = append(dirs, dir)
	}
	return dirs
}

func readIndexFile(t *testing.T, path string) *reports.FleetIndex {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	idx, err := reports.ReadIndex(f)
	require.NoError(t, err)
	return idx
}

// keyView is what a reader compares of a key: its row and the statuses of
// its results file.
type keyView struct {
	Verdict, Platform string
	Failed, Statuses  []string
	Error             bool
}

// keysOf indexes an index's rows by key ARN (by account, region and the
// selection's text for a key that could not be read), each with the
// statuses of the results file it links.
func keysOf(t *testing.T, dir string, idx *reports.FleetIndex) map[string]keyView {
	t.Helper()
	out := map[string]keyView{}
	for _, k := range idx.Keys {
		id := k.KeyARN
		if !strings.Contains(id, ":key/") { // a key that could not be read
			id = k.Account + " " + k.Region + " " + k.Selected
		}
		v := keyView{Verdict: k.Verdict, Platform: k.Platform, Failed: k.Failed, Error: k.Error != ""}
		if k.Results != "" {
			data, err := os.ReadFile(filepath.Join(dir, k.Results))
			require.NoError(t, err, "the index links %s's results file", id)
			run, err := reports.ReadResults(bytes.NewReader(data))
			require.NoError(t, err, "%s's results file reads back", id)
			v.Statuses = statusLines(run.Results)
			_, err = os.Stat(filepath.Join(dir, k.Markdown))
			require.NoError(t, err, "the index links %s's report", id)
		}
		require.NotContains(t, out, id, "a key once")
		out[id] = v
	}
	return out
}

func placesOf(idx *reports.FleetIndex) []string {
	var out []string
	for _, p := range idx.Places {
		out = append(out, fmt.Sprintf("%s %s keys=%d aws=%d error=%t", p.Account, p.Region, p.Keys, len(p.AWSManaged), p.Error != ""))
	}
	return out
}

// summaryOf is the index summary but for when the run ended.
func summaryOf(idx *reports.FleetIndex) reports.IndexSummary {
	s := idx.Summary
	s.End = time.Time{}
	return s
}

// Three shards of a run over several accounts and regions, merged, equal
// the run unsplit: the same keys with the same verdicts, failed IDs,
// platform and statuses (from the copied results files, which verify), the
// same places in the same order, the same counts and verdict.
func TestShardsMergedEqualOneRun(t *testing.T) {
	tg := openEmbedded(t)
	p := testProfileFor(t, tg)
	keys := makeMix(t, tg, p, len(fleetmix.Mix))
	var lines []string
	for _, k := range keys {
		lines = append(lines, k.Arn)
	}
	// Keys in other accounts and regions: each is a place of its own (the
	// embedded target serves one region, so the other regions are ERROR
	// entries, and answers NotFound for another account's key).
	lines = append(lines,
		"arn:aws:kms:us-east-1:444455556666:key/11111111-2222-3333-4444-555555555555",
		"arn:aws:kms:eu-west-1:444455556666:key/11111111-2222-3333-4444-666666666666",
		"arn:aws:kms:ap-south-1:111122223333:key/11111111-2222-3333-4444-777777777777",
		"alias/Not-There")
	refs, err := ParseKeysFile(strings.NewReader(strings.Join(lines, "\n")), "keys.txt")
	require.NoError(t, err)
	sel := Selection{Keys: refs}

	whole := filepath.Join(t.TempDir(), "whole")
	wholeSum, wholePaths := runTo(t, tg, p, sel, Shard{}, whole)
	dirs := runShards(t, tg, p, sel, 3)
	owned := map[int][]string{}
	for k, dir := range dirs {
		idx := readIndexFile(t, filepath.Join(dir, "fleet.json"))
		require.NotNil(t, idx.Shard)
		assert.Equal(t, k+1, idx.Shard.K)
		assert.Len(t, idx.Shard.Plan, 4, "every shard plans the run's 4 accounts x regions")
		owned[k+1] = idx.Shard.Owns
	}
	// The split of these places, fixed by ShardOf.
	assert.Equal(t, map[int][]string{1: {"444455556666/us-east-1"}, 2: {"111122223333/us-east-1", "111122223333/ap-south-1"},
		3: {"444455556666/eu-west-1"}}, owned)

	merged := filepath.Join(t.TempDir(), "merged")
	sum, paths, err := Merge(MergeOptions{Dirs: []string{dirs[2], dirs[0], dirs[1]}, Out: merged, RunID: "merged"})
	require.NoError(t, err)
	assert.Equal(t, wholeSum.Verdict(), sum.Verdict())
	assert.Equal(t, checks.NotReady, sum.Verdict(), "the mix and the unlisted regions are NOT READY")

	a, b := readIndexFile(t, wholePaths.JSON), readIndexFile(t, paths.JSON)
	assert.Equal(t, keysOf(t, whole, a), keysOf(t, merged, b), "key by key")
	assert.Equal(t, placesOf(a), placesOf(b), "the places, in the run's order")
	assert.Equal(t, summaryOf(a), summaryOf(b))
	assert.Equal(t, len(keys)+3, len(b.Keys), "the mix, the other account's missing key, and the alias in the two places that could be listed")
	require.NotNil(t, b.Merged)
	assert.Len(t, b.Merged.Shards, 3)
	assert.Nil(t, b.Shard)

	ja, err := os.ReadFile(wholePaths.JUnit)
	require.NoError(t, err)
	jb, err := os.ReadFile(paths.JUnit)
	require.NoError(t, err)
	assert.Equal(t, strings.Count(string(ja), "<testsuite "), strings.Count(string(jb), "<testsuite "), "a testsuite per key and per place in error")
	assert.Equal(t, strings.Count(string(ja), "<testcase "), strings.Count(string(jb), "<testcase "))
	md, err := os.ReadFile(paths.Markdown)
	require.NoError(t, err)
	assert.Contains(t, string(md), "# Fleet audit, 3 shards merged: NOT READY")
}

// A run of one account and region split three ways leaves two shards with
// nothing to do: each writes an index that says it owns nothing and is
// NOT READY by itself; merged, the run is READY as it is unsplit.
func TestIdleShardsMergeToTheRun(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	p := testProfileFor(t, tg)
	spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
	var made []*provision.Key
	for range 2 {
		k, err := provision.CreateKeyE(ctx, tg.Config, spec)
		require.NoError(t, err)
		made = append(made, k)
	}
	t.Cleanup(func() { assert.NoError(t, fleetmix.Delete(ctx, tg.Config, made, 2)) })
	sel := Selection{All: true}

	whole := filepath.Join(t.TempDir(), "whole")
	wholeSum, wholePaths := runTo(t, tg, p, sel, Shard{}, whole)
	require.Equal(t, checks.Ready, wholeSum.Verdict())
	dirs := runShards(t, tg, p, sel, 3)
	for k, dir := range dirs {
		idx := readIndexFile(t, filepath.Join(dir, "fleet.json"))
		if k+1 == ShardOf(tg.Account, tg.Region, 3) {
			assert.Equal(t, checks.Ready, idx.Summary.Verdict)
			continue
		}
		assert.Empty(t, idx.Shard.Owns, "shard %d owns nothing", k+1)
		assert.Empty(t, idx.Keys)
		assert.Equal(t, checks.NotReady, idx.Summary.Verdict, "an idle shard is never READY by itself")
		md, err := os.ReadFile(filepath.Join(dir, "fleet.md"))
		require.NoError(t, err)
		assert.Contains(t, string(md), fmt.Sprintf("Shard %d/3 owns none of the run's 1 account(s) x region(s)", k+1))
	}
	merged := filepath.Join(t.TempDir(), "merged")
	sum, paths, err := Merge(MergeOptions{Dirs: dirs, Out: merged, RunID: "merged"})
	require.NoError(t, err)
	assert.Equal(t, checks.Ready, sum.Verdict())
	a, b := readIndexFile(t, wholePaths.JSON), readIndexFile(t, paths.JSON)
	assert.Equal(t, keysOf(t, whole, a), keysOf(t, merged, b))
	assert.Equal(t, summaryOf(a), summaryOf(b))
}

// What merge cannot join. A missing shard, a directory without an index,
// an index that cannot be read, a results file that is not the one its row
// names, a key in two shards: ERROR entries, NOT READY. A shard given
// twice, shards of different N or of different runs, an index that is no
// shard's: input merge cannot use, an error (exit 2) and no index.
func TestMergeRefuses(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	p := testProfileFor(t, tg)
	spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
	key, err := provision.CreateKeyE(ctx, tg.Config, spec)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, fleetmix.Delete(ctx, tg.Config, []*provision.Key{key}, 1)) })
	refs, err := ParseKeysFile(strings.NewReader(key.Arn+"\narn:aws:kms:us-east-1:444455556666:key/11111111-2222-3333-4444-555555555555\n"), "keys.txt")
	require.NoError(t, err)
	sel := Selection{Keys: refs}
	dirs := runShards(t, tg, p, sel, 3) // 111122223333/us-east-1 is shard 2's, 444455556666/us-east-1 shard 1's
	own := dirs[ShardOf(tg.Account, tg.Region, 3)-1]

	merge := func(dirs ...string) (*Summary, *reports.FleetIndex, error) {
		out := filepath.Join(t.TempDir(), "merged")
		sum, paths, err := Merge(MergeOptions{Dirs: dirs, Out: out, RunID: "merged"})
		if err != nil {
			left, _ := os.ReadDir(out)
			assert.Empty(t, left, "no index, no parts")
			return sum, nil, err
		}
		return sum, readIndexFile(t, paths.JSON), nil
	}
	errorsOf := func(idx *reports.FleetIndex) string {
		var says []string
		for _, pl := range idx.Places {
			if pl.Error != "" {
				says = append(says, pl.Account+" "+pl.Region+": "+pl.Error)
			}
		}
		for _, k := range idx.Keys {
			if k.Error != "" {
				says = append(says, k.KeyARN+": "+k.Error)
			}
		}
		return strings.Join(says, "\n")
	}

	t.Run("all three", func(t *testing.T) {
		sum, idx, err := merge(dirs...)
		require.NoError(t, err)
		assert.Zero(t, sum.PlaceErrors)
		assert.Len(t, idx.Keys, 2)
	})
	t.Run("a missing shard that owned a place", func(t *testing.T) {
		sum, idx, err := merge(dirs[0], dirs[2])
		require.NoError(t, err)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Equal(t, 1, sum.PlaceErrors)
		assert.Contains(t, errorsOf(idx), tg.Account+" "+tg.Region+": shard 2/3 is missing")
	})
	t.Run("a missing shard that owned nothing", func(t *testing.T) {
		sum, idx, err := merge(dirs[0], dirs[1])
		require.NoError(t, err)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Contains(t, errorsOf(idx), "(shard 3/3) -: shard 3/3 is missing")
	})
	t.Run("a directory without an index", func(t *testing.T) {
		sum, idx, err := merge(append(dirs, t.TempDir())...)
		require.NoError(t, err)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Contains(t, errorsOf(idx), "holds no fleet index")
	})
	t.Run("an index that cannot be read", func(t *testing.T) {
		bad := t.TempDir()
		require.NoError(t, os.WriteFile(filepath.Join(bad, "fleet.json"), []byte(`{"run_id": 7}`), 0o644))
		sum, idx, err := merge(append(dirs, bad)...)
		require.NoError(t, err)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Contains(t, errorsOf(idx), "fleet.json cannot be read")
	})
	t.Run("a results file that is not the one its row names", func(t *testing.T) {
		tampered := copyDir(t, own)
		idx := readIndexFile(t, filepath.Join(tampered, "fleet.json"))
		row := idx.Keys[0]
		require.Equal(t, key.Arn, row.KeyARN)
		path := filepath.Join(tampered, row.Results)
		data, err := os.ReadFile(path)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(path, append(data, ' '), 0o644))
		others := []string{dirs[0], dirs[1], dirs[2]}
		others[ShardOf(tg.Account, tg.Region, 3)-1] = tampered
		sum, merged, err := merge(others...)
		require.NoError(t, err)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Contains(t, errorsOf(merged), key.Arn+": the shard's results file "+row.Results+" has SHA-256")
		for _, k := range merged.Keys {
			if k.KeyARN == key.Arn {
				assert.Equal(t, "ERROR", k.Verdict)
				assert.Empty(t, k.Results, "no link to evidence that was not checked")
			}
		}
	})
	t.Run("a key in two shards", func(t *testing.T) {
		// Shard 1's index made to list shard 2's key as well.
		twice := copyDir(t, dirs[0])
		idx := readIndexFile(t, filepath.Join(twice, "fleet.json"))
		theirs := readIndexFile(t, filepath.Join(own, "fleet.json"))
		idx.Keys = append(idx.Keys, theirs.Keys...)
		for _, k := range theirs.Keys {
			copyFile(t, filepath.Join(own, k.Results), filepath.Join(twice, k.Results))
			copyFile(t, filepath.Join(own, k.Markdown), filepath.Join(twice, k.Markdown))
		}
		data, err := json.Marshal(idx)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(twice, "fleet.json"), data, 0o644))
		sum, merged, err := merge(twice, dirs[1], dirs[2])
		require.NoError(t, err)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Contains(t, errorsOf(merged), key.Arn+": key "+key.Arn+" is also in shard 2/3")
	})
	for name, tc := range map[string]struct {
		dirs func(t *testing.T) []string
		says string
	}{
		"a shard twice": {func(*testing.T) []string { return append(dirs, copyDir(t, dirs[1])) }, "shard 2/3 is given twice"},
		"shards of different N": {func(t *testing.T) []string {
			return []string{dirs[0], runShards(t, tg, p, sel, 2)[1]}
		}, "split it the same way"},
		"shards of different profiles": {func(t *testing.T) []string {
			other, err := profile.Parse(fmt.Appendf(nil, testProfile+"rotation_required: true\n", tg.Region, tg.Account))
			require.NoError(t, err)
			return []string{dirs[0], runShards(t, tg, other, sel, 3)[1]}
		}, "their profiles differ"},
		"shards of different selections": {func(t *testing.T) []string {
			return []string{dirs[0], runShards(t, tg, p, Selection{All: true}, 3)[1]}
		}, "their selections differ"},
		"an index that is no shard's": {func(t *testing.T) []string {
			whole := filepath.Join(t.TempDir(), "whole")
			runTo(t, tg, p, sel, Shard{}, whole)
			return []string{dirs[0], whole}
		}, "is not a shard's index (written without --shard K/N)"},
		"a file for a directory": {func(t *testing.T) []string {
			return []string{dirs[0], filepath.Join(dirs[0], "fleet.json")}
		}, "is not a directory"},
		"no readable shard": {func(t *testing.T) []string { return []string{t.TempDir()} }, "no shard's index could be read"},
		"no directory":      {func(*testing.T) []string { return nil }, "give the shards' directories"},
	} {
		t.Run(name, func(t *testing.T) {
			_, _, err := merge(tc.dirs(t)...)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.says)
		})
	}
}

// Shards that together judged nothing are what one run that judged
// nothing is: never READY, the same error naming where they looked, and
// no merged index.
func TestMergedNothingIsNeverReady(t *testing.T) {
	tg := openEmbedded(t)
	p := testProfileFor(t, tg)
	dirs := runShards(t, tg, p, Selection{All: true}, 2)
	out := filepath.Join(t.TempDir(), "merged")
	_, _, err := Merge(MergeOptions{Dirs: dirs, Out: out, RunID: "merged"})
	var nothing *NothingJudgedError
	require.ErrorAs(t, err, &nothing)
	assert.Equal(t, []string{tg.Account + " " + tg.Region}, nothing.Places)
	left, _ := os.ReadDir(out)
	assert.Empty(t, left)
}

func copyDir(t *testing.T, from string) string {
	t.Helper()
	to := filepath.Join(t.TempDir(), filepath.Base(from))
	require.NoError(t, os.CopyFS(to, os.DirFS(from)))
	return to
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	data, err := os.ReadFile(from)
	require.NoError(t, err)
	require.NoError(t, os.MkdirAll(filepath.Dir(to), 0o755))
	require.NoError(t, os.WriteFile(to, data, 0o644))
}
