package main

import (
	"encoding/json"
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
