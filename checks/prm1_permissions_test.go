package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
)

const ops = "arn:aws:iam::111122223333:role/Ops"

func simulated(decisions ...string) map[string]any {
	var results []any
	for i := 0; i+1 < len(decisions); i += 2 {
		results = append(results, map[string]any{"EvalActionName": decisions[i], "EvalDecision": decisions[i+1], "EvalResourceName": "*"})
	}
	return map[string]any{"PolicySourceArn": ops, "EvaluationResults": results}
}

var prm1Cases = table([]tc{
	{name: "offline", id: "CMK-PRM-1", want: checks.Skip, observe: "offline: there is no caller to simulate"},
	{name: "no simulator", id: "CMK-PRM-1", edit: capture(set(keystate.SimulatePrincipalPolicy, map[string]any{"NotRun": "no IAM simulator on local-kms"})),
		want: checks.Skip, observe: "no IAM simulator on local-kms"},
	{name: "simulation allows", id: "CMK-PRM-1", edit: capture(set(keystate.SimulatePrincipalPolicy, simulated("kms:CreateKey", "allowed", "kms:Encrypt", "allowed"))),
		want: checks.Pass, observe: "IAM policy simulation for " + ops + ": kms:CreateKey allowed, kms:Encrypt allowed"},
	{name: "simulation denied", id: "CMK-PRM-1", edit: capture(set(keystate.SimulatePrincipalPolicy, simulated("kms:CreateKey", "implicitDeny", "kms:Encrypt", "allowed"))),
		want: checks.Warn, sev: checks.Recommended, observe: "kms:CreateKey implicitDeny"},
	{name: "an extra action denied", id: "CMK-PRM-1", edit: capture(set(keystate.SimulatePrincipalPolicy, simulated("kms:CreateKey", "allowed", "kms:Encrypt", "allowed", "kms:Decrypt", "explicitDeny"))),
		want: checks.Warn, observe: "kms:Decrypt explicitDeny"},
	{name: "an action not simulated", id: "CMK-PRM-1", edit: capture(set(keystate.SimulatePrincipalPolicy, simulated("kms:CreateKey", "allowed"))),
		want: checks.Error, observe: "no result allows kms:Encrypt"},
	{name: "simulation failed", id: "CMK-PRM-1", edit: capture(set(keystate.SimulatePrincipalPolicy, map[string]any{"PolicySourceArn": ops,
		"Error": map[string]any{"Operation": "iam:SimulatePrincipalPolicy", "Code": "AccessDenied", "Detail": "api error AccessDenied"}})),
		want: checks.Error, observe: "iam:SimulatePrincipalPolicy for " + ops + " failed: api error AccessDenied"},
	{name: "no caller to simulate", id: "CMK-PRM-1", edit: capture(set(keystate.SimulatePrincipalPolicy, map[string]any{"Error": map[string]any{"Detail": "no caller identity to simulate"}})),
		want: checks.Error, observe: "no caller identity to simulate"},
	{name: "simulation not recorded", id: "CMK-PRM-1", edit: capture(drop(keystate.SimulatePrincipalPolicy)), want: checks.Error, observe: "recorded no SimulatePrincipalPolicy"},
	{name: "simulation unreadable", id: "CMK-PRM-1", edit: capture(set(keystate.SimulatePrincipalPolicy, map[string]any{"EvaluationResults": []any{}})),
		want: checks.Error, observe: "PolicySourceArn is missing"},
})

func TestPRM1Permissions(t *testing.T) { runCases(t, prm1Cases) }
