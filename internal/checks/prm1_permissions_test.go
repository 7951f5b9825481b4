package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
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

// On an emulator (no faithful simulator) the caller's own IAM policies are
// evaluated; on AWS they are held to the simulation.
var prm1IAMCases = table([]tc{
	{name: "emulator: the root user", id: "CMK-PRM-1", edit: emulatorIAM("arn:aws:iam::111122223333:root", nil), want: checks.Pass,
		observe: "the caller is the account's root user"},
	{name: "emulator: a role allowed kms:*", id: "CMK-PRM-1", edit: emulatorIAM("arn:aws:sts::111122223333:assumed-role/Ops/alice",
		map[string]any{"all": iamDoc(false, `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`)}), want: checks.Pass,
		observe: "kms:CreateKey ALLOWED (inline policy \"all\" of role Ops statement 0)"},
	{name: "emulator: a role allowed only key resources", id: "CMK-PRM-1", edit: emulatorIAM("arn:aws:iam::111122223333:role/Ops",
		map[string]any{"keys": iamDoc(false, `{"Effect":"Allow","Action":"kms:*","Resource":"arn:aws:kms:*:*:key/*"}`)}), want: checks.Warn,
		observe: "kms:CreateKey NOT ALLOWED"},
	{name: "emulator: a caller IAM does not list", id: "CMK-PRM-1", edit: emulatorIAM("arn:aws:iam::111122223333:user/ghost", nil), want: checks.Error,
		observe: "the caller arn:aws:iam::111122223333:user/ghost is not among the account's IAM users and roles"},
	{name: "aws: simulation and evaluation disagree", id: "CMK-PRM-1", edit: func(t *testing.T, s snap) {
		emulatorIAM("arn:aws:iam::111122223333:role/Ops", map[string]any{"none": iamDoc(false, `{"Effect":"Allow","Action":"s3:*","Resource":"*"}`)})(t, s)
		s[keystate.SimulatePrincipalPolicy] = simulated("kms:CreateKey", "allowed", "kms:Encrypt", "allowed")
	}, want: checks.Warn, observe: "the two disagree"},
	{name: "aws: simulation and evaluation agree", id: "CMK-PRM-1", edit: func(t *testing.T, s snap) {
		emulatorIAM("arn:aws:iam::111122223333:role/Ops", map[string]any{"all": iamDoc(false, `{"Effect":"Allow","Action":"kms:*","Resource":"*"}`)})(t, s)
		s[keystate.SimulatePrincipalPolicy] = simulated("kms:CreateKey", "allowed", "kms:Encrypt", "allowed")
	}, want: checks.Pass},
})

// emulatorIAM is a capture on LocalStack: no simulation, the caller, and
// the account's IAM with the Ops role holding inline.
func emulatorIAM(caller string, inline map[string]any) func(t *testing.T, s snap) {
	return func(t *testing.T, s snap) {
		capture()(t, s)
		s[keystate.Target] = map[string]any{"Kind": "localstack", "Region": "us-east-1", "Account": "111122223333", "Endpoint": "http://127.0.0.1:4566"}
		s[keystate.GetCallerIdentity] = map[string]any{"Account": "111122223333", "Arn": caller, "UserId": "AROAEXAMPLE"}
		s[keystate.SimulatePrincipalPolicy] = map[string]any{"NotRun": "LocalStack/local-kms do not evaluate IAM policies, a simulation would not be faithful"}
		withIAM([]any{role(ops, inline, nil, "")}, nil, nil, nil)(t, s)
	}
}

func TestPRM1Permissions(t *testing.T) { runCases(t, prm1Cases); runCases(t, prm1IAMCases) }
