package suites

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// TestAudit audits one key (CMK_KEY_ID or the profile's key; on an emulator
// without one, a key provisioned as the guide says) against the profile,
// writes the reports once, and gives each requirement its own subtest.
func TestAudit(t *testing.T) {
	p := loadProfile(t)
	out, err := audit.Run(t.Context(), audit.Options{Target: targetKind(t), Profile: p, Provision: provisionAllowed(t), Opener: opener()})
	require.NoError(t, err, "the audit could not run")
	run := out.Run
	if out.Provisioned != nil {
		t.Logf("provisioned %s (%s) on %s; it is scheduled for deletion", out.Provisioned.KeyID, out.Provisioned.Alias, run.Target.Kind)
	}
	t.Logf("target %s %s, key %s, caller %q, %d API calls: verdict %s",
		run.Target.Kind, run.Target.Endpoint, run.KeyARN, run.Caller, out.Record.APICalls(), run.Verdict)

	paths, err := reports.Write(reportDir(t), reports.DefaultName, run)
	require.NoError(t, err, "writing the reports")
	t.Logf("reports: %s, %s, %s", paths.Results, paths.JUnit, paths.Markdown)
	// The results file is handed to auditors: it verifies as written
	// (judged once here, once by Verify).
	written, err := os.ReadFile(paths.Results)
	require.NoError(t, err)
	_, err = audit.Verify(written)
	require.NoError(t, err, "the results file verifies")
	// The evidence the checks judged, as a snapshot: cmkcheck evaluate
	// --snapshot re-judges it offline to the same results.
	snapshot, err := out.State.Snapshot()
	require.NoError(t, err)
	snapshotPath := filepath.Join(reportDir(t), reports.DefaultName+".snapshot.json")
	require.NoError(t, os.WriteFile(snapshotPath, snapshot, 0o644), "writing the snapshot")
	t.Logf("snapshot: %s", snapshotPath)
	require.NoError(t, reports.AppendStepSummary(vars(env.StepSummary), run), "appending the step summary")

	for _, r := range run.Results {
		t.Run(r.ID, func(t *testing.T) { judge(t, r) })
	}
}

// judge turns one result into a subtest outcome: a required FAIL or ERROR
// fails, WARN (and a recommended ERROR) is logged, SKIP skips with its reason.
func judge(t *testing.T, r checks.Result) {
	msg := fmt.Sprintf("%s (%s, guide: %s)\nexpected: %s\nobserved: %s\nfix (console): %s\nfix (CLI): %s",
		r.Title, r.Severity, r.Section, r.Expected, r.Observed, r.Remediation.Console, r.Remediation.CLI)
	switch r.Status {
	case checks.Pass:
		t.Logf("PASS: %s", r.Observed)
	case checks.Skip:
		t.Skipf("SKIP: %s", r.Observed)
	case checks.Warn:
		t.Logf("WARN (recommended, does not change the verdict): %s", msg)
	case checks.Fail, checks.Error:
		if r.Severity == checks.Required {
			assert.Equal(t, checks.Pass, r.Status, msg)
		} else {
			t.Logf("%s (recommended, does not change the verdict): %s", r.Status, msg)
		}
	default:
		t.Errorf("unknown status %q: %s", r.Status, strings.TrimSpace(msg))
	}
}
