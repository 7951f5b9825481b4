package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var lbl1Cases = table([]tc{
	{name: "alias targets the key ARN", id: "CMK-LBL-1", edit: func(t *testing.T, s snap) {
		s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["TargetKeyId"] = s.meta()["Arn"]
	}, want: checks.Pass},
	{name: "no alias", id: "CMK-LBL-1", edit: func(t *testing.T, s snap) { s["ListAliases"].(map[string]any)["Aliases"] = []any{} }, want: checks.Fail, observe: "aliases of the key: none"},
	{name: "only an AWS alias", id: "CMK-LBL-1", edit: func(t *testing.T, s snap) {
		s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["AliasName"] = "alias/aws/kms"
	}, want: checks.Fail},
	{name: "an alias of another key", id: "CMK-LBL-1", edit: func(t *testing.T, s snap) {
		s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["TargetKeyId"] = "0000abcd-12ab-34cd-56ef-1234567890ab"
	}, want: checks.Fail},
	{name: "aliases missing", id: "CMK-LBL-1", edit: without("ListAliases"), want: checks.Error, observe: "ListAliases is missing"},
	{name: "the alias", id: "CMK-LBL-1", want: checks.Pass, observe: "aliases of the key: alias/Adobe-Experience-Platform-Key"},
})

func TestLBL1Alias(t *testing.T) { runCases(t, lbl1Cases) }
