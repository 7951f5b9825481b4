package main

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// --shard is K of N, 1 <= K <= N; anything else is exit 2 naming what is
// wrong, before any run. It is a fleet flag: refused for one key.
func TestShardUsageErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for shard, says := range map[string]string{
		"0/3": `--shard "0/3": K must be 1 to N (3)`,
		"4/3": `--shard "4/3": K must be 1 to N (3)`,
		"a/b": `--shard "a/b": want K/N, two whole numbers`,
		"1/0": `--shard "1/0": N (the number of shards) must be 1 to`,
		"2":   `--shard "2": want K/N`,
	} {
		code, stdout, stderr := cmkcheck(t, nil, "audit", "--all", "--shard", shard)
		assert.Equal(t, exitUsage, code, "%s: %s", shard, stderr)
		assert.Empty(t, stdout)
		assert.Contains(t, stderr, says, shard)
	}
	code, _, stderr := cmkcheck(t, nil, "audit", "--shard", "1/2")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "--shard is for a fleet")
	_, err := os.Stat(filepath.Join(dir, "out"))
	assert.True(t, os.IsNotExist(err), "nothing written")
}

// Bad merge input is exit 2 naming what is wrong, with no index written.
func TestMergeUsageErrors(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	require.NoError(t, os.Mkdir("s1", 0o755))
	require.NoError(t, os.WriteFile("file", nil, 0o644))
	for _, tc := range []struct {
		args []string
		says string
	}{
		{[]string{"merge", "s1"}, "merge needs --out DIR"},
		{[]string{"merge", "--out", "m"}, "merge needs the shards' directories"},
		{[]string{"merge", "--out", "s1", "s1"}, "--out s1 is also a shard's directory"},
		{[]string{"merge", "--out", "m", "--format", "yaml", "s1"}, `--format "yaml"`},
		{[]string{"merge", "--out", "m", "none"}, "none: no such file or directory"},
		{[]string{"merge", "--out", "m", "file"}, "file is not a directory"},
		{[]string{"merge", "--out", "m", "s1"}, "no shard's index could be read: s1 holds no fleet index"},
		{[]string{"merge", "s1", "--outt", "m"}, "unknown flag --outt; did you mean --out?"},
	} {
		code, stdout, stderr := cmkcheck(t, nil, tc.args...)
		assert.Equal(t, exitUsage, code, "%v: %s", tc.args, stderr)
		assert.Empty(t, stdout, "%v", tc.args)
		assert.Contains(t, stderr, tc.says, "%v", tc.args)
	}
	_, err := os.Stat("m")
	assert.True(t, os.IsNotExist(err), "no merged index")
}

// The command line end to end on the embedded target: a keys file whose
// keys are in three accounts x regions, audited as 3 shards (each its own
// --out) and merged, gives what one run gives: the same exit status, the
// same keys with the same statuses, the same places and counts. Without
// one of the shards the merge is NOT READY with an ERROR entry for the
// account and region that shard owned.
func TestShardsMergeLikeOneRun(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.txt")
	require.NoError(t, os.WriteFile(keys, []byte(strings.Join([]string{
		"arn:aws:kms:us-east-1:444455556666:key/11111111-2222-3333-4444-555555555555", // shard 1
		"arn:aws:kms:eu-west-1:444455556666:key/11111111-2222-3333-4444-666666666666", // shard 3: not served
		"alias/Not-There", // 111122223333 us-east-1: shard 2, and every place
	}, "\n")+"\n"), 0o644))
	whole := filepath.Join(dir, "whole")
	wantCode, _, stderr := cmkcheck(t, nil, "audit", "--keys", keys, "--out", whole)
	require.Equal(t, exitNotReady, wantCode, stderr)

	var shards []string
	for k := 1; k <= 3; k++ {
		out := filepath.Join(dir, fmt.Sprintf("shard-%d", k))
		code, stdout, stderr := cmkcheck(t, nil, "audit", "--keys", keys, "--shard", fmt.Sprintf("%d/3", k), "--out", out)
		require.Equal(t, exitNotReady, code, stderr)
		assert.Contains(t, stdout, fmt.Sprintf("shard %d/3: owns 1 of the run's 3 accounts x regions", k))
		shards = append(shards, out)
	}
	merged := filepath.Join(dir, "merged")
	// Flags may follow the directories.
	code, stdout, stderr := cmkcheck(t, nil, "merge", shards[2], shards[0], shards[1], "--out", merged, "--format", "json")
	require.Equal(t, wantCode, code, stderr)
	assert.Contains(t, stdout, `"verdict": "NOT READY"`)

	a, b := readIndexAt(t, whole), readIndexAt(t, merged)
	assert.Equal(t, rowsOf(t, whole, a), rowsOf(t, merged, b), "key by key")
	assert.Equal(t, a.Summary.Verdict, b.Summary.Verdict)
	assert.Equal(t, a.Summary.Keys, b.Summary.Keys)
	assert.Equal(t, a.Summary.PlaceErrors, b.Summary.PlaceErrors)
	assert.Len(t, b.Places, 3)

	missing := filepath.Join(dir, "missing")
	code, _, stderr = cmkcheck(t, nil, "merge", "--out", missing, shards[0], shards[2])
	require.Equal(t, exitNotReady, code, stderr)
	idx := readIndexAt(t, missing)
	var said []string
	for _, p := range idx.Places {
		if p.Error != "" {
			said = append(said, p.Account+" "+p.Region+": "+p.Error)
		}
	}
	assert.Contains(t, strings.Join(said, "\n"), "111122223333 us-east-1: shard 2/3 is missing")
	md, err := os.ReadFile(filepath.Join(missing, "fleet.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "# Fleet audit, 3 shards merged: NOT READY")

	// The merged JUnit files are JUnit by the schema CI tools read
	// (scripts/junit-schema.sh fetches it), not only by our reader.
	xmllint, err := exec.LookPath("xmllint")
	schema := os.Getenv("CMK_JUNIT_XSD")
	if err != nil || schema == "" {
		t.Skip("xmllint or CMK_JUNIT_XSD (scripts/junit-schema.sh) missing: the merged JUnit files are not checked against the schema")
	}
	for _, dir := range []string{merged, missing} {
		out, err := exec.Command(xmllint, "--noout", "--schema", schema, filepath.Join(dir, "fleet.junit.xml")).CombinedOutput()
		assert.NoError(t, err, "xmllint: %s", out)
	}
}

func readIndexAt(t *testing.T, dir string) *reports.FleetIndex {
	t.Helper()
	data, err := os.ReadFile(filepath.Join(dir, "fleet.json"))
	require.NoError(t, err)
	idx, err := reports.ReadIndex(bytes.NewReader(data))
	require.NoError(t, err)
	return idx
}

// rowsOf is each key's row and the statuses of its results file, by
// account, region and what the selection named.
func rowsOf(t *testing.T, dir string, idx *reports.FleetIndex) map[string][]string {
	t.Helper()
	out := map[string][]string{}
	for _, k := range idx.Keys {
		row := []string{k.Verdict, k.Platform, strings.Join(k.Failed, ",")}
		if k.Results != "" {
			data, err := os.ReadFile(filepath.Join(dir, k.Results))
			require.NoError(t, err)
			run, err := reports.ReadResults(bytes.NewReader(data))
			require.NoError(t, err)
			for _, r := range run.Results {
				row = append(row, r.ID+" "+string(r.Status))
			}
			require.NotEqual(t, checks.Ready, run.Verdict)
		}
		out[k.Account+" "+k.Region+" "+k.Selected] = row
	}
	return out
}

// On the embedded target (one account and region, no key) an --all split
// three ways: the shards that own nothing and the one whose place holds
// no key each write an index and exit 1 (NOT READY by itself, with a line
// saying merge decides), never 0 and not a usage error; merged, the run
// judged nothing, which is exit 2 naming where it looked, as one run is.
func TestIdleShardsAreNotReadyAndMergeToNothingJudged(t *testing.T) {
	dir := t.TempDir()
	var shards []string
	for k := 1; k <= 3; k++ {
		out := filepath.Join(dir, fmt.Sprintf("shard-%d", k))
		code, stdout, stderr := cmkcheck(t, nil, "audit", "--all", "--shard", fmt.Sprintf("%d/3", k), "--out", out)
		require.Equal(t, exitNotReady, code, stderr)
		assert.Contains(t, stdout, "verdict: NOT READY")
		owns := 0
		if k == 2 { // 111122223333/us-east-1 is shard 2's
			owns = 1
		}
		assert.Contains(t, stderr, fmt.Sprintf("shard %d/3 judged no key (it owns %d of the run's 1 accounts x regions)", k, owns))
		idx := readIndexAt(t, out)
		require.NotNil(t, idx.Shard)
		assert.Len(t, idx.Shard.Owns, owns)
		shards = append(shards, out)
	}
	code, stdout, stderr := cmkcheck(t, nil, append([]string{"merge", "--out", filepath.Join(dir, "merged")}, shards...)...)
	assert.Equal(t, exitUsage, code, stderr)
	assert.Empty(t, stdout)
	assert.Contains(t, stderr, "nothing was judged: no customer managed key to audit in account 111122223333 in us-east-1")
	_, err := os.Stat(filepath.Join(dir, "merged", "fleet.json"))
	assert.True(t, os.IsNotExist(err), "no index that looks whole")
}
