package checks

import (
	"fmt"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

func init() {
	register(Check{
		ID: "CMK-ACC-1", Title: "KMS answers in the account and region for the caller", Severity: Required,
		Section:  "check-your-aws-account-configuration",
		Expected: "the caller's identity is known and KMS answers for the key in the caller's account and region",
		Remediation: Remediation{
			Console: "Sign in to the account that owns the key, open Key Management Service in the platform's region, and make sure KMS is enabled for the account.",
			CLI:     "aws sts get-caller-identity && aws kms describe-key --key-id <key-id> --region <region>",
		},
		Uses: []string{keystate.GetCallerIdentity},
		eval: evalAccount,
	})
}

// evalAccount: KMS answered for the key, and the key sits in the caller's
// account (the target's configured account where there is no STS) and in
// the region the run asked in.
func evalAccount(e *env) outcome {
	if !e.s.Live() {
		return skipped(offline(e.s) + ": there is no caller to identify")
	}
	if why := e.s.Problem(keystate.Target); why != "" {
		return errored(why)
	}
	target, id := e.s.Target, e.s.Identity
	if id == nil {
		return notRecorded(keystate.GetCallerIdentity, "there is no caller identity")
	}
	if id.Error != nil {
		return errored(callFailed(id.Error))
	}
	if id.Caller == nil && id.NotRun == "" {
		return errored("GetCallerIdentity recorded neither the caller nor why there is none")
	}
	if !e.s.Answered(dk) {
		return errored("the KMS read failed: " + e.s.Problem(dk))
	}
	if e.key == nil {
		return errored("the KMS read gave no usable key metadata: " + e.s.Problem(dk))
	}
	account, who := target.Account, ""
	if id.Caller != nil {
		account = id.Caller.Account
		who = fmt.Sprintf("caller %s (account %s)", id.Caller.Arn, id.Caller.Account)
	} else {
		who = fmt.Sprintf("%s, so no caller identity: judged from the KMS read and the configured account %s", id.NotRun, target.Account)
	}
	keyAccount, keyRegion := e.key.Account(), e.key.Region()
	o := judge(keyAccount == account && keyRegion == target.Region,
		fmt.Sprintf("%s; KMS answered kms:DescribeKey for %s in account %s, region %s; the target's region is %s",
			who, e.key.Arn, keyAccount, keyRegion, target.Region))
	o.evidence = []string{dk}
	return o
}
