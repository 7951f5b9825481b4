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

// The required checks a READY of compliant.json does not cover.
const compliantNotEvaluated = "CMK-ACC-1 (evaluating a snapshot offline), CMK-CFG-6 (evaluating a snapshot offline), " +
	"CMK-ADM-4 (evaluating a snapshot offline without the GetAccountAuthorizationDetails member), CMK-DRF-1 (no baseline given)"

// The text's verdict line says what READY does not cover.
func TestTextVerdictSaysWhatIsNotEvaluated(t *testing.T) {
	code, out, _ := cmkcheck(t, nil, "evaluate", "--snapshot", compliant, "--profile", example)
	require.Equal(t, exitReady, code, out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	assert.Equal(t, "verdict: READY — not evaluated: "+compliantNotEvaluated, lines[len(lines)-1])
}

// The JSON object and the results file carry the list beside the verdict;
// report renders it from the results file as evaluate did.
func TestJSONCarriesNotEvaluated(t *testing.T) {
	results := filepath.Join(t.TempDir(), "r.json")
	code, out, _ := cmkcheck(t, nil, "evaluate", "--snapshot", compliant, "--profile", example, "--format", "json", "--results", results)
	require.Equal(t, exitReady, code, out)
	var got struct {
		Verdict      string `json:"verdict"`
		NotEvaluated []struct {
			ID     string `json:"id"`
			Reason string `json:"reason"`
		} `json:"not_evaluated"`
		Results []json.RawMessage `json:"results"`
	}
	require.NoError(t, json.Unmarshal([]byte(out), &got))
	assert.Equal(t, "READY", got.Verdict)
	assert.Len(t, got.Results, 29)
	var words []string
	for _, o := range got.NotEvaluated {
		words = append(words, o.ID+" ("+o.Reason+")")
	}
	assert.Equal(t, compliantNotEvaluated, strings.Join(words, ", "))

	code, again, _ := cmkcheck(t, nil, "report", "--results", results, "--format", "json")
	require.Equal(t, exitReady, code, again)
	assert.JSONEq(t, out, again, "the results file holds the same list")
	code, text, _ := cmkcheck(t, nil, "report", "--results", results)
	require.Equal(t, exitReady, code, text)
	assert.Contains(t, text, "\nverdict: READY — not evaluated: "+compliantNotEvaluated+"\n")
}

// Beside a NOT READY the required SKIPs are listed too; the verdict line
// stays the verdict.
func TestTextListsSkipsBesideNotReady(t *testing.T) {
	code, out, _ := cmkcheck(t, nil, "evaluate", "--snapshot", "../../fixtures/snapshots/noncompliant/public-principal.json", "--profile", example)
	require.Equal(t, exitNotReady, code, out)
	assert.True(t, strings.HasSuffix(out, "\nrequired, not evaluated: "+compliantNotEvaluated+"\n\nverdict: NOT READY\n"), out)
}

// Under the table, each FAIL, ERROR and WARN carries its remediation as the
// result holds it: the console step and the CLI commands, line by line.
func TestTextShowsRemediation(t *testing.T) {
	seen := map[string]bool{}
	for _, args := range [][]string{
		{"--snapshot", "../../fixtures/snapshots/noncompliant/public-principal.json", "--profile", example},
		{"--snapshot", compliant}, // no profile: CMK-REG-1 is ERROR
		{"--snapshot", "../../fixtures/snapshots/noncompliant/generic-alias.json", "--profile", example},
	} {
		_, text, errOut := cmkcheck(t, nil, append([]string{"evaluate"}, args...)...)
		_, js, _ := cmkcheck(t, nil, append([]string{"evaluate", "--format", "json"}, args...)...)
		var c contract
		require.NoError(t, json.Unmarshal([]byte(js), &c), errOut)
		for _, r := range c.Results {
			if r.Status == "PASS" {
				continue
			}
			head := r.ID + " " + r.Status + ": "
			require.Contains(t, text, "\n"+head, r.ID)
			block := text[strings.Index(text, "\n"+head)+1:]
			block = block[:strings.Index(block, "\n")+1] // the reason line
			rest := text[strings.Index(text, "\n"+head)+1+len(block):]
			switch r.Status {
			case "FAIL", "ERROR", "WARN":
				seen[r.Status] = true
				require.NotEmpty(t, r.Remediation["console"], r.ID)
				want := "  console: " + r.Remediation["console"] + "\n"
				for i, line := range strings.Split(r.Remediation["cli"], "\n") {
					if i == 0 {
						want += "  cli:     " + line + "\n"
					} else {
						want += "           " + line + "\n"
					}
				}
				assert.True(t, strings.HasPrefix(rest, want), "%s: want under its reason:\n%s\ngot:\n%s", r.ID, want, rest)
			case "SKIP":
				assert.False(t, strings.HasPrefix(rest, "  console: "), "%s: nothing to fix in a SKIP", r.ID)
			}
		}
	}
	assert.Equal(t, map[string]bool{"FAIL": true, "ERROR": true, "WARN": true}, seen, "every status that needs a fix is seen")
}

// A template's or a plan's SKIPs say what was judged: a key before it
// exists, not a snapshot. The results file verifies under its own kind
// only: the kind decides the words.
func TestIaCSkipsSayBeforeTheKeyExists(t *testing.T) {
	for _, tc := range []struct{ flag, file, words, other string }{
		{"--terraform-plan", "../../fixtures/iac/terraform/aep-cmk/plan.json", "judging a Terraform plan before the key exists", "cloudformation"},
		{"--cloudformation", "../../fixtures/iac/cloudformation/parameter-without-default.yaml", "judging a CloudFormation template before the key exists", "terraform-plan"},
	} {
		t.Run(tc.flag, func(t *testing.T) {
			results := filepath.Join(t.TempDir(), "r.json")
			args := []string{"evaluate", tc.flag, tc.file, "--profile", "../../fixtures/profiles/aep-before-apply.yaml", "--results", results, "--format", "json"}
			if tc.flag == "--cloudformation" {
				args = append(args, "--parameter", "AdminRoleArn=arn:aws:iam::111122223333:role/KMSKeyAdmin")
			}
			_, out, errOut := cmkcheck(t, nil, args...)
			var got struct {
				Keys []struct {
					Results []struct{ ID, Status, Observed string } `json:"results"`
				} `json:"keys"`
			}
			require.NoError(t, json.Unmarshal([]byte(out), &got), errOut)
			require.Len(t, got.Keys, 1)
			said := 0
			for _, r := range got.Keys[0].Results {
				if r.Status != "SKIP" {
					continue
				}
				assert.NotContains(t, r.Observed, "snapshot", r.ID)
				if strings.HasPrefix(r.Observed, tc.words) {
					said++
				}
			}
			assert.Equal(t, 5, said, "CMK-ACC-1, PRM-1, CFG-6, ADM-4 and MON-1 name the template or plan")

			code, _, errOut := cmkcheck(t, nil, "verify", "--results", results)
			require.NotEqual(t, exitUsage, code, errOut)
			data, err := os.ReadFile(results)
			require.NoError(t, err)
			other := strings.Replace(string(data), `"kind": "`+tc.flag[2:]+`"`, `"kind": "`+tc.other+`"`, 1)
			require.NotEqual(t, string(data), other)
			require.NoError(t, os.WriteFile(results, []byte(other), 0o600))
			code, _, errOut = cmkcheck(t, nil, "verify", "--results", results)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, "CMK-ACC-1 observed: the file says \""+tc.words)
		})
	}
}

// A snapshot file that is not one: the message names the file, what was
// expected and what is wrong, and the exit status is 2.
func TestSnapshotThatIsNotOne(t *testing.T) {
	dir := t.TempDir()
	for name, tc := range map[string]struct{ data, says string }{
		"array.json": {`[{"DescribeKey": {}}]`, "found an array"},
		"empty.json": {``, "snapshot is empty"},
		"text.json":  {"{\n  \"DescribeKey\" {}\n}", "invalid JSON at line 2, column 17"},
	} {
		path := filepath.Join(dir, name)
		require.NoError(t, os.WriteFile(path, []byte(tc.data), 0o600))
		code, out, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", path)
		assert.Equal(t, exitUsage, code, name)
		assert.Empty(t, out, name)
		assert.Contains(t, errOut, "cmkcheck: snapshot "+path+": ", name)
		assert.Contains(t, errOut, tc.says, name)
		assert.Contains(t, errOut, "want a JSON object of AWS CLI answers", name)
		assert.NotContains(t, errOut, "Go value", name)
	}
}

// With GITHUB_STEP_SUMMARY set (GitHub Actions), a single run appends its
// verdict line and results table to the job summary, after what is there.
func TestJobSummaryIsAppended(t *testing.T) {
	summary := filepath.Join(t.TempDir(), "summary.md")
	require.NoError(t, os.WriteFile(summary, []byte("earlier step\n"), 0o644))
	code, _, stderr := cmkcheck(t, map[string]string{"GITHUB_STEP_SUMMARY": summary},
		"evaluate", "--snapshot", "../../fixtures/snapshots/noncompliant/rotation-off.json", "--profile", "../../fixtures/profiles/aep-example.yaml")
	require.Equal(t, exitReady, code, stderr)
	data, err := os.ReadFile(summary)
	require.NoError(t, err)
	s := string(data)
	assert.True(t, strings.HasPrefix(s, "earlier step\n"), "appended, not replaced")
	assert.Contains(t, s, "READY")
	assert.Contains(t, s, "not evaluated: CMK-ACC-1")
	assert.Contains(t, s, "| WARN | CMK-OPS-1 |")
}
