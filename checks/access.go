package checks

import (
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/policy"
)

// Helpers of the checks judged on the key policy.

func principalARNs(ps []policy.Principal) []string {
	out := make([]string, 0, len(ps))
	for _, p := range ps {
		out = append(out, p.ARN)
	}
	return out
}

// rootNote tells the reader that IAM policies may grant more than the key
// policy shows when the root delegation is present.
func rootNote(a *policy.Analysis) string {
	if len(a.RootDelegation()) == 0 {
		return ""
	}
	return " (the root delegation lets IAM policies of the account grant more than the key policy shows)"
}

func diffNote(missing, extra []string) string {
	s := ""
	if len(missing) > 0 {
		s += "; expected but absent: " + list(missing)
	}
	if len(extra) > 0 {
		s += "; present but not expected: " + list(extra)
	}
	return s
}

// statementList names statements by position (never by Sid, which repeats).
func statementList(a *policy.Analysis, idx []int) string {
	if len(idx) == 0 {
		return "none"
	}
	var parts []string
	for _, i := range idx {
		s := fmt.Sprintf("statement #%d", i+1)
		if i < len(a.Doc.Statements) && a.Doc.Statements[i].Sid != "" {
			s += fmt.Sprintf(" (Sid %q)", a.Doc.Statements[i].Sid)
		}
		parts = append(parts, s)
	}
	return strings.Join(parts, ", ")
}
