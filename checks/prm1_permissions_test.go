package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
)

var prm1Cases = table([]tc{
	{name: "simulation denied", id: "CMK-PRM-1", live: &keystate.Live{Permission: keystate.Probe{Ran: true, Observed: "kms:CreateKey implicitDeny"}}, want: checks.Warn},
	{name: "no simulator", id: "CMK-PRM-1", live: &keystate.Live{Permission: keystate.Skipped("no IAM simulator on local-kms")}, want: checks.Skip, observe: "local-kms"},
	{name: "simulation allows", id: "CMK-PRM-1", live: &keystate.Live{Permission: keystate.Probe{Ran: true, OK: true, Observed: "kms:CreateKey allowed, kms:Encrypt allowed"}}, want: checks.Pass},
	{name: "simulation failed", id: "CMK-PRM-1", live: &keystate.Live{Permission: keystate.Failed("iam:SimulatePrincipalPolicy failed: AccessDenied")}, want: checks.Error, observe: "AccessDenied"},
})

func TestPRM1Permissions(t *testing.T) { runCases(t, prm1Cases) }
