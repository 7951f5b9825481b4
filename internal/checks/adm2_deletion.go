package checks

import (
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

func init() {
	register(Check{
		ID: "CMK-ADM-2", Title: "Only key administrators may delete the key, as chosen", Severity: Required,
		Section: "define-key-admins", Needs: []string{dk, pol},
		Expected: "deletion holders are key administrators only; with allow_key_deletion true every listed administrator is one, with false there is none",
		Remediation: Remediation{
			Console: editPolicyConsole + "Key deletion > tick or untick \"Allow key administrators to delete this key\", and remove kms:ScheduleKeyDeletion from every other statement.",
			CLI:     policyCLI,
		},
		eval: evalDeletion,
	})
}

const deletion = "kms:ScheduleKeyDeletion"

// evalDeletion: a deletion holder is any principal, of any kind, that holds
// kms:ScheduleKeyDeletion by the risk-side rule (ALLOWED or CONDITIONAL).
// Each must be one of the chosen administrators (key_administrators, else
// the detected ones) or one of their sessions, not merely someone who also
// holds the administrator actions.
func evalDeletion(e *env) outcome {
	return e.withAccess(func(a *access) outcome {
		chosen, chosenFrom := a.chosenAdmins(e.p.KeyAdministrators)
		var holders, notChosen, breakGlass []string
		held := map[string]bool{}
		glass := shortSet(e.p.BreakGlass)
		for _, w := range a.whos {
			d := a.decide(w, deletion)
			if !d.Risks() {
				continue
			}
			entry := w.String() + " [" + a.answer(d) + "]"
			holders = append(holders, entry)
			held[w.String()] = true
			// break_glass identities are accepted for every right: reported,
			// never failed.
			if glass[shortARN(a.asRole(w))] {
				breakGlass = append(breakGlass, w.String())
				continue
			}
			if !actsForAny(w, chosen) {
				notChosen = append(notChosen, entry)
			}
		}
		var wrong []string
		wrong = append(wrong, detailed("not chosen administrators: ", notChosen))
		if allow := e.p.AllowKeyDeletion; allow != nil && *allow {
			var cannot []string
			for _, c := range chosen {
				if !held[c.String()] {
					cannot = append(cannot, a.whoWhy(c, []policy.Decision{a.decide(c, deletion)}))
				}
			}
			wrong = append(wrong, detailed("allow_key_deletion is true but these administrators may not delete: ", cannot))
		} else if allow != nil && len(holders) > len(breakGlass) {
			wrong = append(wrong, "allow_key_deletion is false but deletion is held")
		}
		obs := sentence(
			"holders of "+deletion+" (allowed or conditionally allowed): "+boundedOrNone(holders),
			"chosen administrators ("+chosenFrom+"): "+names(whoList(chosen)),
			prefixed("break_glass holders (accepted): ", breakGlass), sentence(wrong...), a.delegation(), a.notes())
		return judge(sentence(wrong...) == "", obs)
	})
}

// chosenAdmins are key_administrators when the profile sets them, else the
// own account's IAM users and roles that are key administrators.
func (a *access) chosenAdmins(listed []string) ([]policy.Who, string) {
	if listed == nil {
		// Those the key policy makes administrators: a right IAM alone gives
		// is never taken as a choice.
		return a.ownIAM(a.keyPolicyAdmin), "the detected key administrators, as key_administrators is not set"
	}
	var out []policy.Who
	for _, arn := range listed {
		w, _ := policy.WhoARN(arn) // read when the model was built
		out = append(out, w)
	}
	return out, "key_administrators"
}

// actsForAny: w is one of ps, or a session of one of them.
func actsForAny(w policy.Who, ps []policy.Who) bool {
	for _, p := range ps {
		if w.ActsFor(p) {
			return true
		}
	}
	return false
}

func boundedOrNone(items []string) string {
	if len(items) == 0 {
		return "none"
	}
	return bounded(items, maxItems)
}
