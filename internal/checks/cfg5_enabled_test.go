package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var cfg5Cases = table([]tc{
	{name: "pending deletion names the date", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) {
		s.meta()["KeyState"] = "PendingDeletion"
		s.meta()["Enabled"] = false
		s.meta()["DeletionDate"] = 1796000000
	}, want: checks.Fail, observe: "deletion scheduled for 2026-"},
	{name: "enabled", id: "CMK-CFG-5", want: checks.Pass, observe: "KeyState is Enabled"},
	{name: "disabled", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) {
		s.meta()["KeyState"] = "Disabled"
		s.meta()["Enabled"] = false
	}, want: checks.Fail, observe: "KeyState is Disabled"},
	{name: "Enabled not reported", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) { delete(s.meta(), "Enabled") }, want: checks.Pass, observe: "KeyState is Enabled"},
	// DescribeKey documents Enabled as true exactly when KeyState is
	// Enabled: a file that says otherwise is not evidence to pass on.
	{name: "disabled but Enabled true", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) { s.meta()["KeyState"] = "Disabled" },
		want: checks.Error, observe: "contradicts itself: KeyState is Disabled but Enabled is true"},
	{name: "enabled but Enabled false", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) { s.meta()["Enabled"] = false },
		want: checks.Error, observe: "contradicts itself: KeyState is Enabled but Enabled is false"},
	{name: "KeyState missing", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) { delete(s.meta(), "KeyState") }, want: checks.Error, observe: "DescribeKey did not report KeyState"},
})

func TestCFG5Enabled(t *testing.T) { runCases(t, cfg5Cases) }
