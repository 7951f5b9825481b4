package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var cfg3Cases = table([]tc{
	{name: "Origin AWS_CLOUDHSM", id: "CMK-CFG-3", edit: func(t *testing.T, s snap) { s.meta()["Origin"] = "AWS_CLOUDHSM" }, want: checks.Warn},
	{name: "AWS_KMS", id: "CMK-CFG-3", want: checks.Pass, observe: "Origin is AWS_KMS"},
	{name: "Origin missing", id: "CMK-CFG-3", edit: func(t *testing.T, s snap) { delete(s.meta(), "Origin") }, want: checks.Error, observe: "DescribeKey did not report Origin"},
})

func TestCFG3Origin(t *testing.T) { runCases(t, cfg3Cases) }
