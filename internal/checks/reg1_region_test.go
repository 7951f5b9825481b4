package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var reg1Cases = table([]tc{
	{name: "region unknown offline", id: "CMK-REG-1", want: checks.Error, observe: "set region in the profile (or CMK_REGION); the key is in us-east-1"},
	{name: "region unknown live", id: "CMK-REG-1", edit: capture(), want: checks.Error, observe: "set region in the profile"},
	{name: "region matches", id: "CMK-REG-1", profile: "region: us-east-1", want: checks.Pass},
	{name: "region differs", id: "CMK-REG-1", profile: "region: eu-west-1", want: checks.Fail, observe: "us-east-1"},
	{name: "region in malformed ARN", id: "CMK-REG-1", profile: "region: us-east-1", edit: func(t *testing.T, s snap) { s.meta()["Arn"] = "not-an-arn" }, want: checks.Error},
})

func TestREG1Region(t *testing.T) { runCases(t, reg1Cases) }
