package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var cfg2Cases = table([]tc{
	{name: "ENCRYPT_DECRYPT", id: "CMK-CFG-2", want: checks.Pass, observe: "KeyUsage is ENCRYPT_DECRYPT"},
	{name: "MAC key", id: "CMK-CFG-2", edit: func(t *testing.T, s snap) { s.meta()["KeyUsage"] = "GENERATE_VERIFY_MAC" }, want: checks.Fail, sev: checks.Required, observe: "KeyUsage is GENERATE_VERIFY_MAC"},
	{name: "KeyUsage missing", id: "CMK-CFG-2", edit: func(t *testing.T, s snap) { delete(s.meta(), "KeyUsage") }, want: checks.Error, observe: "DescribeKey did not report KeyUsage"},
})

func TestCFG2Usage(t *testing.T) { runCases(t, cfg2Cases) }
