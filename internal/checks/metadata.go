package checks

import "github.com/aep-cmk/cmkcheck/internal/keystate"

// metadataCheck is a check that one DescribeKey field has one value: the
// key's type, usage, origin and manager, none of which a key can change.
func metadataCheck(id, title string, sev Severity, field, want string, get func(*keystate.KeyMetadata) string) Check {
	return Check{
		ID: id, Title: title, Severity: sev, Section: "configure-key", Needs: []string{dk},
		Pointers:    map[string][]string{dk: {"/KeyMetadata/" + field}},
		Expected:    field + " is " + want,
		Remediation: Remediation{Console: newKeyConsole, CLI: newKeyCLI},
		eval: func(e *env) outcome {
			got := get(e.key)
			if got == "" {
				return errored("DescribeKey did not report " + field)
			}
			return judge(got == want, field+" is "+got)
		},
	}
}
