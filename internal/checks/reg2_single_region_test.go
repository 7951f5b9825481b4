package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var reg2Cases = table([]tc{
	{name: "MultiRegion missing falls back to prefix", id: "CMK-REG-2", edit: func(t *testing.T, s snap) { delete(s.meta(), "MultiRegion") }, want: checks.Pass, observe: "not reported"},
	{name: "MultiRegion missing, mrk prefix", id: "CMK-REG-2", edit: func(t *testing.T, s snap) {
		delete(s.meta(), "MultiRegion")
		s.meta()["KeyId"] = "mrk-0123456789abcdef0123456789abcdef"
	}, want: checks.Fail, observe: "mrk-"},
	{name: "DescribeKey missing", id: "CMK-REG-2", edit: without("DescribeKey"), want: checks.Error, observe: "DescribeKey is missing"},
	{name: "MultiRegion true with an ordinary ID", id: "CMK-REG-2", edit: func(t *testing.T, s snap) { s.meta()["MultiRegion"] = true }, want: checks.Fail, observe: "MultiRegion is true"},
	{name: "both signs of a multi-Region key", id: "CMK-REG-2", edit: func(t *testing.T, s snap) {
		s.meta()["MultiRegion"] = true
		s.meta()["KeyId"] = "mrk-0123456789abcdef0123456789abcdef"
	}, want: checks.Fail, observe: "MultiRegion is true and the key ID mrk-0123456789abcdef0123456789abcdef starts with mrk-"},
	{name: "Single-Region", id: "CMK-REG-2", want: checks.Pass, observe: "MultiRegion is false and the key ID 1234abcd-12ab-34cd-56ef-1234567890ab does not start with mrk-"},
})

func TestREG2SingleRegion(t *testing.T) { runCases(t, reg2Cases) }
