package checks_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

var lbl4Cases = table([]tc{
	{name: "no tags, recommended", id: "CMK-LBL-4", edit: func(t *testing.T, s snap) {
		s["ListResourceTags"].(map[string]any)["Tags"] = []any{}
	}, want: checks.Warn, sev: checks.Recommended},
	{name: "required tag with any value", id: "CMK-LBL-4", profile: "required_tags: {Adobe: \"\"}", want: checks.Pass, sev: checks.Required},
	{name: "required tag with wrong value", id: "CMK-LBL-4", profile: "required_tags: {Adobe: AEP}", want: checks.Fail, sev: checks.Required, observe: `"Experience-Platform", not "AEP"`},
	{name: "required tag key is case-sensitive", id: "CMK-LBL-4", profile: "required_tags: {adobe: \"\"}", want: checks.Fail, observe: "adobe is missing"},
	{name: "tags missing", id: "CMK-LBL-4", edit: without("ListResourceTags"), want: checks.Error, observe: "ListResourceTags is missing"},
	{name: "tags shown", id: "CMK-LBL-4", want: checks.Pass, sev: checks.Recommended, observe: "tags: Adobe=Experience-Platform", absent: ";"},
})

func TestLBL4Tags(t *testing.T) { runCases(t, lbl4Cases) }
