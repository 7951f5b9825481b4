package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/checks"
)

var cfg1Cases = table([]tc{
	{name: "KeySpec missing", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) { delete(s.meta(), "KeySpec") }, want: checks.Error},
	{name: "SYMMETRIC_DEFAULT", id: "CMK-CFG-1", want: checks.Pass, observe: "KeySpec is SYMMETRIC_DEFAULT"},
	{name: "asymmetric", id: "CMK-CFG-1", edit: func(t *testing.T, s snap) { s.meta()["KeySpec"] = "RSA_2048" }, want: checks.Fail, observe: "KeySpec is RSA_2048"},
	{name: "DescribeKey missing", id: "CMK-CFG-1", edit: without("DescribeKey"), want: checks.Error, observe: "DescribeKey is missing"},
})

func TestCFG1Symmetric(t *testing.T) { runCases(t, cfg1Cases) }
