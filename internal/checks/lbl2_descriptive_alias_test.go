package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var lbl2Cases = table([]tc{
	{name: "alias pattern matches", id: "CMK-LBL-2", profile: `alias_pattern: "^alias/Adobe-"`, want: checks.Pass},
	{name: "alias pattern does not match", id: "CMK-LBL-2", profile: `alias_pattern: "^alias/aep-"`, want: checks.Warn},
	{name: "short alias", id: "CMK-LBL-2", edit: func(t *testing.T, s snap) {
		s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["AliasName"] = "alias/abc"
	}, want: checks.Warn},
	{name: "generic alias in capitals", id: "CMK-LBL-2", edit: func(t *testing.T, s snap) {
		s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["AliasName"] = "alias/MyKey"
	}, want: checks.Warn},
	{name: "aliases missing", id: "CMK-LBL-2", edit: without("ListAliases"), want: checks.Error, observe: "ListAliases is missing"},
	{name: "no alias at all", id: "CMK-LBL-2", edit: func(t *testing.T, s snap) { s["ListAliases"].(map[string]any)["Aliases"] = []any{} }, want: checks.Warn, observe: "the key has no alias"},
	{name: "a four-character name is enough", id: "CMK-LBL-2", edit: func(t *testing.T, s snap) {
		s["ListAliases"].(map[string]any)["Aliases"].([]any)[0].(map[string]any)["AliasName"] = "alias/abcd"
	}, want: checks.Pass, observe: "alias/abcd is descriptive"},
	{name: "descriptive without a pattern", id: "CMK-LBL-2", want: checks.Pass, observe: "alias/Adobe-Experience-Platform-Key is descriptive"},
})

func TestLBL2DescriptiveAlias(t *testing.T) { runCases(t, lbl2Cases) }
