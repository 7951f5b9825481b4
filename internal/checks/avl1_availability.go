package checks

import (
	"fmt"

	"github.com/aep-cmk/cmkcheck/internal/profile"
)

func init() {
	register(Check{
		ID: "CMK-AVL-1", Title: "CMK on AWS is offered for the customer's shield", Severity: Required,
		Section:  "AVAILABILITY",
		Expected: "shield is privacy-security (CMK on AWS is not available with Healthcare Shield)",
		Remediation: Remediation{
			Console: "CMK on AWS requires Privacy and Security Shield; with Healthcare Shield, talk to Adobe before creating a key.",
			CLI:     "(no CLI step: the shield is an Adobe entitlement)",
		},
		eval: evalShield,
	})
}

func evalShield(e *env) outcome {
	switch e.p.Shield {
	case "":
		return skipped("shield is not set in the profile, so availability cannot be judged")
	case profile.ShieldPrivacySecurity:
		return pass("shield is privacy-security")
	default:
		return notMet(fmt.Sprintf("shield is %s: CMK on AWS is not offered with it", e.p.Shield))
	}
}
