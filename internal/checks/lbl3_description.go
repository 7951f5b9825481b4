package checks

import "strings"

func init() {
	register(Check{
		ID: "CMK-LBL-3", Title: "The key has a description", Severity: Recommended,
		Section: "add-labels-and-tags-to-key", Needs: []string{dk}, Pointers: map[string][]string{dk: {"/KeyMetadata/Description"}},
		Expected: "the description is not empty",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > General configuration > Edit description.",
			CLI:     "aws kms update-key-description --key-id <key-id> --description \"Adobe Experience Platform CMK\"",
		},
		eval: func(e *env) outcome {
			d := strings.TrimSpace(e.key.Description)
			return judge(d != "", "description: "+quoted(d))
		},
	})
}
