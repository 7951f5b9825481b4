package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

const (
	compliant = "../../fixtures/snapshots/compliant.json"
	example   = "../../fixtures/profiles/aep-example.yaml"
)

func cmkcheck(t *testing.T, env map[string]string, args ...string) (int, string, string) {
	t.Helper()
	var out, errOut bytes.Buffer
	code := run(context.Background(), args, &out, &errOut, func(k string) string { return env[k] })
	return code, out.String(), errOut.String()
}

type contract struct {
	Verdict string `json:"verdict"`
	Results []struct {
		ID, Title, Severity, Status, Section, Expected, Observed string
		Remediation                                              map[string]string
		Evidence                                                 []struct{ Member, Pointer string }
	} `json:"results"`
}

func TestEvaluateCompliantIsReady(t *testing.T) {
	code, out, _ := cmkcheck(t, nil, "evaluate", "--snapshot", compliant, "--profile", example, "--format", "json")
	require.Equal(t, exitReady, code, out)
	var c contract
	require.NoError(t, json.Unmarshal([]byte(out), &c))
	assert.Equal(t, "READY", c.Verdict)
	assert.Equal(t, len(checks.Catalog()), len(c.Results), "one result per requirement of REQUIREMENTS.md")
	// The contract's field names, exactly.
	var raw struct {
		Results []map[string]json.RawMessage `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &raw))
	var keys []string
	for k := range raw.Results[0] {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	assert.Equal(t, []string{"evidence", "expected", "id", "observed", "remediation", "section", "severity", "status", "title"}, keys)
}

func TestEvaluateTextEndsWithVerdict(t *testing.T) {
	code, out, _ := cmkcheck(t, nil, "evaluate", "--snapshot", "../../fixtures/snapshots/noncompliant/public-principal.json", "--profile", example)
	assert.Equal(t, exitNotReady, code)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "verdict: NOT READY", lines[len(lines)-1])
	assert.Contains(t, out, "CMK-USR-3  FAIL")
	assert.Contains(t, out, "CMK-USR-3 FAIL: open to callers nobody chose: anonymous [kms:Decrypt ALLOWED by statement 8")
}

func TestEvaluateEveryNonCompliantFixture(t *testing.T) {
	dir := "../../fixtures/snapshots/noncompliant"
	b, err := os.ReadFile(filepath.Join(dir, "expected.json"))
	require.NoError(t, err)
	var expected map[string][]string
	require.NoError(t, json.Unmarshal(b, &expected))
	for name, want := range expected {
		t.Run(name, func(t *testing.T) {
			code, out, _ := cmkcheck(t, nil, "evaluate", "--snapshot", filepath.Join(dir, name), "--profile", example, "--format", "json")
			var c contract
			require.NoError(t, json.Unmarshal([]byte(out), &c))
			var got []string
			required := false
			for _, r := range c.Results {
				if r.Status != "PASS" && r.Status != "SKIP" {
					got = append(got, r.ID)
					required = required || r.Severity == "required"
				}
			}
			sort.Strings(want)
			sort.Strings(got)
			assert.Equal(t, want, got)
			if required {
				assert.Equal(t, exitNotReady, code)
				assert.Equal(t, "NOT READY", c.Verdict)
			} else {
				assert.Equal(t, exitReady, code, "only recommended checks are WARN")
			}
		})
	}
}

func TestUsageErrors(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	require.NoError(t, os.WriteFile(bad, []byte("region: us-east-1\nkey_admins: []\n"), 0o600))
	notJSON := filepath.Join(dir, "snap.json")
	require.NoError(t, os.WriteFile(notJSON, []byte("DescribeKey"), 0o600))
	tests := []struct {
		name string
		env  map[string]string
		args []string
		want string
	}{
		{"no command", nil, nil, "usage"},
		{"unknown command", nil, []string{"judge"}, `unknown command "judge"`},
		{"unknown flag", nil, []string{"evaluate", "--snapshot", compliant, "--verbose"}, "verbose"},
		{"missing snapshot", nil, []string{"evaluate"}, "evaluate needs one of --snapshot FILE, --cloudformation TEMPLATE, --terraform-plan PLAN.json"},
		{"bad format", nil, []string{"evaluate", "--snapshot", compliant, "--format", "xml"}, `--format "xml"`},
		{"stray argument", nil, []string{"evaluate", "--snapshot", compliant, "extra"}, `"extra"`},
		{"unknown profile field", nil, []string{"evaluate", "--snapshot", compliant, "--profile", bad}, `unknown field "key_admins"`},
		{"bad environment", map[string]string{"CMK_SHIELD": "gold"}, []string{"evaluate", "--snapshot", compliant}, `field "shield"`},
		{"snapshot not JSON", nil, []string{"evaluate", "--snapshot", notJSON}, "snap.json"},
		{"snapshot absent", nil, []string{"evaluate", "--snapshot", filepath.Join(dir, "none.json")}, "none.json"},
		{"report without results", nil, []string{"report"}, "report needs --results FILE"},
		{"report of a non-results file", nil, []string{"report", "--results", compliant}, "compliant.json"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, _, errOut := cmkcheck(t, tc.env, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}

// evaluate writes the reports, and report renders the same ones again from
// the results file.
func TestReportsRoundTrip(t *testing.T) {
	dir := t.TempDir()
	p := func(n string) string { return filepath.Join(dir, n) }
	code, _, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", "../../fixtures/snapshots/noncompliant/lock-out.json", "--profile", example,
		"--results", p("r.json"), "--junit", p("a.xml"), "--markdown", p("a.md"))
	require.Equal(t, exitNotReady, code, errOut)
	code, _, errOut = cmkcheck(t, nil, "report", "--results", p("r.json"), "--junit", p("b.xml"), "--markdown", p("b.md"))
	require.Equal(t, exitNotReady, code, errOut)
	for _, pair := range [][2]string{{"a.xml", "b.xml"}, {"a.md", "b.md"}} {
		a, err := os.ReadFile(p(pair[0]))
		require.NoError(t, err)
		b, err := os.ReadFile(p(pair[1]))
		require.NoError(t, err)
		assert.Equal(t, string(a), string(b), "%s and %s differ", pair[0], pair[1])
	}
}

// --no-iam (and CMK_NO_IAM) make CMK-ADM-4 SKIP, saying so.
func TestAuditNoIAM(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
	}{
		"flag":     {nil, []string{"--no-iam"}},
		"variable": {map[string]string{"CMK_NO_IAM": "1"}, nil},
	} {
		t.Run(name, func(t *testing.T) {
			args := append([]string{"audit", "--profile", example, "--out", t.TempDir(), "--format", "json"}, tc.args...)
			code, out, errOut := cmkcheck(t, tc.env, args...)
			require.Equal(t, exitReady, code, errOut)
			var c contract
			require.NoError(t, json.Unmarshal([]byte(out), &c))
			found := false
			for _, r := range c.Results {
				if r.ID == "CMK-ADM-4" {
					found = true
					assert.Equal(t, "SKIP", r.Status)
					assert.Contains(t, r.Observed, "--no-iam")
				}
			}
			assert.True(t, found)
		})
	}
}

// The README's main job: an audit on the embedded emulator writes the three
// reports and prints the verdict.
func TestAuditEmbedded(t *testing.T) {
	dir := t.TempDir()
	code, out, errOut := cmkcheck(t, nil, "audit", "--profile", example, "--out", dir)
	require.Equal(t, exitReady, code, "%s\n%s", out, errOut)
	assert.Contains(t, out, "verdict: READY")
	for _, name := range []string{"cmk-audit.results.json", "cmk-audit.junit.xml", "cmk-audit.md"} {
		path := filepath.Join(dir, name)
		assert.FileExists(t, path)
		assert.Contains(t, errOut, path, "the paths are printed")
	}
	assert.Contains(t, errOut, "scheduled for deletion")
}

func TestAuditUsageErrors(t *testing.T) {
	for name, tc := range map[string]struct {
		env  map[string]string
		args []string
		want string
	}{
		"unknown target flag": {nil, []string{"audit", "--target", "azure"}, `--target "azure"`},
		"unknown CMK_TARGET":  {map[string]string{"CMK_TARGET": "gcp"}, []string{"audit", "--profile", example}, "gcp"},
		"aws without a key":   {map[string]string{"AWS_REGION": "us-east-1"}, []string{"audit", "--target", "aws"}, "CMK_PROVISION"},
		"bad CMK_PROVISION":   {map[string]string{"CMK_PROVISION": "perhaps"}, []string{"audit", "--target", "aws"}, "CMK_PROVISION"},
		"bad CMK_NO_IAM":      {map[string]string{"CMK_NO_IAM": "perhaps"}, []string{"audit", "--profile", example}, "CMK_NO_IAM"},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := cmkcheck(t, tc.env, append(tc.args, "--out", t.TempDir())...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}

// Issue 8: a live capture is a snapshot. An audit's --save-snapshot file,
// evaluated offline with the same profile, gives every status, observed
// text and the verdict of the live run.
func TestAuditSaveSnapshotReproducesTheRun(t *testing.T) {
	dir := t.TempDir()
	snap := filepath.Join(dir, "s.json")
	code, live, errOut := cmkcheck(t, nil, "audit", "--target", "embedded", "--profile", example, "--out", dir, "--format", "json", "--save-snapshot", snap)
	require.Equal(t, exitReady, code, errOut)
	assert.Contains(t, errOut, "wrote "+snap)
	code, offline, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", snap, "--profile", example, "--format", "json")
	require.Equal(t, exitReady, code, errOut)
	var a, b contract
	require.NoError(t, json.Unmarshal([]byte(live), &a))
	require.NoError(t, json.Unmarshal([]byte(offline), &b))
	assert.Equal(t, a.Verdict, b.Verdict)
	require.Len(t, b.Results, len(a.Results))
	for i := range a.Results {
		assert.Equal(t, a.Results[i].ID, b.Results[i].ID)
		assert.Equal(t, a.Results[i].Status, b.Results[i].Status, a.Results[i].ID)
		assert.Equal(t, a.Results[i].Observed, b.Results[i].Observed, a.Results[i].ID)
	}

	code, _, errOut = cmkcheck(t, nil, "audit", "--target", "embedded", "--profile", example, "--out", dir, "--save-snapshot", filepath.Join(dir, "no", "such", "dir", "s.json"))
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, errOut, "--save-snapshot")
}
