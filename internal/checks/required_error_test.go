package checks_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// A profile that makes a recommended check required makes it required
// also when its evidence is missing: a required ERROR, so NOT READY. (It
// once stayed recommended, because only the evaluator raised it, and an
// evaluator does not run without evidence: a false READY.)
func TestRaisedSeverityHoldsWithoutEvidence(t *testing.T) {
	// The example profile, with neither rotation nor tags demanded.
	base := loadProfile(t, "aep-example.yaml").Profile()
	base.RequiredTags, base.RotationRequired = nil, false
	for _, tc := range []struct {
		id, member string
		raise      func(p *profile.Profile)
	}{
		{"CMK-OPS-1", "GetKeyRotationStatus", func(p *profile.Profile) { p.RotationRequired = true }},
		{"CMK-LBL-4", "ListResourceTags", func(p *profile.Profile) { p.RequiredTags = map[string]string{"Adobe": "Experience-Platform"} }},
	} {
		t.Run(tc.id, func(t *testing.T) {
			s := compliant(t)
			delete(s, tc.member)
			state := s.state(t)

			demanding := *base
			tc.raise(&demanding)
			raised := checks.Evaluate(state, valid(t, &demanding))
			r := result(t, raised, tc.id)
			assert.Equal(t, checks.Error, r.Status, r.Observed)
			assert.Equal(t, checks.Required, r.Severity, "the profile raises %s to required", tc.id)
			assert.Equal(t, checks.NotReady, checks.Verdict(raised), "a required check without evidence")

			plain := checks.Evaluate(state, valid(t, base))
			r = result(t, plain, tc.id)
			assert.Equal(t, checks.Error, r.Status)
			assert.Equal(t, checks.Recommended, r.Severity, "without the profile's demand %s stays recommended", tc.id)
			assert.Equal(t, checks.Ready, checks.Verdict(plain), "a recommended ERROR does not decide the verdict")
		})
	}
}

func valid(t testing.TB, p *profile.Profile) profile.Valid {
	t.Helper()
	v, err := p.Validate()
	require.NoError(t, err)
	return v
}
