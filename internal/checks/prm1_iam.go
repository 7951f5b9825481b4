package checks

import (
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// callerPermissions evaluates the caller's own IAM policies (read with
// GetAccountAuthorizationDetails) for keystate.SimulatedActions, with the
// evaluator of the IAM access check, each action on every resource ("*"), as IAM's
// simulator is asked. ok is false when there is nothing to evaluate (no
// usable IAM member or no caller): why says so.
func callerPermissions(e *env) (answers map[string]policy.Answer, words []string, why string, err error) {
	if e.s.IAM == nil || e.s.IAM.NotRun != "" || e.s.IAM.Error != nil || e.s.Problem(keystate.GetAccountAuthorizationDetails) != "" {
		return nil, nil, "the account's IAM policies were not read either", nil
	}
	if e.s.Identity == nil || e.s.Identity.Caller == nil {
		return nil, nil, "the caller is not known", nil
	}
	caller := e.s.Identity.Caller
	f, ok := awsid.ARNFields(caller.Arn)
	if !ok {
		return nil, nil, "", fmt.Errorf("caller %q is not an ARN", caller.Arn)
	}
	answers = map[string]policy.Answer{}
	if f[2] == "iam" && f[5] == "root" {
		for _, a := range keystate.SimulatedActions {
			answers[a] = policy.Allowed
			words = append(words, a+" "+string(policy.Allowed))
		}
		return answers, append(words, "(the caller is the account's root user, whom IAM policies do not limit)"), "", nil
	}
	ids, err := iamIdentities(e.s.IAM, f[4])
	if err != nil {
		return nil, nil, "", err
	}
	// A session acts with its role's policies.
	want := caller.Arn
	if f[2] == "sts" && strings.HasPrefix(f[5], "assumed-role/") {
		want = "role/" + strings.Split(strings.TrimPrefix(f[5], "assumed-role/"), "/")[0]
	}
	var id *policy.Identity
	for i := range ids {
		if ids[i].Who.ARN == want || shortARN(ids[i].Who.ARN) == shortARN(want) ||
			(strings.HasPrefix(want, "role/") && ids[i].Who.Kind == policy.WhoKindRole && shortARN(ids[i].Who.ARN) == "arn:"+f[1]+":iam::"+f[4]+":"+want) {
			id = &ids[i]
			break
		}
	}
	if id == nil {
		return nil, nil, "", fmt.Errorf("the caller %s is not among the account's IAM users and roles", caller.Arn)
	}
	for _, a := range keystate.SimulatedActions {
		ans, srcs := policy.DecideIdentity(*id, a, "*")
		answers[a] = ans
		w := a + " " + string(ans)
		if ans != policy.NotAllowed && len(srcs) > 0 {
			w += " (" + srcs[0].String() + ")"
		}
		words = append(words, w)
	}
	return answers, words, "", nil
}

// iamEvidence names the IAM members as evidence (those the state holds
// are kept).
func iamEvidence(*env) []string {
	return []string{keystate.GetAccountAuthorizationDetails, keystate.GetCallerIdentity}
}
