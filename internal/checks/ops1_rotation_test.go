package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var ops1Cases = table([]tc{
	{name: "rotation period reported and short enough", id: "CMK-OPS-1", want: checks.Pass, observe: "365 days"},
	{name: "rotation period beyond a stricter maximum", id: "CMK-OPS-1", profile: "max_rotation_period_days: 180", want: checks.Warn},
	{name: "rotation off when required", id: "CMK-OPS-1", profile: "rotation_required: true", edit: func(t *testing.T, s snap) {
		s["GetKeyRotationStatus"] = map[string]any{"KeyRotationEnabled": false}
	}, want: checks.Fail, sev: checks.Required},
	// KMS's bounds are 90..2560 days: both ends are periods to judge.
	{name: "the shortest period KMS gives", id: "CMK-OPS-1", edit: func(t *testing.T, s snap) {
		s["GetKeyRotationStatus"].(map[string]any)["RotationPeriodInDays"] = 90
	}, want: checks.Pass, observe: "90 days"},
	{name: "the longest period KMS gives", id: "CMK-OPS-1", profile: "max_rotation_period_days: 2560", edit: func(t *testing.T, s snap) {
		s["GetKeyRotationStatus"].(map[string]any)["RotationPeriodInDays"] = 2560
	}, want: checks.Pass, observe: "2560 days"},
	{name: "rotation period not reported", id: "CMK-OPS-1", edit: func(t *testing.T, s snap) {
		s["GetKeyRotationStatus"] = map[string]any{"KeyRotationEnabled": true}
	}, want: checks.Pass, observe: "not reported"},
	{name: "rotation status missing", id: "CMK-OPS-1", edit: func(t *testing.T, s snap) { delete(s, "GetKeyRotationStatus") }, want: checks.Error, observe: "GetKeyRotationStatus is missing"},
	{name: "rotation status of the wrong type", id: "CMK-OPS-1", edit: func(t *testing.T, s snap) {
		s["GetKeyRotationStatus"] = map[string]any{"KeyRotationEnabled": "yes"}
	}, want: checks.Error},
})

func TestOPS1Rotation(t *testing.T) { runCases(t, ops1Cases) }
