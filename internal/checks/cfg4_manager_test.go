package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var cfg4Cases = table([]tc{
	{name: "CUSTOMER", id: "CMK-CFG-4", want: checks.Pass, observe: "KeyManager is CUSTOMER"},
	{name: "AWS managed", id: "CMK-CFG-4", edit: func(t *testing.T, s snap) { s.meta()["KeyManager"] = "AWS" }, want: checks.Fail, sev: checks.Required, observe: "KeyManager is AWS"},
	{name: "KeyManager missing", id: "CMK-CFG-4", edit: func(t *testing.T, s snap) { delete(s.meta(), "KeyManager") }, want: checks.Error, observe: "DescribeKey did not report KeyManager"},
})

func TestCFG4Manager(t *testing.T) { runCases(t, cfg4Cases) }
