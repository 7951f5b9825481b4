package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var lbl3Cases = table([]tc{
	{name: "blank description", id: "CMK-LBL-3", edit: func(t *testing.T, s snap) { s.meta()["Description"] = "   " }, want: checks.Warn},
	{name: "a description", id: "CMK-LBL-3", want: checks.Pass, observe: `description: "Adobe Experience Platform customer managed key"`},
	{name: "DescribeKey missing", id: "CMK-LBL-3", edit: without("DescribeKey"), want: checks.Error, observe: "DescribeKey is missing"},
})

func TestLBL3Description(t *testing.T) { runCases(t, lbl3Cases) }
