package reports

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// What a READY of compliant.json leaves out, as every report says it.
const compliantLine = "READY — not evaluated: CMK-ACC-1 (evaluating a snapshot offline), CMK-CFG-6 (evaluating a snapshot offline), " +
	"CMK-ADM-4 (evaluating a snapshot offline without the GetAccountAuthorizationDetails member), CMK-DRF-1 (no baseline given)"

func compliantRun(t *testing.T) *Run {
	t.Helper()
	run := fixtureRun(t, "../../fixtures/snapshots/compliant.json", loadProfile(t, exampleProfile))
	require.Equal(t, checks.Ready, run.Verdict)
	return run
}

// The Markdown report and the job summary of a READY whose required checks
// were partly SKIP say which, and no longer that nothing went unevaluated.
func TestMarkdownSaysWhatReadyDoesNotCover(t *testing.T) {
	run := compliantRun(t)
	md := markdownOf(t, run)
	head := md[:strings.Index(md, "## What was checked")]
	assert.Contains(t, head, "**"+mdText(compliantLine)+"**")
	assert.NotContains(t, head, "No required check failed or could not be evaluated")
	page := toHTML(t, head)
	assert.Contains(t, page, "<strong>"+compliantLine+"</strong>", "it renders as written")

	path := filepath.Join(t.TempDir(), "summary.md")
	require.NoError(t, AppendStepSummary(path, run))
	summary, err := os.ReadFile(path)
	require.NoError(t, err)
	assert.Contains(t, string(summary), mdText(compliantLine))
}

// JUnit carries the list as testsuite properties, beside the verdict.
func TestJUnitSaysWhatReadyDoesNotCover(t *testing.T) {
	var doc readSuites
	require.NoError(t, xml.Unmarshal(junitOf(t, compliantRun(t)), &doc))
	require.Len(t, doc.Suites, 1)
	props := map[string]string{}
	for _, p := range doc.Suites[0].Properties {
		props[p.Name] = p.Value
	}
	assert.Equal(t, "READY", props["verdict"], "the verdict property keeps its value")
	assert.Equal(t, strings.TrimPrefix(compliantLine, "READY — not evaluated: "), props["not_evaluated"])
	assert.Equal(t, compliantLine, props["verdict_line"])
}
