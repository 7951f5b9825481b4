package checks

func init() {
	register(Check{
		ID: "CMK-LBL-1", Title: "The key has an alias", Severity: Required,
		Section: "add-labels-and-tags-to-key", Needs: []string{dk, als},
		Expected: "at least one alias outside alias/aws/ targets the key",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Aliases > Create alias (e.g. Adobe-Experience-Platform-Key).",
			CLI:     "aws kms create-alias --alias-name alias/Adobe-Experience-Platform-Key --target-key-id <key-id>",
		},
		eval: func(e *env) outcome {
			a := e.ownAliases()
			return judge(len(a) > 0, "aliases of the key: "+list(a))
		},
	})
}
