package checks

import (
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/keystate"
)

func init() {
	register(Check{
		ID: "CMK-PRM-1", Title: "The caller may create and use KMS keys", Severity: Recommended,
		Section:  "verify-permissions",
		Expected: "IAM policy simulation allows the caller kms:CreateKey and kms:Encrypt",
		Remediation: Remediation{
			Console: "IAM > Policy simulator: select the user or role, simulate kms:CreateKey and kms:Encrypt; ask the AWS administrator for what is denied.",
			CLI:     "aws iam simulate-principal-policy --policy-source-arn <caller-arn> --action-names kms:CreateKey kms:Encrypt",
		},
		Uses: []string{keystate.SimulatePrincipalPolicy},
		eval: evalPermissions,
	})
}

// evalPermissions: IAM's simulation allows every action a live run asks it
// about (keystate.SimulatedActions), and denies nothing it was asked.
func evalPermissions(e *env) outcome {
	sim := e.s.Simulation
	if sim == nil && !e.s.Live() {
		return skipped("evaluating a snapshot offline: there is no caller to simulate")
	}
	if sim == nil {
		return notRecorded(keystate.SimulatePrincipalPolicy, "the simulation was not run")
	}
	if sim.NotRun != "" {
		return skipped(sim.NotRun)
	}
	if sim.Error != nil {
		if sim.PolicySourceArn != "" && sim.Error.Operation != "" {
			return errored(fmt.Sprintf("%s for %s failed: %s", sim.Error.Operation, sim.PolicySourceArn, sim.Error.Detail))
		}
		return errored(callFailed(sim.Error))
	}
	allowed := map[string]bool{}
	ok := true
	var words []string
	for _, r := range sim.EvaluationResults {
		words = append(words, r.EvalActionName+" "+r.EvalDecision)
		if r.EvalDecision == "allowed" {
			allowed[strings.ToLower(r.EvalActionName)] = true
		} else {
			ok = false
		}
	}
	observed := fmt.Sprintf("IAM policy simulation for %s: %s", sim.PolicySourceArn, strings.Join(words, ", "))
	for _, action := range keystate.SimulatedActions {
		if ok && !allowed[strings.ToLower(action)] {
			// Not asked, or not answered: the evidence is incomplete.
			return errored(observed + "; no result allows " + action)
		}
	}
	return judge(ok, observed)
}
