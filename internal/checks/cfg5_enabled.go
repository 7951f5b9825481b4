package checks

import "fmt"

func init() {
	register(Check{
		ID: "CMK-CFG-5", Title: "The key is enabled", Severity: Required,
		Section: "create-a-key", Needs: []string{dk}, Pointers: map[string][]string{dk: {"/KeyMetadata/Enabled", "/KeyMetadata/KeyState"}},
		Expected: "KeyState is Enabled",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Key actions > Enable (or Cancel key deletion, then Enable).",
			CLI:     "aws kms cancel-key-deletion --key-id <key-id>; aws kms enable-key --key-id <key-id>",
		},
		eval: evalEnabled,
	})
}

func evalEnabled(e *env) outcome {
	k := e.key
	if k.KeyState == "" {
		return errored("DescribeKey did not report KeyState")
	}
	obs := "KeyState is " + k.KeyState
	if k.Enabled != nil && *k.Enabled != (k.KeyState == "Enabled") {
		// AWS documents Enabled as true exactly when KeyState is Enabled:
		// evidence that says both cannot be judged.
		return errored(fmt.Sprintf("DescribeKey contradicts itself: %s but Enabled is %t", obs, *k.Enabled))
	}
	if k.DeletionDate != nil {
		obs += ", deletion scheduled for " + k.DeletionDate.UTC().Format("2006-01-02 15:04:05 UTC")
	}
	return judge(k.KeyState == "Enabled", obs)
}
