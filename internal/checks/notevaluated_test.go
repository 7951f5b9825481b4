package checks_test

import (
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// A READY of compliant.json does not cover the required checks a snapshot
// cannot show: NotEvaluated names each, with why, and nothing else.
func TestNotEvaluatedNamesTheRequiredSkips(t *testing.T) {
	results := checks.Evaluate(loadSnapshot(t, filepath.Join(fixtures, "snapshots", "compliant.json")), loadProfile(t, "aep-example.yaml"))
	require.Equal(t, checks.Ready, checks.Verdict(results))
	assert.Equal(t, []checks.Omission{
		{ID: "CMK-ACC-1", Reason: "evaluating a snapshot offline"},
		{ID: "CMK-CFG-6", Reason: "evaluating a snapshot offline"},
		{ID: "CMK-ADM-4", Reason: "evaluating a snapshot offline without the GetAccountAuthorizationDetails member"},
		{ID: "CMK-DRF-1", Reason: "no baseline given"},
	}, checks.NotEvaluated(results), "every required SKIP; the recommended ones (PRM-1, MON-1) decide nothing")
	assert.Equal(t, "READY — not evaluated: CMK-ACC-1 (evaluating a snapshot offline), CMK-CFG-6 (evaluating a snapshot offline), "+
		"CMK-ADM-4 (evaluating a snapshot offline without the GetAccountAuthorizationDetails member), CMK-DRF-1 (no baseline given)",
		checks.VerdictLine(checks.Verdict(results), checks.NotEvaluated(results)))
}

func TestNotEvaluatedOfNothingSkipped(t *testing.T) {
	results := []checks.Result{
		{ID: "A", Severity: checks.Required, Status: checks.Pass},
		{ID: "B", Severity: checks.Recommended, Status: checks.Skip, Observed: "not here"},
		{ID: "C", Severity: checks.Required, Status: checks.Error, Observed: "failed"},
	}
	got := checks.NotEvaluated(results)
	assert.NotNil(t, got, "none is an empty list, which JSON writes as []")
	assert.Empty(t, got)
	assert.Equal(t, "NOT READY", checks.VerdictLine(checks.Verdict(results), got))
	assert.Equal(t, "READY", checks.VerdictLine(checks.Ready, got))
}

// A NOT READY is not qualified by what was not evaluated: the reports list
// its required SKIPs beside it.
func TestVerdictLineOfNotReady(t *testing.T) {
	l := []checks.Omission{{ID: "CMK-ADM-4", Reason: "no IAM evidence"}}
	assert.Equal(t, "NOT READY", checks.VerdictLine(checks.NotReady, l))
	assert.Equal(t, "READY — not evaluated: CMK-ADM-4 (no IAM evidence)", checks.VerdictLine(checks.Ready, l))
}

func TestShortReason(t *testing.T) {
	for observed, want := range map[string]string{
		"evaluating a snapshot offline: there is no caller to identify":                                                        "evaluating a snapshot offline",
		"no baseline given: run with --baseline FILE (the signed results of the sign-off run, or its snapshot) to judge drift": "no baseline given",
		"LocalStack/local-kms do not evaluate IAM policies; the caller's own policies name none":                               "LocalStack/local-kms do not evaluate IAM policies",
		"adobe_principals is not set in the profile":                                                                           "adobe_principals is not set in the profile",
		"a: b; c": "a",
		"":        "no reason given",
		": only":  ": only",
	} {
		assert.Equal(t, want, checks.ShortReason(observed), observed)
	}
}
