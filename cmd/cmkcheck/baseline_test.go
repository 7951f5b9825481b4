package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// status returns one check's status and observed text from the JSON output.
func status(t *testing.T, out, id string) (string, string) {
	t.Helper()
	var c contract
	require.NoError(t, json.Unmarshal([]byte(out), &c), out)
	for _, r := range c.Results {
		if r.ID == id {
			return r.Status, r.Observed
		}
	}
	t.Fatalf("no %s in the output", id)
	return "", ""
}

// bent writes the compliant snapshot changed by edit into dir.
func bent(t *testing.T, dir, name string, edit func(s map[string]any)) string {
	t.Helper()
	data, err := os.ReadFile(compliant)
	require.NoError(t, err)
	var s map[string]any
	require.NoError(t, json.Unmarshal(data, &s))
	edit(s)
	out, err := json.MarshalIndent(s, "", "  ")
	require.NoError(t, err)
	path := filepath.Join(dir, name)
	require.NoError(t, os.WriteFile(path, out, 0o600))
	return path
}

// statements changes the key policy's statements.
func statements(t *testing.T, s map[string]any, f func([]any) []any) {
	gkp := s["GetKeyPolicy"].(map[string]any)
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(gkp["Policy"].(string)), &doc))
	doc["Statement"] = f(doc["Statement"].([]any))
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	gkp["Policy"] = string(b)
}

// The two commands after sign-off: keep the results, run against them.
func TestBaselineOfItsOwnResultsIsNoDrift(t *testing.T) {
	dir := t.TempDir()
	signed := filepath.Join(dir, "signed.json")
	code, _, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", compliant, "--profile", example, "--results", signed)
	require.Equal(t, exitReady, code, errOut)

	again := filepath.Join(dir, "again.json")
	md := filepath.Join(dir, "again.md")
	code, out, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", compliant, "--profile", example, "--baseline", signed,
		"--format", "json", "--results", again, "--markdown", md)
	require.Equal(t, exitReady, code, errOut)
	st, observed := status(t, out, "CMK-DRF-1")
	assert.Equal(t, "PASS", st, observed)
	raw, err := os.ReadFile(signed)
	require.NoError(t, err)
	assert.Contains(t, observed, "sha256 "+sha256Hex(raw), "the results carry the baseline's digest")

	// The drift run's own results verify: DRF-1 is judged again from the
	// baseline kept in its evidence.
	code, _, errOut = cmkcheck(t, nil, "verify", "--results", again)
	assert.Equal(t, exitReady, code, errOut)
	report, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(report), "## Drift since the baseline")
	assert.Contains(t, string(report), "No drift")

	// A snapshot is a baseline too.
	code, out, errOut = cmkcheck(t, nil, "evaluate", "--snapshot", compliant, "--profile", example, "--baseline", compliant, "--format", "json")
	require.Equal(t, exitReady, code, errOut)
	st, _ = status(t, out, "CMK-DRF-1")
	assert.Equal(t, "PASS", st)
}

func TestDriftIsJudgedByMeaning(t *testing.T) {
	dir := t.TempDir()
	reordered := bent(t, dir, "reordered.json", func(s map[string]any) {
		statements(t, s, func(st []any) []any {
			for i, j := 0, len(st)-1; i < j; i, j = i+1, j-1 {
				st[i], st[j] = st[j], st[i]
			}
			return st
		})
	})
	code, out, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", reordered, "--profile", example, "--baseline", compliant, "--format", "json")
	require.Equal(t, exitReady, code, errOut)
	st, observed := status(t, out, "CMK-DRF-1")
	assert.Equal(t, "PASS", st, observed)

	added := bent(t, dir, "added.json", func(s map[string]any) {
		statements(t, s, func(st []any) []any {
			return append(st, map[string]any{"Effect": "Allow", "Principal": map[string]any{"AWS": "arn:aws:iam::111122223333:role/Intruder"},
				"Action": "kms:Decrypt", "Resource": "*"})
		})
	})
	md := filepath.Join(dir, "drift.md")
	code, out, errOut = cmkcheck(t, nil, "evaluate", "--snapshot", added, "--profile", example, "--baseline", compliant, "--format", "json", "--markdown", md)
	assert.Equal(t, exitNotReady, code, errOut)
	st, observed = status(t, out, "CMK-DRF-1")
	assert.Equal(t, "FAIL", st)
	assert.Contains(t, observed, "arn:aws:iam::111122223333:role/Intruder kms:Decrypt: NOT ALLOWED → ALLOWED")
	report, err := os.ReadFile(md)
	require.NoError(t, err)
	assert.Contains(t, string(report), "| Principal | Right | Before | After |")
	assert.Contains(t, string(report), "| arn:aws:iam::111122223333:role/Intruder | kms:Decrypt | NOT ALLOWED | ALLOWED |")
}

// A baseline that is not what it claims is a usage error, never accepted.
func TestBadBaselinesAreUsageErrors(t *testing.T) {
	dir := t.TempDir()
	signed := filepath.Join(dir, "signed.json")
	code, _, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", compliant, "--profile", example, "--results", signed)
	require.Equal(t, exitReady, code, errOut)
	orig, err := os.ReadFile(signed)
	require.NoError(t, err)

	altered := filepath.Join(dir, "altered.json")
	edited := strings.Replace(string(orig), `"observed": "shield is privacy-security"`, `"observed": "shield is fine"`, 1)
	require.NotEqual(t, string(orig), edited, "the edit took")
	require.NoError(t, os.WriteFile(altered, []byte(edited), 0o600))
	otherKey := bent(t, dir, "other-key.json", func(s map[string]any) {
		m := s["DescribeKey"].(map[string]any)["KeyMetadata"].(map[string]any)
		m["Arn"] = "arn:aws:kms:us-east-1:111122223333:key/0000abcd-12ab-34cd-56ef-1234567890ab"
		m["KeyId"] = "0000abcd-12ab-34cd-56ef-1234567890ab"
		delete(s, "GetKeyRotationStatus")
		delete(s, "ListAliases")
	})
	notJSON := filepath.Join(dir, "not.json")
	require.NoError(t, os.WriteFile(notJSON, []byte("hello"), 0o600))

	for name, tc := range map[string]struct{ file, says string }{
		"altered results": {altered, "does not verify"},
		"another key":     {otherKey, "not of the key judged"},
		"not JSON":        {notJSON, "neither a results file nor a snapshot"},
		"missing":         {filepath.Join(dir, "nope.json"), "no such file"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", compliant, "--profile", example, "--baseline", tc.file)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tc.says)
		})
	}
}

// A snapshot whose Baseline member is of another key is refused, as any
// member about another key is.
func TestSnapshotWithABaselineOfAnotherKey(t *testing.T) {
	dir := t.TempDir()
	data, err := os.ReadFile(compliant)
	require.NoError(t, err)
	var other map[string]any
	require.NoError(t, json.Unmarshal(data, &other))
	m := other["DescribeKey"].(map[string]any)["KeyMetadata"].(map[string]any)
	m["Arn"] = "arn:aws:kms:us-east-1:111122223333:key/0000abcd-12ab-34cd-56ef-1234567890ab"
	m["KeyId"] = "0000abcd-12ab-34cd-56ef-1234567890ab"
	delete(other, "GetKeyRotationStatus")
	delete(other, "ListAliases")
	path := bent(t, dir, "with-baseline.json", func(s map[string]any) {
		s["Baseline"] = map[string]any{"SHA256": strings.Repeat("0", 64), "Kind": "snapshot", "Snapshot": other}
	})
	code, _, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", path, "--profile", example)
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "the Baseline's DescribeKey")
}
