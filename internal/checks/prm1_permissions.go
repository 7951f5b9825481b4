package checks

import (
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
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
		return skipped(offline(e.s) + ": there is no caller to simulate")
	}
	if sim == nil {
		return notRecorded(keystate.SimulatePrincipalPolicy, "the simulation was not run")
	}
	if sim.NotRun != "" {
		// No faithful simulator (the emulators store IAM policies but do not
		// enforce them): evaluate the caller's own policies instead.
		answers, words, why, err := callerPermissions(e)
		switch {
		case err != nil:
			return outcome{status: Error, observed: "evaluating the caller's IAM policies: " + err.Error(), evidence: iamEvidence(e)}
		case answers == nil:
			return skipped(sim.NotRun + "; " + why)
		}
		ok := true
		for _, a := range keystate.SimulatedActions {
			ok = ok && answers[a] == policy.Allowed
		}
		o := judge(ok, "no IAM policy simulation ("+sim.NotRun+"); the caller's IAM policies, evaluated by this tool: "+strings.Join(words, ", "))
		o.evidence = iamEvidence(e)
		return o
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
	// Where the account's IAM policies were read too, this tool's own
	// evaluation is held to the simulation: a disagreement is a WARN with
	// both answers (the simulator also applies SCPs, which this tool cannot
	// read).
	if answers, words, _, err := callerPermissions(e); err == nil && answers != nil {
		for _, a := range keystate.SimulatedActions {
			if (answers[a] == policy.Allowed) != allowed[strings.ToLower(a)] {
				o := notMet(observed + "; but this tool's evaluation of the caller's IAM policies says: " + strings.Join(words, ", ") +
					" (the two disagree; the simulation also applies service control policies, which this tool does not read)")
				o.evidence = iamEvidence(e)
				return o
			}
		}
	}
	return judge(ok, observed)
}
