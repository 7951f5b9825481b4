package checks

import "strings"

func init() {
	register(Check{
		ID: "CMK-REG-2", Title: "The key is a Single-Region key", Severity: Required,
		Section: "configure-key", Needs: []string{dk}, Pointers: map[string][]string{dk: {"/KeyMetadata/MultiRegion"}},
		Expected:    "MultiRegion is false and the key ID does not start with mrk-",
		Remediation: Remediation{Console: newKeyConsole, CLI: newKeyCLI},
		eval:        evalSingleRegion,
	})
}

func evalSingleRegion(e *env) outcome {
	k := e.key
	mrk := strings.HasPrefix(k.KeyID, "mrk-")
	var why []string
	if k.MultiRegion != nil && *k.MultiRegion {
		why = append(why, "MultiRegion is true")
	}
	if mrk {
		why = append(why, "the key ID "+k.KeyID+" starts with mrk-")
	}
	if len(why) > 0 {
		return notMet(strings.Join(why, " and "))
	}
	if k.MultiRegion == nil {
		return pass("MultiRegion is not reported; judged by the key ID " + k.KeyID + ", which does not start with mrk-")
	}
	return pass("MultiRegion is false and the key ID " + k.KeyID + " does not start with mrk-")
}
