package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// Bad fleet input is exit 2 with a message naming what is wrong; never a
// panic, never a run.
func TestFleetUsageErrors(t *testing.T) {
	dir := t.TempDir()
	keys := filepath.Join(dir, "keys.txt")
	require.NoError(t, os.WriteFile(keys, []byte("alias/Platform-Key\n"), 0o644))
	accounts := filepath.Join(dir, "accounts.txt")
	require.NoError(t, os.WriteFile(accounts, []byte("111122223333\n"), 0o644))
	bad := filepath.Join(dir, "bad.txt")
	require.NoError(t, os.WriteFile(bad, []byte("alias/ok\nnot a key\n"), 0o644))
	t.Chdir(dir) // a run that stops before it begins leaves nothing in ./out
	for _, tc := range []struct {
		env  map[string]string
		args []string
		says string
	}{
		{nil, []string{"audit", "--all", "--key", "alias/x"}, "--key names one key"},
		{nil, []string{"audit", "--all", "--keys", keys}, "--all and --keys both"},
		{nil, []string{"audit", "--keys", filepath.Join(dir, "none.txt")}, "no such file"},
		{nil, []string{"audit", "--keys", bad}, "bad.txt:2:"},
		{nil, []string{"audit", "--all", "--regions", "us-east-1,mars-1"}, `"mars-1" is not an AWS region name`},
		{nil, []string{"audit", "--regions", "us-east-1"}, "need a selection of keys"},
		{nil, []string{"audit", "--all", "--accounts", accounts}, "give --role-arn-template"},
		{nil, []string{"audit", "--all", "--role-arn-template", "arn:aws:iam::123456789012:role/A"}, "exactly once"},
		{nil, []string{"audit", "--all", "--parallel", "999"}, "--parallel 999"},
		{nil, []string{"audit", "--all", "--save-snapshot", "x.json"}, "--save-snapshot is for one key"},
		{nil, []string{"audit", "--all", "--format", "yaml"}, "--format"},
		{nil, []string{"audit", "--all", "--target", "mainframe"}, "--target"},
		{nil, []string{"audit", "--all", "extra"}, "unexpected argument"},
		{map[string]string{"CMK_ALL": "maybe"}, []string{"audit"}, "CMK_ALL="},
		{map[string]string{"CMK_ALL": "1", "CMK_PARALLEL": "many"}, []string{"audit"}, "CMK_PARALLEL="},
		{map[string]string{"CMK_ALL": "1", "CMK_TARGET": "mainframe"}, []string{"audit"}, "CMK_TARGET"},
		{nil, []string{"audit", "--all", "--accounts", keys, "--role-arn-template", "arn:aws:iam::{account}:role/A"}, "is not a 12-digit AWS account ID"},
		{nil, []string{"audit", "--all", "--organization", "--role-arn-template", "arn:aws:iam::{account}:role/A"}, "the embedded target has one account"},
	} {
		code, _, stderr := cmkcheck(t, tc.env, tc.args...)
		assert.Equal(t, exitUsage, code, "%v %v: %s", tc.env, tc.args, stderr)
		assert.Contains(t, stderr, tc.says, "%v %v", tc.env, tc.args)
	}
	parts, err := filepath.Glob(filepath.Join(dir, "out", ".*.part"))
	require.NoError(t, err)
	assert.Empty(t, parts, "no index parts are left behind")
}

// An empty fleet judged nothing: never READY, but a usage error (exit 2)
// in one line that names the account and region looked in, and no index
// that could pass for a run's. A key that is not there is NOT READY (exit
// 1) and an ERROR row of its own; the index lists it.
func TestFleetAuditEmbedded(t *testing.T) {
	dir := t.TempDir()
	empty := filepath.Join(dir, "empty")
	code, stdout, stderr := cmkcheck(t, nil, "audit", "--all", "--out", empty)
	require.Equal(t, exitUsage, code, stderr)
	assert.Empty(t, stdout, "no verdict is printed")
	assert.Empty(t, strings.TrimSpace(progressLines(stderr)), "no progress line when stderr is not a terminal")
	said := strings.TrimSpace(stderr)
	assert.NotContains(t, said, "\n", "one message")
	assert.Contains(t, said, "nothing was judged")
	assert.Contains(t, said, "account 111122223333 in us-east-1")
	assert.NotContains(t, said, "usage:", "not a misuse of the flags")
	left, err := os.ReadDir(empty)
	require.NoError(t, err)
	assert.Empty(t, left, "no index, no parts")

	keys := filepath.Join(dir, "keys.txt")
	require.NoError(t, os.WriteFile(keys, []byte("alias/Not-Made-Yet\n"), 0o644))
	out := filepath.Join(dir, "missing")
	code, stdout, stderr = cmkcheck(t, map[string]string{"CMK_KEYS_FILE": keys}, "audit", "--out", out, "--progress", "--format", "json")
	require.Equal(t, exitNotReady, code, stderr)
	assert.Contains(t, stdout, `"verdict": "NOT READY"`)
	assert.Contains(t, progressLines(stderr), "1/1 keys done", "--progress prints the line where it is not a terminal")
	f, err := os.Open(filepath.Join(out, "fleet.json"))
	require.NoError(t, err)
	defer f.Close()
	idx, err := reports.ReadIndex(f)
	require.NoError(t, err)
	require.Len(t, idx.Keys, 1)
	assert.Equal(t, "alias/Not-Made-Yet", idx.Keys[0].Selected)
	assert.Equal(t, "NOT READY", idx.Keys[0].Verdict)
	assert.Contains(t, idx.Keys[0].Failed, "CMK-CFG-5")
}

func progressLines(stderr string) string {
	var out []string
	for _, l := range strings.Split(stderr, "\n") {
		if strings.Contains(l, "keys done") {
			out = append(out, l)
		}
	}
	return strings.Join(out, "\n")
}

// The index says when the run began, in all three files: fleet.json's
// start, fleet.md's "Run:" line, and the JUnit timestamp of a testsuite
// that has no key run of its own (a region the embedded target cannot
// list). Year 1 would tell an auditor nothing.
func TestFleetIndexNamesTheStart(t *testing.T) {
	out := filepath.Join(t.TempDir(), "out")
	before := time.Now().UTC().Truncate(time.Second)
	code, _, stderr := cmkcheck(t, nil, "audit", "--all", "--regions", "us-east-1,eu-west-1", "--out", out)
	require.Equal(t, exitNotReady, code, "a region that cannot be listed is NOT READY: %s", stderr)
	after := time.Now().UTC()

	f, err := os.Open(filepath.Join(out, "fleet.json"))
	require.NoError(t, err)
	defer f.Close()
	idx, err := reports.ReadIndex(f)
	require.NoError(t, err)
	start := idx.Start.UTC()
	require.False(t, start.Before(before), "start %s is the run's, not before it (%s)", start, before)
	require.False(t, start.After(after), "start %s is the run's, not after it (%s)", start, after)
	assert.False(t, idx.Summary.End.Before(start), "the run ends after it starts")

	md, err := os.ReadFile(filepath.Join(out, "fleet.md"))
	require.NoError(t, err)
	assert.Contains(t, string(md), "- Run: "+idx.RunID+", "+start.Format(time.RFC3339Nano)+" to ")
	assert.NotContains(t, string(md), "0001-01-01")

	junit, err := os.ReadFile(filepath.Join(out, "fleet.junit.xml"))
	require.NoError(t, err)
	assert.Contains(t, string(junit), `<testsuite name="listing 111122223333 eu-west-1"`)
	assert.Contains(t, string(junit), `timestamp="`+start.Format("2006-01-02T15:04:05")+`"`)
	assert.NotContains(t, string(junit), "0001-01-01")
}
