package checks

import (
	"fmt"

	"github.com/aep-cmk/cmkcheck/internal/profile"
)

func init() {
	register(Check{
		ID: "CMK-OPS-1", Title: "Automatic rotation is on", Severity: Recommended,
		Section: "prerequisites (rotate keys)", Needs: []string{rot}, Pointers: map[string][]string{rot: {"/KeyRotationEnabled", "/RotationPeriodInDays"}},
		Expected: "automatic rotation enabled, with a period of at most max_rotation_period_days",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Key rotation > tick \"Automatically rotate this KMS key every year\" and set the period.",
			CLI:     "aws kms enable-key-rotation --key-id <key-id> --rotation-period-in-days 365",
		},
		requiredIf: func(p *profile.Profile) bool { return p.RotationRequired },
		eval:       evalRotation,
	})
}

func evalRotation(e *env) outcome {
	o := outcome{}
	r := e.s.Rotation
	max := e.p.MaxRotationPeriodDays
	o.expected = fmt.Sprintf("automatic rotation enabled, with a period of at most %d days", max)
	if r.RotationPeriodInDays != nil && (*r.RotationPeriodInDays < profile.MinRotationDays || *r.RotationPeriodInDays > profile.MaxRotationDays) {
		// KMS gives no such period: the answer is not one to judge by
		// (a period of -5 would otherwise pass "at most 365 days").
		return errored(fmt.Sprintf("GetKeyRotationStatus reports RotationPeriodInDays %d, outside the %d..%d days KMS allows",
			*r.RotationPeriodInDays, profile.MinRotationDays, profile.MaxRotationDays))
	}
	if !r.Enabled {
		o.observed = "automatic rotation is disabled"
		return o
	}
	if r.RotationPeriodInDays == nil {
		o.met, o.observed = true, "automatic rotation is enabled (the period is not reported)"
		return o
	}
	o.met = *r.RotationPeriodInDays <= max
	o.observed = fmt.Sprintf("automatic rotation is enabled every %d days", *r.RotationPeriodInDays)
	return o
}
