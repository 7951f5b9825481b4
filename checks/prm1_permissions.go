package checks

import "github.com/aep-cmk/cmkcheck/keystate"

func init() {
	register(Check{
		ID: "CMK-PRM-1", Title: "The caller may create and use KMS keys", Severity: Recommended,
		Section:  "verify-permissions",
		Expected: "IAM policy simulation allows the caller kms:CreateKey and kms:Encrypt",
		Remediation: Remediation{
			Console: "IAM > Policy simulator: select the user or role, simulate kms:CreateKey and kms:Encrypt; ask the AWS administrator for what is denied.",
			CLI:     "aws iam simulate-principal-policy --policy-source-arn <caller-arn> --action-names kms:CreateKey kms:Encrypt",
		},
		eval: func(e *env) outcome {
			return liveProbe(e, func(l *keystate.Live) keystate.Probe { return l.Permission }, "evaluating a snapshot offline: there is no caller to simulate")
		},
	})
}
