package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/profile"
)

func init() {
	register(Check{
		ID: "CMK-LBL-4", Title: "The key carries its tags", Severity: Recommended,
		Section: "add-labels-and-tags-to-key", Needs: []string{tag},
		Expected: "at least one tag, and every required tag with its value",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Tags > Edit > Add tag (e.g. Adobe = Experience-Platform).",
			CLI:     "aws kms tag-resource --key-id <key-id> --tags TagKey=Adobe,TagValue=Experience-Platform",
		},
		requiredIf: func(p *profile.Profile) bool { return len(p.RequiredTags) > 0 },
		eval:       evalTags,
	})
}

func evalTags(e *env) outcome {
	o := outcome{}
	have := map[string]string{}
	var shown []string
	for _, t := range e.s.Tags {
		have[t.Key] = t.Value
		shown = append(shown, t.Key+"="+t.Value)
	}
	sort.Strings(shown)
	var wrong []string
	var keys []string
	for k := range e.p.RequiredTags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		want := e.p.RequiredTags[k]
		got, ok := have[k]
		if !ok {
			wrong = append(wrong, "tag "+k+" is missing")
		} else if want != "" && got != want {
			wrong = append(wrong, fmt.Sprintf("tag %s is %q, not %q", k, got, want))
		}
	}
	o.observed = "tags: " + list(shown)
	if len(e.s.Tags) == 0 {
		o.observed = "the key has no tags"
	}
	if len(wrong) > 0 {
		o.observed += "; " + strings.Join(wrong, "; ")
	}
	o.met = len(e.s.Tags) > 0 && len(wrong) == 0
	return o
}
