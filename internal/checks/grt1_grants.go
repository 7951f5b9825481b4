package checks

import (
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

func init() {
	register(Check{
		ID: "CMK-GRT-1", Title: "The key's grants go to the own account, Adobe, allowed accounts or AWS services", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, grt},
		Expected: "every grant's grantee and retiring principal is an identity of the key's account, an Adobe account, an allowed external account, or an AWS service principal; grants that let their grantee CreateGrant are reported",
		Remediation: Remediation{
			Console: "Grants are not shown in the console: list them with the AWS CLI and revoke each grant to a principal that is not yours, Adobe's or deliberately allowed.",
			CLI:     "aws kms list-grants --key-id <key-id>\naws kms revoke-grant --key-id <key-id> --grant-id <grant-id>",
		},
		eval: evalGrants,
	})
}

// evalGrants judges each grant's GranteePrincipal and RetiringPrincipal: a
// grant gives its grantee its operations, and its retiring principal may
// retire it. A principal that names no account (LocalStack accepts any
// string) cannot be shown to be an accepted one: it fails. A grant that
// lets its grantee CreateGrant is reported (the grantee may pass a subset of
// its operations on), as the spec asks; it fails only through its
// principals.
// https://docs.aws.amazon.com/kms/latest/developerguide/grants.html
func evalGrants(e *env) outcome {
	gs := e.s.Grants
	if len(gs) == 0 {
		return pass("the key has no grants")
	}
	own := e.key.Account()
	accepted := toSet(append(e.adobe, e.p.AllowedExternalAccounts...))
	var bad, fine, delegating []string
	for _, g := range gs {
		for _, p := range grantParties(g) {
			why := judgeParty(p.principal, own, e.key.Partition(), accepted)
			entry := "grant " + g.GrantID + " " + p.role + " " + p.principal + " (" + why.text + ")"
			if why.ok {
				fine = append(fine, entry)
			} else {
				bad = append(bad, entry)
			}
		}
		for _, op := range g.Operations {
			if strings.EqualFold(op, "CreateGrant") {
				delegating = append(delegating, "grant "+g.GrantID+" lets "+g.GranteePrincipal+" create grants for others ("+strings.Join(g.Operations, ", ")+")")
				break
			}
		}
	}
	return judge(len(bad) == 0, sentence(
		"grants to principals that are not accepted: "+boundedOrNone(bad),
		detailed("accepted: ", fine),
		detailed("reported: ", delegating)))
}

type party struct{ role, principal string }

func grantParties(g keystate.Grant) []party {
	out := []party{{"grantee", g.GranteePrincipal}}
	if g.RetiringPrincipal != "" {
		out = append(out, party{"retiring principal", g.RetiringPrincipal})
	}
	return out
}

type verdict struct {
	ok   bool
	text string
}

// judgeParty says whether one grant principal is accepted, and why.
func judgeParty(s, own, partition string, accepted map[string]bool) verdict {
	w, err := policy.GrantWho(s)
	if err != nil {
		return verdict{false, "its account cannot be told: " + err.Error()}
	}
	if w.Kind == policy.WhoKindService {
		if w.IsAWSService() {
			return verdict{true, "an AWS service principal"}
		}
		return verdict{false, "not an AWS service principal"}
	}
	if w.Partition != "" && w.Partition != partition {
		return verdict{false, "of partition " + w.Partition + ", not the key's"}
	}
	if w.Account == own {
		return verdict{true, "the key's account"}
	}
	if accepted[w.Account] {
		return verdict{true, "account " + w.Account + ", Adobe's or allowed"}
	}
	return verdict{false, "account " + w.Account + ", neither the key's, Adobe's nor an allowed one"}
}
