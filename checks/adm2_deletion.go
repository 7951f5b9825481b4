package checks

import (
	"strings"

	"github.com/aep-cmk/cmkcheck/policy"
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

func evalDeletion(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		admins := toSet(principalARNs(a.Administrators()))
		var holders, notAdmin []string
		for _, p := range a.DeletionHolders() {
			holders = append(holders, p.ARN)
			if !admins[p.ARN] {
				notAdmin = append(notAdmin, p.ARN)
			}
		}
		obs := "principals allowed kms:ScheduleKeyDeletion: " + list(holders) + rootNote(a)
		var wrong []string
		if len(notAdmin) > 0 {
			wrong = append(wrong, "not key administrators: "+list(notAdmin))
		}
		if allow := e.p.AllowKeyDeletion; allow != nil {
			if *allow {
				listed := e.p.KeyAdministrators
				if listed == nil {
					listed = e.ownIAM(a.Administrators())
				}
				missing, _ := setDiff(listed, holders)
				if len(missing) > 0 {
					wrong = append(wrong, "allow_key_deletion is true but these administrators may not delete: "+list(missing))
				}
			} else if len(holders) > 0 {
				wrong = append(wrong, "allow_key_deletion is false but deletion is allowed")
			}
		}
		if len(wrong) > 0 {
			obs += "; " + strings.Join(wrong, "; ")
		}
		return judge(len(wrong) == 0, obs)
	})
}
