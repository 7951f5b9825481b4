package checks

import "github.com/aep-cmk/cmkcheck/keystate"

func init() {
	register(Check{
		ID: "CMK-ACC-1", Title: "KMS answers in the account and region for the caller", Severity: Required,
		Section:  "check-your-aws-account-configuration",
		Expected: "the caller's identity is known and KMS answers for the key in the caller's account and region",
		Remediation: Remediation{
			Console: "Sign in to the account that owns the key, open Key Management Service in the platform's region, and make sure KMS is enabled for the account.",
			CLI:     "aws sts get-caller-identity && aws kms describe-key --key-id <key-id> --region <region>",
		},
		eval: func(e *env) outcome {
			return liveProbe(e, func(l *keystate.Live) keystate.Probe { return l.Access }, "evaluating a snapshot offline: there is no caller to identify")
		},
	})
}
