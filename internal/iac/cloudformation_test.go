package iac_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/iac"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

func readCFN(t testing.TB, body string, params map[string]string) []*iac.Key {
	t.Helper()
	keys, err := iac.ReadCloudFormation("t.yaml", []byte(body), opts(params))
	require.NoError(t, err)
	return keys
}

// The reference template, with the example's parameters, gives the
// members a live key made from it would give, and they pass.
func TestReferenceTemplateIsReady(t *testing.T) {
	keys, err := iac.ReadCloudFormation(iacfixtures.Template, read(t, iacfixtures.Template), opts(referenceParams(t)))
	require.NoError(t, err)
	require.Len(t, keys, 1)
	k := keys[0]
	assert.Equal(t, keystate.KindCloudFormation, k.Kind)
	assert.Equal(t, iacfixtures.Template+"#ExperiencePlatformKey", k.Source())
	assert.Equal(t, withLiveOnly(nil), nonPass(t, k, exampleProfile(t)))

	md := keyMetadata(t, k)
	assert.Equal(t, "SYMMETRIC_DEFAULT", md["KeySpec"])
	assert.Equal(t, "ENCRYPT_DECRYPT", md["KeyUsage"])
	assert.Equal(t, "AWS_KMS", md["Origin"])
	assert.Equal(t, "CUSTOMER", md["KeyManager"])
	assert.Equal(t, "Enabled", md["KeyState"])
	assert.Equal(t, false, md["MultiRegion"])
	assert.Regexp(t, `^arn:aws:kms:us-east-1:111122223333:key/[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$`, md["Arn"])
	assert.Equal(t, map[string]any{"KeyRotationEnabled": true, "KeyId": md["Arn"], "RotationPeriodInDays": 365.0},
		member(t, k, keystate.GetKeyRotationStatus))
	assert.Equal(t, []any{map[string]any{"TagKey": "Adobe", "TagValue": "Experience-Platform"}}, member(t, k, keystate.ListResourceTags)["Tags"])
	aliases := member(t, k, keystate.ListAliases)["Aliases"].([]any)
	require.Len(t, aliases, 1)
	assert.Equal(t, "alias/Adobe-Experience-Platform-Key", aliases[0].(map[string]any)["AliasName"])
	assert.Equal(t, md["KeyId"], aliases[0].(map[string]any)["TargetKeyId"])
	assert.Empty(t, member(t, k, keystate.ListGrants)["Grants"], "CloudFormation has no grant resource")

	// The policy: the parameters and pseudo parameters in place, the three
	// CJA statements kept (their condition holds), deletion for the admins.
	stmts := policyDoc(t, k)["Statement"].([]any)
	require.Len(t, stmts, 8)
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::111122223333:root"}, stmts[0].(map[string]any)["Principal"])
	assert.Equal(t, map[string]any{"AWS": []any{"arn:aws:iam::111122223333:role/KMSKeyAdmin"}}, stmts[1].(map[string]any)["Principal"])
	assert.Contains(t, stmts[1].(map[string]any)["Action"], "kms:ScheduleKeyDeletion")
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": "222233334444"}}, stmts[4].(map[string]any)["Condition"])
	assert.Equal(t, "Allow CJA access 3", stmts[7].(map[string]any)["Sid"])
	// The template's order is kept, as CloudFormation sends it.
	assert.True(t, strings.HasPrefix(member(t, k, keystate.GetKeyPolicy)["Policy"].(string), `{"Version":"2012-10-17","Id":"key-consolepolicy-3","Statement":[{"Sid":`))
}

// Each wrong variant is NOT READY with exactly its IDs.
func TestCloudFormationVariants(t *testing.T) {
	p := exampleProfile(t)
	for _, v := range iacfixtures.Variants {
		t.Run(v.Name, func(t *testing.T) {
			body, err := v.CloudFormation(root)
			require.NoError(t, err)
			keys := readCFN(t, body, referenceParams(t))
			require.Len(t, keys, 1)
			got := nonPass(t, keys[0], p)
			assert.Equal(t, withLiveOnly(v.NonPass), got)
			for id, st := range v.Pending {
				assert.NotEqual(t, st, got[id], "the checks now give %s %s: move it from Pending to NonPass (%s)", id, st, v.PendingWhy)
			}
		})
	}
}

// Without the parameters, the policy is unknown: the nine policy checks
// ERROR naming each parameter; what the parameters do not touch is judged.
func TestParameterWithoutDefaultIsErrorNamingIt(t *testing.T) {
	keys := readCFN(t, string(read(t, iacfixtures.ParameterWithoutDefault)), nil)
	require.Len(t, keys, 1)
	k := keys[0]
	s := k.State()
	want := "GetKeyPolicy cannot be known before the key exists: KeyPolicy uses parameter AdminRoleArn, which has no default: known only at deployment (give --parameter AdminRoleArn=VALUE)"
	assert.Equal(t, want, s.Problem(keystate.GetKeyPolicy))
	got := nonPass(t, k, exampleProfile(t))
	// CMK-ADM-4 judges the key policy even without IAM: unknown is ERROR.
	for _, id := range []string{"CMK-ADM-1", "CMK-ADM-2", "CMK-ADM-3", "CMK-ADM-4", "CMK-USR-1", "CMK-USR-2", "CMK-USR-3", "CMK-USR-4", "CMK-AEP-1", "CMK-AEP-2"} {
		assert.Equal(t, "ERROR", got[id], id)
		delete(got, id)
	}
	known := withLiveOnly(nil)
	delete(known, "CMK-ADM-4")
	assert.Equal(t, known, got, "the other checks judge what is known")

	// Given a value, it is judged.
	keys = readCFN(t, string(read(t, iacfixtures.ParameterWithoutDefault)), map[string]string{"AdminRoleArn": "arn:aws:iam::111122223333:role/KMSKeyAdmin"})
	assert.Empty(t, keys[0].State().Problem(keystate.GetKeyPolicy))

	// The reference without its parameters names all three.
	keys = readCFN(t, string(read(t, iacfixtures.Template)), nil)
	why := keys[0].Unknown(keystate.GetKeyPolicy)
	for _, name := range []string{"KeyAdministratorArns", "KeyUserArns", "AdobeAccountId"} {
		assert.Contains(t, why, "parameter "+name+", which has no default")
	}
}

const minimal = `
Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
%s
`

func props(lines ...string) string {
	return strings.ReplaceAll(strings.Join(lines, "\n"), "\t", "  ")
}

// What cannot be known before deployment makes its member unknown, with the
// reason; never a default, never an empty string.
func TestUnknownsNameTheirSource(t *testing.T) {
	cases := []struct {
		name, template, member, why string
	}{
		{"import", `
Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
      Description: !ImportValue SharedDescription
`, keystate.DescribeKey, "Description uses the value SharedDescription imported from another stack (Fn::ImportValue)"},
		{"getatt of a role without a name", `
Resources:
  Admin:
    Type: AWS::IAM::Role
    Properties:
      AssumeRolePolicyDocument: {}
  K:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: "2012-10-17"
        Statement:
          - Effect: Allow
            Principal: {AWS: !GetAtt Admin.Arn}
            Action: kms:*
            Resource: "*"
`, keystate.GetKeyPolicy, "KeyPolicy uses Admin.Arn, which exists only once the stack creates Admin"},
		{"stack name", `
Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
      Tags:
        - Key: Stack
          Value: !Ref AWS::StackName
`, keystate.ListResourceTags, "Tags uses the pseudo parameter AWS::StackName, known only at deployment"},
		{"dynamic reference", `
Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
      Description: "{{resolve:ssm:/aep/description}}"
`, keystate.DescribeKey, "Description uses the dynamic reference {{resolve:ssm:/aep/description}}, which CloudFormation resolves at deployment"},
		{"ssm parameter type", `
Parameters:
  Rotation:
    Type: AWS::SSM::Parameter::Value<String>
    Default: /aep/rotation
Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
      EnableKeyRotation: !Ref Rotation
`, keystate.GetKeyRotationStatus, `EnableKeyRotation uses parameter Rotation, which CloudFormation reads from the SSM parameter "/aep/rotation" at deployment`},
		{"condition on a parameter", `
Parameters:
  Env: {Type: String}
Conditions:
  Prod: !Equals [!Ref Env, prod]
Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
      MultiRegion: !If [Prod, true, false]
`, keystate.DescribeKey, "MultiRegion uses condition Prod, which depends on parameter Env, which has no default"},
		{"join over an unknown", `
Parameters:
  Suffix: {Type: String}
Resources:
  K:
    Type: AWS::KMS::Key
  A:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: !Join ["", [alias/aep-, !Ref Suffix]]
      TargetKeyId: !Ref K
`, keystate.ListAliases, "the AliasName of A uses parameter Suffix, which has no default"},
		{"alias target unknown", `
Parameters:
  KeyId: {Type: String}
Resources:
  K:
    Type: AWS::KMS::Key
  A:
    Type: AWS::KMS::Alias
    Properties:
      AliasName: alias/aep
      TargetKeyId: !Ref KeyId
`, keystate.ListAliases, "the TargetKeyId of alias A uses parameter KeyId, which has no default: which key it names is known only at deployment"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			keys := readCFN(t, c.template, nil)
			k := keys[len(keys)-1]
			assert.Contains(t, k.Unknown(c.member), c.why)
			assert.Contains(t, k.State().Problem(c.member), c.why)
			for _, m := range keystate.Members {
				if m != c.member {
					assert.Empty(t, k.Unknown(m), "only %s is unknown", c.member)
				}
			}
		})
	}
}

// The intrinsic functions give what CloudFormation gives.
func TestIntrinsicFunctions(t *testing.T) {
	keys := readCFN(t, `
Parameters:
  Admins: {Type: CommaDelimitedList, Default: "arn:aws:iam::111122223333:role/A,arn:aws:iam::111122223333:role/B"}
  Env: {Type: String, Default: prod, AllowedValues: [prod, dev]}
  Days: {Type: Number, Default: 180}
Mappings:
  Periods: {prod: {days: "90"}, dev: {days: "365"}}
Conditions:
  Prod: !Equals [!Ref Env, prod]
  NotDev: !Not [!Equals [dev, !Ref Env]]
  Both: !And [!Condition Prod, !Condition NotDev]
Resources:
  Admin:
    Type: AWS::IAM::Role
    Properties:
      RoleName: !Sub "${Env}-admin"
      Path: /keys/
      AssumeRolePolicyDocument: {}
  K:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub
        - "${Env} key for ${Who}, literal ${!NotAVariable} in ${AWS::Region}"
        - Who: !Select [1, !Split [",", "x,platform,y"]]
      EnableKeyRotation: !If [Both, true, false]
      RotationPeriodInDays: !FindInMap [Periods, !Ref Env, days]
      PendingWindowInDays: 7
      Tags:
        - Key: Admins
          Value: !Join [" ", !Ref Admins]
        - Key: Encoded
          Value: !Base64 aep
        - !If [Prod, !Ref "AWS::NoValue", {Key: Dropped, Value: x}]
      KeyPolicy: !Sub |
        {"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Principal": {"AWS": "${Admin.Arn}"}, "Action": "kms:*", "Resource": "*"}]}
`, nil)
	require.Len(t, keys, 1)
	k := keys[0]
	for _, m := range keystate.Members {
		assert.Empty(t, k.Unknown(m), m)
	}
	assert.Equal(t, "prod key for platform, literal ${NotAVariable} in us-east-1", keyMetadata(t, k)["Description"])
	assert.Equal(t, map[string]any{"KeyRotationEnabled": true, "KeyId": keyMetadata(t, k)["Arn"], "RotationPeriodInDays": 90.0},
		member(t, k, keystate.GetKeyRotationStatus))
	assert.Equal(t, []any{
		map[string]any{"TagKey": "Admins", "TagValue": "arn:aws:iam::111122223333:role/A arn:aws:iam::111122223333:role/B"},
		map[string]any{"TagKey": "Encoded", "TagValue": "YWVw"},
	}, member(t, k, keystate.ListResourceTags)["Tags"], "the third tag went with AWS::NoValue")
	stmt := policyDoc(t, k)["Statement"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::111122223333:role/keys/prod-admin"}, stmt["Principal"], "a role the template names has a known ARN")
}

// A template may declare several keys; each is judged alone, with its own
// aliases; a key whose condition is false is not judged, and one whose
// condition is unknown is judged as if made, saying so.
func TestSeveralKeys(t *testing.T) {
	keys := readCFN(t, `
Parameters:
  WithBackup: {Type: String, Default: "false"}
  Region: {Type: String}
Conditions:
  Backup: !Equals [!Ref WithBackup, "true"]
  Elsewhere: !Not [!Equals [!Ref Region, us-east-1]]
Resources:
  Data:
    Type: AWS::KMS::Key
    Properties: {Description: data, MultiRegion: true}
  Logs:
    Type: AWS::KMS::Key
    Properties: {Description: logs, Origin: EXTERNAL}
  BackupKey:
    Type: AWS::KMS::Key
    Condition: Backup
  Maybe:
    Type: AWS::KMS::Key
    Condition: Elsewhere
  DataAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/data, TargetKeyId: !GetAtt Data.Arn}
  DataAlias2:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/data-2, TargetKeyId: !Sub "${Data.KeyId}"}
  LogsAlias:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/logs, TargetKeyId: !Ref Logs}
  Existing:
    Type: AWS::KMS::Alias
    Properties: {AliasName: alias/other, TargetKeyId: 1234abcd-12ab-34cd-56ef-1234567890ab}
`, nil)
	require.Len(t, keys, 3)
	names := []string{keys[0].Name, keys[1].Name, keys[2].Name}
	assert.Equal(t, []string{"Data", "Logs", "Maybe"}, names)
	aliasNames := func(k *iac.Key) []string {
		var out []string
		for _, a := range member(t, k, keystate.ListAliases)["Aliases"].([]any) {
			out = append(out, a.(map[string]any)["AliasName"].(string))
		}
		return out
	}
	assert.Equal(t, []string{"alias/data", "alias/data-2"}, aliasNames(keys[0]))
	assert.Equal(t, []string{"alias/logs"}, aliasNames(keys[1]))
	assert.Empty(t, aliasNames(keys[2]))

	data := keyMetadata(t, keys[0])
	assert.Regexp(t, `^mrk-[0-9a-f]{32}$`, data["KeyId"], "a multi-Region key's ID")
	assert.Equal(t, true, data["MultiRegion"])
	logs := keyMetadata(t, keys[1])
	assert.Equal(t, "PendingImport", logs["KeyState"], "KMS waits for imported material")
	assert.Equal(t, false, logs["Enabled"])
	assert.Contains(t, strings.Join(keys[2].Notes, "\n"), "judged as if created: its condition Elsewhere depends on parameter Region, which has no default")
	assert.Contains(t, strings.Join(keys[0].Notes, "\n"), "not judged: AWS::KMS::Key BackupKey is not created (its condition Backup is false)")

	// Placeholders are stable: the same logical ID gives the same key ID.
	again := readCFN(t, `
Resources:
  Data:
    Type: AWS::KMS::Key
    Properties: {MultiRegion: true}
`, nil)
	assert.Equal(t, data["KeyId"], keyMetadata(t, again[0])["KeyId"])
	// Without KeyPolicy, KMS's default policy.
	assert.Equal(t, iac.DefaultPolicy("aws", "111122223333"), member(t, keys[0], keystate.GetKeyPolicy)["Policy"])
}

// The same template as JSON reads the same as YAML.
func TestJSONTemplate(t *testing.T) {
	yamlKeys := readCFN(t, `
Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
      Description: !Sub "key in ${AWS::Region}"
      Enabled: "false"
      Tags: [{Key: a, Value: "1"}]
`, nil)
	jsonKeys, err := iac.ReadCloudFormation("t.json", []byte("{\n\t\"Resources\": {\"K\": {\"Type\": \"AWS::KMS::Key\", \"Properties\": {\n\t\t\"Description\": {\"Fn::Sub\": \"key in ${AWS::Region}\"},\n\t\t\"Enabled\": false, \"Tags\": [{\"Key\": \"a\", \"Value\": 1}]}}}}"), opts(nil))
	require.NoError(t, err)
	for _, m := range keystate.Members {
		assert.JSONEq(t, string(yamlKeys[0].State().Raw[m]), string(jsonKeys[0].State().Raw[m]), m)
	}
	assert.Equal(t, "Disabled", keyMetadata(t, jsonKeys[0])["KeyState"])
}

// A template CloudFormation would refuse, or one with no key, is an error
// that names the problem; never a panic.
func TestBadTemplates(t *testing.T) {
	cases := map[string]struct{ body, want string }{
		"empty":             {"", "empty"},
		"not yaml":          {"Resources: [unclosed", "not readable YAML"},
		"not a mapping":     {"- a\n- b\n", "not a mapping of sections"},
		"two documents":     {"Resources: {}\n---\nResources: {}\n", "more than one YAML document"},
		"no resources":      {"Description: x\n", "no Resources"},
		"no key":            {"Resources:\n  B: {Type: AWS::S3::Bucket}\n  Q: {Type: AWS::SQS::Queue}\n", "declares no AWS::KMS::Key (its resources: AWS::S3::Bucket, AWS::SQS::Queue)"},
		"unknown section":   {"Resource:\n  K: {Type: AWS::KMS::Key}\n", `unknown top-level section "Resource"`},
		"unknown tag":       {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {Description: !Reff x}}\n", "unknown tag !Reff"},
		"duplicate key":     {"Resources:\n  K: {Type: AWS::KMS::Key}\n  K: {Type: AWS::KMS::Key}\n", `key "K" appears twice`},
		"unknown property":  {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {KeyRotation: true}}\n", "unknown property KeyRotation"},
		"ref to nothing":    {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {Description: !Ref Nope}}\n", "Ref Nope: no parameter or resource"},
		"bad boolean":       {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {Enabled: maybe}}\n", "Enabled: want true or false"},
		"window too short":  {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {PendingWindowInDays: 3}}\n", "PendingWindowInDays: 3 is outside 7..30"},
		"rotation too long": {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {RotationPeriodInDays: 4000}}\n", "RotationPeriodInDays: 4000 is outside 90..2560"},
		"macro":             {"Transform: MyMacro\nResources:\n  K: {Type: AWS::KMS::Key}\n", "transform MyMacro"},
		"foreach":           {"Transform: AWS::LanguageExtensions\nResources:\n  Fn::ForEach::Keys: [K, [a, b], {}]\n", "Fn::ForEach is expanded by CloudFormation"},
		"alias name":        {"Resources:\n  K: {Type: AWS::KMS::Key}\n  A: {Type: AWS::KMS::Alias, Properties: {AliasName: aep, TargetKeyId: !Ref K}}\n", `AliasName "aep" must begin with alias/`},
		"not allowed value": {"Parameters:\n  E: {Type: String, Default: qa, AllowedValues: [prod, dev]}\nResources:\n  K: {Type: AWS::KMS::Key, Properties: {Description: !Ref E}}\n", `parameter E: "qa" is not one of its AllowedValues`},
		"select outside":    {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {Description: !Select [3, [a]]}}\n", "index 3 is outside a list of 1"},
		"self condition":    {"Conditions:\n  C: !Not [!Condition C]\nResources:\n  K: {Type: AWS::KMS::Key, Condition: C}\n", "refers to itself"},
		"policy not json":   {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {KeyPolicy: '{nope'}}\n", "the policy string is not JSON"},
		"tags shape":        {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {Tags: {Adobe: x}}}\n", "Tags: want a list of Key and Value"},
		"merge key":         {"x: &a {Type: AWS::KMS::Key}\nResources:\n  K:\n    <<: *a\n", "merge keys"},
		"alias bomb":        {"a: &a [x, x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\ne: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d, *d]\nf: &f [*e, *e, *e, *e, *e, *e, *e, *e, *e, *e]\ng: [*f, *f, *f, *f, *f, *f, *f, *f, *f, *f]\n", "too many values"},
		"invalid utf-8":     {"Resources:\n  K: {Type: AWS::KMS::Key, Properties: {Description: \"\xff\"}}\n", "not valid UTF-8"},
		"json trailing":     {`{"Resources": {"K": {"Type": "AWS::KMS::Key"}}} {}`, "trailing data"},
		"rule refuses":      {"Rules:\n  R:\n    Assertions:\n      - Assert: !Equals [!Ref AWS::Region, eu-west-1]\n        AssertDescription: only in Ireland\nResources:\n  K: {Type: AWS::KMS::Key}\n", "rule R refuses these values: only in Ireland"},
		"no type":           {"Resources:\n  K: {Properties: {}}\n", "resource K has no Type"},
		"circular name":     {"Resources:\n  R: {Type: AWS::IAM::Role, Properties: {RoleName: !GetAtt R.Arn}}\n  K: {Type: AWS::KMS::Key, Properties: {Description: !Ref R}}\n", "refers to R itself: a circular dependency"},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			keys, err := iac.ReadCloudFormation("t.yaml", []byte(c.body), opts(nil))
			require.Error(t, err, "%v", keys)
			assert.Contains(t, err.Error(), c.want)
		})
	}
	_, err := iac.ReadCloudFormation("t.yaml", []byte(minimalKey), opts(map[string]string{"Nope": "x"}))
	assert.ErrorContains(t, err, "--parameter Nope: the template has no parameter Nope")
	_, err = iac.ReadCloudFormation("t.yaml", []byte(minimalKey), iac.Options{DefaultRegion: "us-east-1"})
	assert.ErrorContains(t, err, "the account the key will be made in is not known")
	_, err = iac.ReadCloudFormation("t.yaml", []byte(minimalKey), iac.Options{DefaultAccount: "111122223333"})
	assert.ErrorContains(t, err, "the region the key will be made in is not known")
	_, err = iac.ReadCloudFormation("t.yaml", []byte(minimalKey), iac.Options{Account: "1111", Region: "us-east-1"})
	assert.ErrorContains(t, err, `the account "1111" is not a 12-digit AWS account ID`)
	_, err = iac.ReadCloudFormation("t.yaml", make([]byte, iac.MaxTemplateSize+1), opts(nil))
	assert.ErrorContains(t, err, "more than CloudFormation's")
}

const minimalKey = "Resources:\n  K: {Type: AWS::KMS::Key}\n"

func TestReadParameters(t *testing.T) {
	params, err := iac.ReadParameters([]byte(`[{"ParameterKey": "A", "ParameterValue": "1"}, {"ParameterKey": "B", "ParameterValue": ""}]`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"A": "1", "B": ""}, params)
	params, err = iac.ReadParameters([]byte(`{"Parameters": {"A": "1"}, "Tags": {"x": "y"}}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]string{"A": "1"}, params)
	for body, want := range map[string]string{
		`[{"ParameterKey": "A", "UsePreviousValue": true}]`: "UsePreviousValue",
		`[{"ParameterKey": "A"}]`:                           "A has no ParameterValue",
		`[{"ParameterValue": "1"}]`:                         "no ParameterKey",
		`[{"ParameterKey": "A", "ParameterValue": "1"}, {"ParameterKey": "A", "ParameterValue": "2"}]`: "A is given twice",
		`[{"Key": "A"}]`:    "not a parameters file",
		`{"Parameter": {}}`: "not a template configuration file",
		`nonsense`:          "not a parameters file",
	} {
		_, err := iac.ReadParameters([]byte(body))
		assert.ErrorContains(t, err, want, body)
	}
}

// The JSON of a resolved policy keeps the template's order, and CloudFormation's
// numbers and booleans as they were.
func TestPolicyKeepsValues(t *testing.T) {
	keys := readCFN(t, `
Resources:
  K:
    Type: AWS::KMS::Key
    Properties:
      KeyPolicy:
        Version: 2012-10-17
        Statement:
          - Effect: Allow
            Principal: {AWS: "*"}
            Action: kms:Decrypt
            Resource: "*"
            Condition:
              NumericLessThan: {kms:GrantConstraintType: 3}
              Bool: {aws:SecureTransport: true}
`, nil)
	policy := member(t, keys[0], keystate.GetKeyPolicy)["Policy"].(string)
	assert.Contains(t, policy, `"Version":"2012-10-17"`, "an unquoted date stays the text CloudFormation reads")
	assert.Contains(t, policy, `{"kms:GrantConstraintType":3}`)
	assert.Contains(t, policy, `{"aws:SecureTransport":true}`)
	assert.True(t, json.Valid([]byte(policy)))
	got := nonPass(t, keys[0], exampleProfile(t))
	assert.Equal(t, "FAIL", got["CMK-USR-3"], "a public statement is judged as on a live key")
}

// The access model already reads the variant without Resource as the spec
// does: the platform's statement grants nothing. (CMK-AEP-1 does not read
// the model yet: iacfixtures' Pending.)
func TestStatementWithoutResourceGrantsNothingInTheModel(t *testing.T) {
	decide := func(body string) policy.Answer {
		keys := readCFN(t, body, referenceParams(t))
		s := keys[0].State()
		doc, err := policy.Parse([]byte(s.Policy))
		require.NoError(t, err)
		m, err := policy.NewModel(doc, s.Key.Arn, nil)
		require.NoError(t, err)
		return m.Decide(policy.WhoAccountIdentity("222233334444"), "kms:Decrypt").Answer
	}
	assert.Equal(t, policy.Allowed, decide(string(read(t, iacfixtures.Template))))
	for _, v := range iacfixtures.Variants {
		if v.Name == "platform-statement-without-resource" {
			body, err := v.CloudFormation(root)
			require.NoError(t, err)
			assert.Equal(t, policy.NotAllowed, decide(body))
		}
	}
}
