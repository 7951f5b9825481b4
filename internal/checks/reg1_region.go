package checks

import "fmt"

func init() {
	register(Check{
		ID: "CMK-REG-1", Title: "The key is in the platform instance's region", Severity: Required,
		Section: "select-supported-region, configure-key, review", Needs: []string{dk}, Pointers: map[string][]string{dk: {"/KeyMetadata/Arn"}},
		Expected: "the key ARN's region equals the profile's region",
		Remediation: Remediation{
			Console: "Switch the console to the platform instance's region and create the key there (" + newKeyConsole + ")",
			CLI:     newKeyCLI,
		},
		eval: evalRegion,
	})
}

func evalRegion(e *env) outcome {
	keyRegion := e.key.Region()
	if keyRegion == "" {
		return errored(fmt.Sprintf("the key ARN %q has no region", e.key.Arn))
	}
	if e.p.Region == "" {
		// Live or offline alike: a required check that cannot be judged
		// must not let the verdict be READY.
		return errored("the platform instance's region is unknown: set region in the profile (or CMK_REGION); the key is in " + keyRegion)
	}
	return outcome{
		met:      keyRegion == e.p.Region,
		observed: "the key is in " + keyRegion + "; the platform instance is in " + e.p.Region,
		expected: "the key is in " + e.p.Region,
	}
}
