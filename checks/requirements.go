package checks

import (
	"fmt"
	"sort"
	"strings"

	"github.com/aep-cmk/cmkcheck/keystate"
	"github.com/aep-cmk/cmkcheck/policy"
	"github.com/aep-cmk/cmkcheck/profile"
)

const (
	dk  = keystate.DescribeKey
	pol = keystate.GetKeyPolicy
	rot = keystate.GetKeyRotationStatus
	tag = keystate.ListResourceTags
	als = keystate.ListAliases
)

// A key made through the guide's console steps is symmetric, and a policy
// edit is always the same console step, so those texts are shared.
const (
	newKeyConsole = "Create a new key as the guide says (KMS > Create a key: Symmetric, Encrypt and decrypt, " +
		"Advanced options: KMS key material, Single-Region key) and give the new key's ARN to the platform; " +
		"an existing key's type, usage, origin and regionality cannot be changed."
	newKeyCLI = "aws kms create-key --region <region> --key-spec SYMMETRIC_DEFAULT --key-usage ENCRYPT_DECRYPT " +
		"--origin AWS_KMS --no-multi-region --description \"Adobe Experience Platform CMK\" " +
		"--tags TagKey=Adobe,TagValue=Experience-Platform"
	editPolicyConsole = "KMS > Customer managed keys > the key > Key policy > Edit: "
	policyCLI         = "aws kms get-key-policy --key-id <key-id> --policy-name default --query Policy --output text > policy.json\n" +
		"# edit policy.json as the console step says, then:\n" +
		"aws kms put-key-policy --key-id <key-id> --policy-name default --policy file://policy.json"
)

var catalog = []Check{
	{
		ID: "CMK-AVL-1", Title: "CMK on AWS is offered for the customer's shield", Severity: Required,
		Section:  "AVAILABILITY",
		Expected: "shield is privacy-security (CMK on AWS is not available with Healthcare Shield)",
		Remediation: Remediation{
			Console: "CMK on AWS requires Privacy and Security Shield; with Healthcare Shield, talk to Adobe before creating a key.",
			CLI:     "(no CLI step: the shield is an Adobe entitlement)",
		},
		eval: func(e *env) outcome {
			switch e.p.Shield {
			case "":
				return skipped("shield is not set in the profile, so availability cannot be judged")
			case profile.ShieldPrivacySecurity:
				return pass("shield is privacy-security")
			default:
				return notMet(fmt.Sprintf("shield is %s: CMK on AWS is not offered with it", e.p.Shield))
			}
		},
	},
	{
		ID: "CMK-ACC-1", Title: "KMS answers in the account and region for the caller", Severity: Required,
		Section:  "check-your-aws-account-configuration",
		Expected: "the caller's identity is known and KMS answers for the key in the caller's account and region",
		Remediation: Remediation{
			Console: "Sign in to the account that owns the key, open Key Management Service in the platform's region, and make sure KMS is enabled for the account.",
			CLI:     "aws sts get-caller-identity && aws kms describe-key --key-id <key-id> --region <region>",
		},
		eval: func(e *env) outcome {
			return liveProbe(e, func(l *keystate.Live) keystate.Probe { return l.Access }, "evaluating a snapshot offline: there is no caller to identify")
		},
	},
	{
		ID: "CMK-PRM-1", Title: "The caller may create and use KMS keys", Severity: Recommended,
		Section:  "verify-permissions",
		Expected: "IAM policy simulation allows the caller kms:CreateKey and kms:Encrypt",
		Remediation: Remediation{
			Console: "IAM > Policy simulator: select the user or role, simulate kms:CreateKey and kms:Encrypt; ask the AWS administrator for what is denied.",
			CLI:     "aws iam simulate-principal-policy --policy-source-arn <caller-arn> --action-names kms:CreateKey kms:Encrypt",
		},
		eval: func(e *env) outcome {
			return liveProbe(e, func(l *keystate.Live) keystate.Probe { return l.Permission }, "evaluating a snapshot offline: there is no caller to simulate")
		},
	},
	{
		ID: "CMK-REG-1", Title: "The key is in the platform instance's region", Severity: Required,
		Section: "select-supported-region, configure-key, review", Needs: []string{dk},
		Expected: "the key ARN's region equals the profile's region",
		Remediation: Remediation{
			Console: "Switch the console to the platform instance's region and create the key there (" + newKeyConsole + ")",
			CLI:     newKeyCLI,
		},
		eval: evalRegion,
	},
	{
		ID: "CMK-REG-2", Title: "The key is a Single-Region key", Severity: Required,
		Section: "configure-key", Needs: []string{dk},
		Expected:    "MultiRegion is false and the key ID does not start with mrk-",
		Remediation: Remediation{Console: newKeyConsole, CLI: newKeyCLI},
		eval:        evalSingleRegion,
	},
	metadataCheck("CMK-CFG-1", "The key is symmetric", Required, "KeySpec", "SYMMETRIC_DEFAULT",
		func(k *keystate.KeyMetadata) string { return k.KeySpec }),
	metadataCheck("CMK-CFG-2", "The key encrypts and decrypts", Required, "KeyUsage", "ENCRYPT_DECRYPT",
		func(k *keystate.KeyMetadata) string { return k.KeyUsage }),
	metadataCheck("CMK-CFG-3", "KMS made the key material", Recommended, "Origin", "AWS_KMS",
		func(k *keystate.KeyMetadata) string { return k.Origin }),
	metadataCheck("CMK-CFG-4", "The key is a customer managed key", Required, "KeyManager", "CUSTOMER",
		func(k *keystate.KeyMetadata) string { return k.KeyManager }),
	{
		ID: "CMK-CFG-5", Title: "The key is enabled", Severity: Required,
		Section: "create-a-key", Needs: []string{dk},
		Expected: "KeyState is Enabled",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Key actions > Enable (or Cancel key deletion, then Enable).",
			CLI:     "aws kms cancel-key-deletion --key-id <key-id>; aws kms enable-key --key-id <key-id>",
		},
		eval: func(e *env) outcome {
			k := e.key
			if k.KeyState == "" {
				return errored("DescribeKey did not report KeyState")
			}
			obs := "KeyState is " + k.KeyState
			if k.DeletionDate != nil {
				obs += ", deletion scheduled for " + k.DeletionDate.UTC().Format("2006-01-02 15:04:05 UTC")
			}
			return judge(k.KeyState == "Enabled", obs)
		},
	},
	{
		ID: "CMK-CFG-6", Title: "Encrypt then Decrypt returns the plaintext", Severity: Required,
		Section:  "configure-key",
		Expected: "a live Encrypt followed by Decrypt returns the original plaintext",
		Remediation: Remediation{
			Console: "Check that the key is enabled, symmetric, and that the key policy lets the caller use it (Key users).",
			CLI:     "aws kms encrypt --key-id <key-id> --plaintext fileb://sample --query CiphertextBlob --output text | base64 -d > c && aws kms decrypt --ciphertext-blob fileb://c",
		},
		eval: func(e *env) outcome {
			if e.s.Live != nil && !e.p.Roundtrip {
				return skipped("roundtrip is not set in the profile")
			}
			return liveProbe(e, func(l *keystate.Live) keystate.Probe { return l.Roundtrip }, "evaluating a snapshot offline: a round trip needs the live key")
		},
	},
	{
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
	},
	{
		ID: "CMK-LBL-2", Title: "The alias is descriptive", Severity: Recommended,
		Section: "add-labels-and-tags-to-key", Needs: []string{dk, als},
		Expected: "an alias matches alias_pattern; without a pattern, a name of at least 4 characters that is not a generic word",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Aliases > Create alias with a name that says its purpose, e.g. Adobe-Experience-Platform-Key.",
			CLI:     "aws kms create-alias --alias-name alias/Adobe-Experience-Platform-Key --target-key-id <key-id>",
		},
		eval: evalDescriptiveAlias,
	},
	{
		ID: "CMK-LBL-3", Title: "The key has a description", Severity: Recommended,
		Section: "add-labels-and-tags-to-key", Needs: []string{dk},
		Expected: "the description is not empty",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > General configuration > Edit description.",
			CLI:     "aws kms update-key-description --key-id <key-id> --description \"Adobe Experience Platform CMK\"",
		},
		eval: func(e *env) outcome {
			d := strings.TrimSpace(e.key.Description)
			return judge(d != "", "description: "+quoted(d))
		},
	},
	{
		ID: "CMK-LBL-4", Title: "The key carries its tags", Severity: Recommended,
		Section: "add-labels-and-tags-to-key", Needs: []string{tag},
		Expected: "at least one tag, and every required tag with its value",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Tags > Edit > Add tag (e.g. Adobe = Experience-Platform).",
			CLI:     "aws kms tag-resource --key-id <key-id> --tags TagKey=Adobe,TagValue=Experience-Platform",
		},
		requiredIf: func(p *profile.Profile) bool { return len(p.RequiredTags) > 0 },
		eval:       evalTags,
	},
	{
		ID: "CMK-ADM-1", Title: "Key administrators are the chosen IAM users and roles", Severity: Required,
		Section: "define-key-admins", Needs: []string{dk, pol},
		Expected: "at least one IAM user or role of the key's account is a key administrator; with key_administrators set, exactly those",
		Remediation: Remediation{
			Console: editPolicyConsole + "Key administrators > Add or Remove the chosen users and roles (console default view), then Save.",
			CLI:     policyCLI,
		},
		eval: evalAdministrators,
	},
	{
		ID: "CMK-ADM-2", Title: "Only key administrators may delete the key, as chosen", Severity: Required,
		Section: "define-key-admins", Needs: []string{dk, pol},
		Expected: "deletion holders are key administrators only; with allow_key_deletion true every listed administrator is one, with false there is none",
		Remediation: Remediation{
			Console: editPolicyConsole + "Key deletion > tick or untick \"Allow key administrators to delete this key\", and remove kms:ScheduleKeyDeletion from every other statement.",
			CLI:     policyCLI,
		},
		eval: evalDeletion,
	},
	{
		ID: "CMK-ADM-3", Title: "The key policy cannot lock the account out", Severity: Required,
		Section: "next steps (add, do not replace)", Needs: []string{dk, pol},
		Expected: "the own-account root delegation (kms:*) or an own-account IAM user or role allowed kms:PutKeyPolicy remains",
		Remediation: Remediation{
			Console: editPolicyConsole + "add the platform's statements to the default policy; do not replace it. Restore the \"Enable IAM User Permissions\" root statement (arn:aws:iam::<account>:root, kms:*).",
			CLI:     policyCLI,
		},
		eval: evalLockout,
	},
	{
		ID: "CMK-USR-1", Title: "Key users are the chosen IAM users and roles", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol},
		Expected: "at least one IAM user or role of the key's account is a key user; with key_users set, the non-administrator key users are exactly those",
		Remediation: Remediation{
			Console: editPolicyConsole + "Key users > Add or Remove the chosen users and roles (console default view), then Save.",
			CLI:     policyCLI,
		},
		eval: evalUsers,
	},
	{
		ID: "CMK-USR-2", Title: "No other AWS account has access", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol},
		Expected: "no principal of another account, except the Adobe accounts and allowed_external_accounts",
		Remediation: Remediation{
			Console: editPolicyConsole + "Other AWS accounts > Remove each account that is not Adobe's and not deliberately allowed.",
			CLI:     policyCLI,
		},
		eval: evalOtherAccounts,
	},
	{
		ID: "CMK-USR-3", Title: "The key is not public", Severity: Required,
		Section: "assign-key-users", Needs: []string{dk, pol},
		Expected: "no Allow to \"*\", {\"AWS\":\"*\"} or with NotPrincipal unless a condition pins the caller to fixed accounts",
		Remediation: Remediation{
			Console: editPolicyConsole + "replace the \"*\" principal by the chosen users and roles, or add a condition such as StringEquals aws:PrincipalAccount.",
			CLI:     policyCLI,
		},
		eval: func(e *env) outcome {
			return e.withPolicy(func(a *policy.Analysis) outcome {
				open := a.Public()
				return judge(len(open) == 0, "statements open to everyone: "+statementList(a, open))
			})
		},
	},
	{
		ID: "CMK-USR-4", Title: "Only key administrators hold administrative actions", Severity: Recommended,
		Section: "define-key-admins, assign-key-users", Needs: []string{dk, pol},
		Expected: "no principal other than key administrators (and the root delegation) holds kms:PutKeyPolicy, kms:DisableKey or any kms:Delete*, kms:Disable*, kms:Put*, kms:Update* action",
		Remediation: Remediation{
			Console: editPolicyConsole + "remove the administrative actions from the statements of key users and other principals.",
			CLI:     policyCLI,
		},
		eval: evalAdminActionsElsewhere,
	},
	{
		ID: "CMK-AEP-1", Title: "The platform's statements grant Adobe the key's use", Severity: Required,
		Section: "next steps", Needs: []string{dk, pol},
		Expected: "every Adobe principal is allowed " + strings.Join(policy.AdobeActions, ", "),
		Remediation: Remediation{
			Console: editPolicyConsole + "add the statements the platform's Encryption Configuration shows, as they are, to the existing policy.",
			CLI:     policyCLI,
		},
		eval: evalAdobeGrants,
	},
	{
		ID: "CMK-AEP-2", Title: "Adobe holds no administrative or deletion right", Severity: Required,
		Section: "next steps", Needs: []string{dk, pol},
		Expected: "no Adobe principal holds an administrative or deletion action",
		Remediation: Remediation{
			Console: editPolicyConsole + "keep Adobe's statements exactly as the platform shows them; remove any administrative or deletion action given to Adobe's accounts.",
			CLI:     policyCLI,
		},
		eval: evalAdobeNoAdmin,
	},
	{
		ID: "CMK-OPS-1", Title: "Automatic rotation is on", Severity: Recommended,
		Section: "prerequisites (rotate keys)", Needs: []string{rot},
		Expected: "automatic rotation enabled, with a period of at most max_rotation_period_days",
		Remediation: Remediation{
			Console: "KMS > Customer managed keys > the key > Key rotation > tick \"Automatically rotate this KMS key every year\" and set the period.",
			CLI:     "aws kms enable-key-rotation --key-id <key-id> --rotation-period-in-days 365",
		},
		requiredIf: func(p *profile.Profile) bool { return p.RotationRequired },
		eval:       evalRotation,
	},
}

// liveProbe turns a live probe into an outcome; offline it is a SKIP.
func liveProbe(e *env, pick func(*keystate.Live) keystate.Probe, offline string) outcome {
	if e.s.Live == nil {
		return skipped(offline)
	}
	p := pick(e.s.Live)
	o := outcome{evidence: p.Evidence}
	switch {
	case p.SkipReason != "":
		o.status, o.observed = Skip, p.SkipReason
	case !p.Ran:
		o.status, o.observed = Error, "the live probe was not run and no reason was given"
	case p.Err != "":
		o.status, o.observed = Error, p.Err
	default:
		o.met, o.observed = p.OK, p.Observed
	}
	return o
}

func metadataCheck(id, title string, sev Severity, field, want string, get func(*keystate.KeyMetadata) string) Check {
	return Check{
		ID: id, Title: title, Severity: sev, Section: "configure-key", Needs: []string{dk},
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

func evalRegion(e *env) outcome {
	keyRegion := e.key.Region()
	if keyRegion == "" {
		return errored(fmt.Sprintf("the key ARN %q has no region", e.key.Arn))
	}
	if e.p.Region == "" {
		if e.s.Live != nil {
			return errored("the platform instance's region is unknown: set region in the profile (or CMK_REGION); the key is in " + keyRegion)
		}
		return skipped("region is not set in the profile, so the key's region (" + keyRegion + ") cannot be compared")
	}
	return outcome{
		met:      keyRegion == e.p.Region,
		observed: "the key is in " + keyRegion + "; the platform instance is in " + e.p.Region,
		expected: "the key is in " + e.p.Region,
	}
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
		switch {
		case !ok:
			wrong = append(wrong, "tag "+k+" is missing")
		case want != "" && got != want:
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

func evalAdministrators(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		admins := e.ownIAM(a.Administrators())
		obs := "key administrators of the key's account: " + list(admins) + rootNote(a)
		if len(admins) == 0 {
			return notMet(obs)
		}
		if e.p.KeyAdministrators == nil {
			return pass(obs)
		}
		missing, extra := setDiff(e.p.KeyAdministrators, admins)
		return judge(len(missing)+len(extra) == 0, obs+diffNote(missing, extra))
	})
}

func evalDeletion(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		admins := toSet(principalARNs(a.Administrators()))
		var holders, notAdmin []string
		for _, p := range a.DeletionHolders() {
			holders = append(holders, p.ARN)
			if !admins[p.ARN] {
				notAdmin = append(notAdmin, p.ARN)
			}
		}
		obs := "principals allowed kms:ScheduleKeyDeletion: " + list(holders) + rootNote(a)
		var wrong []string
		if len(notAdmin) > 0 {
			wrong = append(wrong, "not key administrators: "+list(notAdmin))
		}
		if allow := e.p.AllowKeyDeletion; allow != nil {
			if *allow {
				listed := e.p.KeyAdministrators
				if listed == nil {
					listed = e.ownIAM(a.Administrators())
				}
				missing, _ := setDiff(listed, holders)
				if len(missing) > 0 {
					wrong = append(wrong, "allow_key_deletion is true but these administrators may not delete: "+list(missing))
				}
			} else if len(holders) > 0 {
				wrong = append(wrong, "allow_key_deletion is false but deletion is allowed")
			}
		}
		if len(wrong) > 0 {
			obs += "; " + strings.Join(wrong, "; ")
		}
		return judge(len(wrong) == 0, obs)
	})
}

func evalLockout(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		if root := a.RootDelegation(); len(root) > 0 {
			return pass("the own-account root delegation (kms:*) is in " + statementList(a, root))
		}
		var keepers []string
		for _, p := range a.Principals() {
			if p.Account != e.key.Account() || (p.Kind != policy.KindUser && p.Kind != policy.KindRole) {
				continue
			}
			if len(a.Allowed(p, "kms:PutKeyPolicy")) > 0 {
				keepers = append(keepers, p.ARN)
			}
		}
		if len(keepers) > 0 {
			return pass("no root delegation, but these own-account principals may change the policy: " + list(keepers))
		}
		return notMet("no root delegation and no IAM user or role of account " + e.key.Account() + " may call kms:PutKeyPolicy: nobody in the account could repair this policy")
	})
}

func evalUsers(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		users := e.ownIAM(a.Users())
		obs := "key users of the key's account: " + list(users) + rootNote(a)
		if len(users) == 0 {
			return notMet(obs)
		}
		if e.p.KeyUsers == nil {
			return pass(obs)
		}
		admins := toSet(e.ownIAM(a.Administrators()))
		var plain []string
		for _, u := range users {
			if !admins[u] {
				plain = append(plain, u)
			}
		}
		missing, extra := setDiff(e.p.KeyUsers, plain)
		return judge(len(missing)+len(extra) == 0, obs+"; of them not administrators: "+list(plain)+diffNote(missing, extra))
	})
}

func evalOtherAccounts(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		allowed := toSet(append(e.p.AdobeAccounts(), e.p.AllowedExternalAccounts...))
		var accepted, refused []string
		for _, acct := range a.ExternalAccounts() {
			if allowed[acct] {
				accepted = append(accepted, acct)
			} else {
				refused = append(refused, acct)
			}
		}
		var unknown []string
		for _, p := range a.UnknownPrincipals() {
			unknown = append(unknown, p.Raw)
		}
		obs := "other accounts accepted (Adobe or allowed): " + list(accepted) + "; other accounts not accepted: " + list(refused)
		if len(unknown) > 0 {
			obs += "; principals whose account cannot be told (stale or malformed): " + list(unknown)
		}
		return judge(len(refused)+len(unknown) == 0, obs)
	})
}

func evalAdminActionsElsewhere(e *env) outcome {
	return e.withPolicy(func(a *policy.Analysis) outcome {
		admins := toSet(principalARNs(a.Administrators()))
		holders := a.HoldersAny(policy.DangerousActions())
		var arns []string
		for arn := range holders {
			arns = append(arns, arn)
		}
		sort.Strings(arns)
		var others []string
		for _, arn := range arns {
			p := policy.ParsePrincipal("AWS", arn)
			if admins[arn] || e.ownRoot(p) {
				continue
			}
			others = append(others, arn+" ("+strings.Join(holders[arn], ", ")+")")
		}
		return judge(len(others) == 0, "non-administrators holding administrative actions: "+list(others))
	})
}

func evalAdobeGrants(e *env) outcome {
	accounts := e.p.AdobeAccounts()
	if len(accounts) == 0 {
		return skipped("adobe_principals is not set in the profile")
	}
	return e.withPolicy(func(a *policy.Analysis) outcome {
		var lacks, fine []string
		for _, acct := range accounts {
			root := adobeRoot(e, acct)
			var missing []string
			for _, act := range policy.AdobeActions {
				if len(a.Allowed(root, act)) == 0 {
					missing = append(missing, act)
				}
			}
			if len(missing) > 0 {
				lacks = append(lacks, acct+" lacks "+strings.Join(missing, ", "))
			} else {
				fine = append(fine, acct)
			}
		}
		obs := "Adobe accounts fully granted: " + list(fine)
		if len(lacks) > 0 {
			obs += "; " + strings.Join(lacks, "; ")
		}
		return judge(len(lacks) == 0, obs)
	})
}

func evalAdobeNoAdmin(e *env) outcome {
	accounts := toSet(e.p.AdobeAccounts())
	if len(accounts) == 0 {
		return skipped("adobe_principals is not set in the profile")
	}
	return e.withPolicy(func(a *policy.Analysis) outcome {
		holders := a.HoldersAny(policy.AdobeForbiddenActions())
		var bad []string
		for _, p := range a.Principals() {
			if !accounts[p.Account] {
				continue
			}
			if acts := holders[p.ARN]; len(acts) > 0 {
				bad = append(bad, p.ARN+" holds "+strings.Join(acts, ", "))
			}
		}
		sort.Strings(bad)
		return judge(len(bad) == 0, "Adobe principals with administrative or deletion actions: "+list(bad))
	})
}

func evalRotation(e *env) outcome {
	o := outcome{}
	r := e.s.Rotation
	max := e.p.MaxRotationPeriodDays
	o.expected = fmt.Sprintf("automatic rotation enabled, with a period of at most %d days", max)
	switch {
	case r.RotationPeriodInDays != nil && (*r.RotationPeriodInDays < profile.MinRotationDays || *r.RotationPeriodInDays > profile.MaxRotationDays):
		// KMS gives no such period: the answer is not one to judge by
		// (a period of -5 would otherwise pass "at most 365 days").
		return errored(fmt.Sprintf("GetKeyRotationStatus reports RotationPeriodInDays %d, outside the %d..%d days KMS allows",
			*r.RotationPeriodInDays, profile.MinRotationDays, profile.MaxRotationDays))
	case !r.Enabled:
		o.observed = "automatic rotation is disabled"
	case r.RotationPeriodInDays == nil:
		o.met, o.observed = true, "automatic rotation is enabled (the period is not reported)"
	default:
		o.met = *r.RotationPeriodInDays <= max
		o.observed = fmt.Sprintf("automatic rotation is enabled every %d days", *r.RotationPeriodInDays)
	}
	return o
}

// adobeRoot is the root principal of an Adobe account in the key's partition.
func adobeRoot(e *env, account string) policy.Principal {
	partition := e.key.Partition()
	if partition == "" {
		partition = "aws"
	}
	return policy.ParsePrincipal("AWS", "arn:"+partition+":iam::"+account+":root")
}

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
