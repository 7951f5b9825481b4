package iac_test

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/iac"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

func readPlan(t testing.TB, rel string, o iac.Options) []*iac.Key {
	t.Helper()
	keys, err := iac.ReadTerraformPlan(rel, read(t, rel), o)
	require.NoError(t, err)
	return keys
}

// The reference configuration's plan is READY, and gives what the same key
// made from the template gives: the two references agree.
func TestReferencePlanIsReady(t *testing.T) {
	// No account or region given: the plan's caller identity and provider
	// region say where.
	keys := readPlan(t, iacfixtures.ReferencePlan, iac.Options{})
	require.Len(t, keys, 1)
	k := keys[0]
	assert.Equal(t, keystate.KindTerraformPlan, k.Kind)
	assert.Equal(t, "aws_kms_key.aep", k.Name)
	assert.Equal(t, withLiveOnly(nil), nonPass(t, k, exampleProfile(t)))

	md := keyMetadata(t, k)
	assert.Regexp(t, `^arn:aws:kms:us-east-1:111122223333:key/`, md["Arn"])
	assert.Equal(t, "Adobe Experience Platform customer managed key", md["Description"])
	aliases := member(t, k, keystate.ListAliases)["Aliases"].([]any)
	require.Len(t, aliases, 1, "the alias names the key through the configuration's reference")
	assert.Equal(t, "alias/Adobe-Experience-Platform-Key", aliases[0].(map[string]any)["AliasName"])

	cfn, err := iac.ReadCloudFormation(iacfixtures.Template, read(t, iacfixtures.Template), opts(referenceParams(t)))
	require.NoError(t, err)
	var fromPlan, fromTemplate any
	require.NoError(t, json.Unmarshal([]byte(k.State().Policy), &fromPlan))
	require.NoError(t, json.Unmarshal([]byte(cfn[0].State().Policy), &fromTemplate))
	assert.Equal(t, fromTemplate, fromPlan, "the template and the configuration write the same policy")
	for _, m := range []string{keystate.GetKeyRotationStatus, keystate.ListResourceTags} {
		a, b := member(t, k, m), member(t, cfn[0], m)
		delete(a, "KeyId")
		delete(b, "KeyId")
		assert.Equal(t, b, a, m)
	}
}

func TestTerraformVariants(t *testing.T) {
	p := exampleProfile(t)
	for _, v := range iacfixtures.Variants {
		t.Run(v.Name, func(t *testing.T) {
			keys := readPlan(t, v.Plan(), iac.Options{})
			require.Len(t, keys, 1)
			got := nonPass(t, keys[0], p)
			assert.Equal(t, withLiveOnly(v.NonPass), got)
			for id, st := range v.Pending {
				assert.NotEqual(t, st, got[id], "the checks now give %s %s: move it from Pending to NonPass (%s)", id, st, v.PendingWhy)
			}
		})
	}
}

// A variant plan differs from the reference plan only where its override
// file says: the fixtures cannot drift apart.
func TestVariantPlansDifferOnlyInTheirChange(t *testing.T) {
	var ref map[string]any
	require.NoError(t, json.Unmarshal(read(t, iacfixtures.ReferencePlan), &ref))
	for _, v := range iacfixtures.Variants {
		var plan map[string]any
		require.NoError(t, json.Unmarshal(read(t, v.Plan()), &plan))
		for _, section := range []string{"format_version", "terraform_version", "variables", "prior_state", "timestamp", "applyable", "complete", "errored"} {
			assert.Equal(t, ref[section], plan[section], "%s: %s", v.Name, section)
		}
		assert.FileExists(t, filepath.Join(root, iacfixtures.Plans, v.Name, "variant_override.tf"), "the configuration the plan was made from")
	}
}

// Several keys in one plan: a key policy and a grant of their own, a key
// whose policy is known only after apply, and a key a module makes.
func TestSeveralKeysInAPlan(t *testing.T) {
	keys := readPlan(t, "fixtures/iac/terraform/several-keys/plan.json", iac.Options{})
	require.Len(t, keys, 3)
	assert.Equal(t, []string{"aws_kms_key.aep", "aws_kms_key.staging", "module.logs.aws_kms_key.this"}, []string{keys[0].Name, keys[1].Name, keys[2].Name})
	p := exampleProfile(t)

	aep := keys[0]
	assert.Equal(t, withLiveOnly(nil), nonPass(t, aep, p), "its policy is aws_kms_key_policy's")
	grants := member(t, aep, keystate.ListGrants)["Grants"].([]any)
	require.Len(t, grants, 1)
	g := grants[0].(map[string]any)
	assert.Equal(t, "arn:aws:iam::111122223333:role/AEPKeyUser", g["GranteePrincipal"])
	assert.Equal(t, []any{"Decrypt", "Encrypt", "GenerateDataKey"}, g["Operations"])
	assert.Equal(t, "aep-user", g["Name"])
	assert.Equal(t, []any{map[string]any{"TagKey": "Adobe", "TagValue": "Experience-Platform"}, map[string]any{"TagKey": "Owner", "TagValue": "platform"}},
		member(t, aep, keystate.ListResourceTags)["Tags"], "tags_all: the provider's default_tags too")

	staging := keys[1]
	assert.Equal(t, "policy is known after apply (it uses aws_iam_role.kms_admin.arn)", staging.Unknown(keystate.GetKeyPolicy))
	got := nonPass(t, staging, p)
	for _, id := range []string{"CMK-ADM-1", "CMK-ADM-2", "CMK-ADM-3", "CMK-USR-1", "CMK-USR-2", "CMK-USR-3", "CMK-USR-4", "CMK-AEP-1", "CMK-AEP-2"} {
		assert.Equal(t, "ERROR", got[id], id)
	}
	aliases := member(t, staging, keystate.ListAliases)["Aliases"].([]any)
	require.Len(t, aliases, 1, "target_key_id = the key's arn names it too")

	logs := keys[2]
	var names []string
	for _, a := range member(t, logs, keystate.ListAliases)["Aliases"].([]any) {
		names = append(names, a.(map[string]any)["AliasName"].(string))
	}
	assert.Equal(t, []string{"alias/application-logs", "alias/logs"}, names, "the root's alias names it through the module's output")
	assert.Equal(t, iac.DefaultPolicy("aws", "111122223333"), logs.State().Policy, "no policy: KMS's default")
	assert.Equal(t, map[string]any{"KeyRotationEnabled": false, "KeyId": keyMetadata(t, logs)["Arn"]}, member(t, logs, keystate.GetKeyRotationStatus))
	assert.Equal(t, false, keyMetadata(t, logs)["MultiRegion"], "multi_region unset: CreateKey's default")
}

// An attribute the configuration sets but Terraform knows only after apply
// is unknown; one it does not set is AWS's default.
func TestUnsetAndUnknownAttributes(t *testing.T) {
	plan := func(after, unknown, expressions string) []byte {
		return []byte(`{"format_version": "1.2", "terraform_version": "1.12.2",
  "resource_changes": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
    "provider_name": "registry.terraform.io/hashicorp/aws",
    "change": {"actions": ["create"], "before": null, "after": ` + after + `, "after_unknown": ` + unknown + `}}],
  "configuration": {"root_module": {"resources": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
    "provider_config_key": "aws", "expressions": ` + expressions + `}]}},
  "applyable": true, "complete": true, "errored": false}`)
	}
	o := iac.Options{DefaultAccount: "111122223333", DefaultRegion: "us-east-1"}
	read := func(body []byte) *iac.Key {
		keys, err := iac.ReadTerraformPlan("p.json", body, o)
		require.NoError(t, err)
		return keys[0]
	}
	k := read(plan(`{"customer_master_key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": true, "enable_key_rotation": true, "tags_all": {}}`,
		`{"description": true, "multi_region": true, "policy": true, "rotation_period_in_days": true, "arn": true, "key_id": true}`, `{}`))
	for _, m := range keystate.Members {
		assert.Empty(t, k.Unknown(m), m)
	}
	assert.Equal(t, "", keyMetadata(t, k)["Description"])
	assert.Equal(t, 365.0, member(t, k, keystate.GetKeyRotationStatus)["RotationPeriodInDays"], "KMS's default period")

	k = read(plan(`{"customer_master_key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": true, "enable_key_rotation": true, "tags_all": {}}`,
		`{"description": true, "multi_region": true, "policy": true, "tags_all": {"Team": true}}`,
		`{"description": {"references": ["aws_s3_bucket.b.arn", "aws_s3_bucket.b"]}, "policy": {"references": ["var.policy"]}, "multi_region": {"constant_value": null}}`))
	assert.Equal(t, "description is known after apply (it uses aws_s3_bucket.b.arn)", k.Unknown(keystate.DescribeKey))
	assert.Equal(t, "policy is known after apply (it uses var.policy)", k.Unknown(keystate.GetKeyPolicy))
	assert.Equal(t, "tags_all is known after apply", k.Unknown(keystate.ListResourceTags), "one unknown tag value makes the tags unknown")
	assert.Contains(t, k.State().Problem(keystate.DescribeKey), "description is known after apply")
}

// Files that are not a plan this reads are errors naming what is wrong.
func TestBadPlans(t *testing.T) {
	o := iac.Options{DefaultAccount: "111122223333", DefaultRegion: "us-east-1"}
	ref := string(read(t, iacfixtures.ReferencePlan))
	cases := map[string]struct{ body, want string }{
		"not json":          {"terraform plan output", "not a JSON object"},
		"array":             {"[]", "not a JSON object"},
		"no format version": {`{"resource_changes": []}`, "no format_version"},
		"format 2":          {strings.Replace(ref, `"format_version": "1.2"`, `"format_version": "2.0"`, 1), `format_version "2.0": unsupported plan format version`},
		"format garbage":    {strings.Replace(ref, `"format_version": "1.2"`, `"format_version": "one"`, 1), `format_version "one"`},
		"a state":           {`{"format_version": "1.0", "terraform_version": "1.12.2", "values": {"root_module": {}}}`, "is a state"},
		"errored":           {strings.Replace(ref, `"errored": false`, `"errored": true`, 1), "marked errored"},
		"no key":            {`{"format_version": "1.2", "resource_changes": [{"address": "aws_s3_bucket.b", "mode": "managed", "type": "aws_s3_bucket", "name": "b", "change": {"actions": ["create"], "after": {}}}]}`, "leaves no aws_kms_key"},
		"only an alias":     {`{"format_version": "1.2", "resource_changes": [{"address": "aws_kms_alias.a", "mode": "managed", "type": "aws_kms_alias", "name": "a", "change": {"actions": ["create"], "after": {"name": "alias/a"}}}]}`, "only aws_kms_alias.a"},
		"destroyed":         {`{"format_version": "1.2", "resource_changes": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "change": {"actions": ["delete"], "before": {}, "after": null}}]}`, "not judged: aws_kms_key.k, which the plan destroys"},
		"wrong types":       {`{"format_version": "1.2", "resource_changes": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "change": {"actions": ["create"], "after": {"is_enabled": "maybe"}}}]}`, "is_enabled: want true or false"},
		"bad policy":        {`{"format_version": "1.2", "resource_changes": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "change": {"actions": ["create"], "after": {"policy": "{nope"}}}]}`, "policy: the policy string is not JSON"},
		"after not object":  {`{"format_version": "1.2", "resource_changes": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "change": {"actions": ["create"], "after": 3}}]}`, "change.after is"},
		"invalid utf-8":     {"{\"format_version\": \"1.2\xff\"}", "not valid UTF-8"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			keys, err := iac.ReadTerraformPlan("p.json", []byte(c.body), o)
			require.Error(t, err, "%v", keys)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := iac.ReadTerraformPlan("p.json", []byte(ref), iac.Options{Account: "444455556666"})
	assert.ErrorContains(t, err, "the account given (444455556666) is not the plan's: 111122223333 (data.aws_caller_identity.current)")
	_, err = iac.ReadTerraformPlan("p.json", []byte(ref), iac.Options{Region: "eu-west-1"})
	assert.ErrorContains(t, err, "the region given (eu-west-1) is not the plan's: the key is planned in us-east-1")
	_, err = iac.ReadTerraformPlan("p.json", make([]byte, iac.MaxPlanSize+1), o)
	assert.ErrorContains(t, err, "more than the")
}

// A key that exists already (an update) keeps its own ID and ARN; a deferred
// one is unknown in every member.
func TestExistingAndDeferredKeys(t *testing.T) {
	body := []byte(`{"format_version": "1.2", "terraform_version": "1.12.2",
  "resource_changes": [
    {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
     "change": {"actions": ["update"], "before": {},
       "after": {"arn": "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab", "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab",
                 "customer_master_key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT", "is_enabled": false, "enable_key_rotation": false,
                 "multi_region": false, "description": "old", "policy": "{\"Version\":\"2012-10-17\",\"Statement\":[]}", "tags_all": {"Adobe": "x"}},
       "after_unknown": {}}},
    {"address": "aws_kms_alias.a", "mode": "managed", "type": "aws_kms_alias", "name": "a",
     "change": {"actions": ["create"], "before": null, "after": {"name": "alias/existing", "target_key_id": "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"}, "after_unknown": {}}}
  ],
  "deferred_changes": [{"reason": "provider_config_unknown", "resource_change": {"address": "aws_kms_key.later", "mode": "managed", "type": "aws_kms_key", "name": "later",
     "change": {"actions": ["create"], "after": {}}}}],
  "complete": false}`)
	keys, err := iac.ReadTerraformPlan("p.json", body, iac.Options{DefaultAccount: "444455556666", DefaultRegion: "eu-west-1"})
	require.NoError(t, err)
	require.Len(t, keys, 2)
	md := keyMetadata(t, keys[0])
	assert.Equal(t, "1234abcd-12ab-34cd-56ef-1234567890ab", md["KeyId"])
	assert.Equal(t, "Disabled", md["KeyState"])
	assert.Len(t, member(t, keys[0], keystate.ListAliases)["Aliases"], 1, "an alias naming the key by its known ARN")
	assert.Contains(t, strings.Join(keys[0].Notes, "\n"), "the plan is not complete")
	for _, m := range keystate.Members {
		assert.Contains(t, keys[1].Unknown(m), "Terraform deferred aws_kms_key.later", m)
	}
}

// Repeated keys and aliases pair up by instance key; an alias whose key the
// configuration does not name could be any key, so every key's aliases are
// unknown, never guessed.
func TestAliasTargetsByInstance(t *testing.T) {
	key := func(k string) string {
		return `{"address": "aws_kms_key.k[\"` + k + `\"]", "mode": "managed", "type": "aws_kms_key", "name": "k", "index": "` + k + `",
     "change": {"actions": ["create"], "before": null, "after": {"customer_master_key_spec": "SYMMETRIC_DEFAULT", "key_usage": "ENCRYPT_DECRYPT",
       "is_enabled": true, "enable_key_rotation": true, "tags_all": {}}, "after_unknown": {"arn": true, "key_id": true, "policy": true}}}`
	}
	alias := func(name, k string) string {
		return `{"address": "aws_kms_alias.` + name + `[\"` + k + `\"]", "mode": "managed", "type": "aws_kms_alias", "name": "` + name + `", "index": "` + k + `",
     "change": {"actions": ["create"], "before": null, "after": {"name": "alias/` + name + `-` + k + `"}, "after_unknown": {"target_key_id": true}}}`
	}
	body := func(extra string, refs string) []byte {
		return []byte(`{"format_version": "1.2", "resource_changes": [` + key("a") + `,` + key("b") + `,` + alias("a", "a") + `,` + alias("a", "b") + extra + `],
  "configuration": {"root_module": {"resources": [
    {"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k", "expressions": {}},
    {"address": "aws_kms_alias.a", "mode": "managed", "type": "aws_kms_alias", "name": "a", "expressions": {"target_key_id": {"references": ["aws_kms_key.k", "each.key"]}}},
    {"address": "aws_kms_alias.x", "mode": "managed", "type": "aws_kms_alias", "name": "x", "expressions": {"target_key_id": {"references": ` + refs + `}}}]}}}`)
	}
	o := iac.Options{DefaultAccount: "111122223333", DefaultRegion: "us-east-1"}
	names := func(k *iac.Key) []string {
		var out []string
		for _, a := range member(t, k, keystate.ListAliases)["Aliases"].([]any) {
			out = append(out, a.(map[string]any)["AliasName"].(string))
		}
		return out
	}
	keys, err := iac.ReadTerraformPlan("p.json", body("", `["aws_kms_key.k"]`), o)
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Equal(t, []string{"alias/a-a"}, names(keys[0]))
	assert.Equal(t, []string{"alias/a-b"}, names(keys[1]))

	keys, err = iac.ReadTerraformPlan("p.json", body(","+alias("x", "z"), `["local.key_id"]`), o)
	require.NoError(t, err)
	for _, k := range keys {
		assert.Contains(t, k.Unknown(keystate.ListAliases), `aws_kms_alias.x["z"]'s target_key_id is known after apply and could name this key`)
		assert.Contains(t, k.Unknown(keystate.ListAliases), "the configuration does not say which key")
	}
}

// A replica key is multi-Region, and its spec is its primary's; an external
// key without material waits for its import.
func TestReplicaAndExternalKeys(t *testing.T) {
	body := []byte(`{"format_version": "1.2", "resource_changes": [
    {"address": "aws_kms_replica_key.r", "mode": "managed", "type": "aws_kms_replica_key", "name": "r",
     "change": {"actions": ["create"], "before": null, "after": {"description": "replica", "enabled": true, "tags_all": {}, "primary_key_arn": "arn:aws:kms:us-west-2:111122223333:key/mrk-1234abcd12ab34cd56ef1234567890ab"},
       "after_unknown": {"arn": true, "key_id": true, "key_rotation_enabled": true, "key_spec": true, "key_usage": true, "policy": true}}},
    {"address": "aws_kms_external_key.e", "mode": "managed", "type": "aws_kms_external_key", "name": "e",
     "change": {"actions": ["create"], "before": null, "after": {"description": "imported", "key_material_base64": null, "multi_region": false, "tags_all": {}},
       "after_unknown": {"arn": true, "enabled": true, "key_usage": true, "key_spec": true, "policy": true}}}],
  "configuration": {"root_module": {"resources": [
    {"address": "aws_kms_replica_key.r", "mode": "managed", "type": "aws_kms_replica_key", "name": "r", "expressions": {"description": {"constant_value": "replica"}}},
    {"address": "aws_kms_external_key.e", "mode": "managed", "type": "aws_kms_external_key", "name": "e", "expressions": {"description": {"constant_value": "imported"}}}]}}}`)
	keys, err := iac.ReadTerraformPlan("p.json", body, iac.Options{DefaultAccount: "111122223333", DefaultRegion: "us-east-1"})
	require.NoError(t, err)
	require.Len(t, keys, 2)
	assert.Contains(t, keys[0].Unknown(keystate.DescribeKey), "key_spec is known after apply: a replica key's is its primary key's (primary_key_arn)")
	assert.Contains(t, keys[0].Unknown(keystate.GetKeyRotationStatus), "a replica key's rotation is its primary key's")
	assert.Equal(t, "ERROR", nonPass(t, keys[0], exampleProfile(t))["CMK-REG-2"], "unknown, never PASS")
	md := keyMetadata(t, keys[1])
	assert.Equal(t, "EXTERNAL", md["Origin"])
	assert.Equal(t, "PendingImport", md["KeyState"])
	assert.Regexp(t, `^[0-9a-f]{8}-`, md["KeyId"])
}

// A key that exists is judged where its ARN says; another account given is
// refused, and two accounts in one plan need the caller to say which new
// keys are made in.
func TestPlanAccounts(t *testing.T) {
	plan := func(arn string) []byte {
		return []byte(`{"format_version": "1.2",
  "prior_state": {"format_version": "1.0", "values": {"root_module": {"resources": [{"address": "data.aws_caller_identity.current", "mode": "data", "type": "aws_caller_identity", "name": "current", "values": {"account_id": "111122223333"}}]}}},
  "resource_changes": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
    "change": {"actions": ["no-op"], "before": {}, "after": {"arn": "` + arn + `", "key_id": "1234abcd-12ab-34cd-56ef-1234567890ab", "policy": "{}", "tags_all": {}}, "after_unknown": {}}}]}`)
	}
	own := "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	keys, err := iac.ReadTerraformPlan("p.json", plan(own), iac.Options{DefaultRegion: "us-east-1"})
	require.NoError(t, err)
	assert.Equal(t, own, keyMetadata(t, keys[0])["Arn"])
	assert.Equal(t, "111122223333", keyMetadata(t, keys[0])["AWSAccountId"])

	other := "arn:aws:kms:eu-west-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	_, err = iac.ReadTerraformPlan("p.json", plan(other), iac.Options{})
	assert.ErrorContains(t, err, "the plan names more than one account: 111122223333 (data.aws_caller_identity.current), 444455556666 (aws_kms_key.k.arn)")
	keys, err = iac.ReadTerraformPlan("p.json", plan(other), iac.Options{Account: "111122223333"})
	assert.ErrorContains(t, err, "the account given (111122223333) is not the key's: its arn is "+other, "%v", keys)
}
