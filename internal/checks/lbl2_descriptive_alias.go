package checks

import "strings"

func init() {
	register(Check{
		ID: "CMK-LBL-2", Title: "The alias is descriptive", Severity: Recommended,
		Section: "add-labels-and-tags-to-key", Needs: []string{dk, als},
		Expected: "an alias matches alias_pattern; without a pattern, a name of at least 4 characters that is not a generic word",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Aliases > Create alias with a name that says its purpose, e.g. Adobe-Experience-Platform-Key.",
			CLI:     "aws kms create-alias --alias-name alias/Adobe-Experience-Platform-Key --target-key-id <key-id>",
		},
		eval: evalDescriptiveAlias,
	})
}

// genericAliases are names that say nothing of a key's purpose.
var genericAliases = map[string]bool{"key": true, "test": true, "temp": true, "default": true, "new": true, "cmk": true, "mykey": true}

func evalDescriptiveAlias(e *env) outcome {
	aliases := e.ownAliases()
	if len(aliases) == 0 {
		return notMet("the key has no alias")
	}
	if re := e.aliasRE; re != nil {
		for _, a := range aliases {
			if re.MatchString(a) {
				return pass(a + " matches " + e.p.AliasPattern)
			}
		}
		return notMet("no alias matches " + e.p.AliasPattern + "; aliases: " + list(aliases))
	}
	var bad []string
	for _, a := range aliases {
		name := strings.TrimPrefix(a, "alias/")
		if len(name) >= 4 && !genericAliases[strings.ToLower(name)] {
			return pass(a + " is descriptive")
		}
		bad = append(bad, a)
	}
	return notMet("every alias is short or generic: " + list(bad))
}
