package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var cfg5Cases = table([]tc{
	{name: "pending deletion names the date", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) {
		s.meta()["KeyState"] = "PendingDeletion"
		s.meta()["DeletionDate"] = 1796000000
	}, want: checks.Fail, observe: "deletion scheduled for 2026-"},
	{name: "enabled", id: "CMK-CFG-5", want: checks.Pass, observe: "KeyState is Enabled"},
	{name: "disabled", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) { s.meta()["KeyState"] = "Disabled" }, want: checks.Fail, observe: "KeyState is Disabled"},
	{name: "KeyState missing", id: "CMK-CFG-5", edit: func(t *testing.T, s snap) { delete(s.meta(), "KeyState") }, want: checks.Error, observe: "DescribeKey did not report KeyState"},
})

func TestCFG5Enabled(t *testing.T) { runCases(t, cfg5Cases) }
