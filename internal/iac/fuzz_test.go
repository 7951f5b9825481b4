package iac_test

import (
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/iac"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// holdKeys is what every key read from any input must satisfy: its members
// describe one key, an unknown member is a problem and no answer, and no
// check that needs an unknown member is PASS.
func holdKeys(t *testing.T, keys []*iac.Key) {
	for _, k := range keys {
		s := k.State()
		if err := s.SameKey(""); err != nil {
			t.Fatalf("%s: members describe more than one key: %v", k.Source(), err)
		}
		unknown := map[string]bool{}
		for _, m := range keystate.Members {
			if k.Unknown(m) == "" {
				continue
			}
			unknown[m] = true
			if s.Problem(m) == "" || s.Raw[m] != nil {
				t.Fatalf("%s: %s is unknown (%s) but the state has it", k.Source(), m, k.Unknown(m))
			}
		}
		needs := map[string][]string{}
		for _, c := range checks.Catalog() {
			needs[c.ID] = c.Needs
		}
		for _, r := range checks.Evaluate(s, profile.Default()) {
			for _, m := range needs[r.ID] {
				if unknown[m] && r.Status != checks.Error {
					t.Fatalf("%s: %s is %s though %s is not known yet", k.Source(), r.ID, r.Status, m)
				}
			}
		}
	}
}

func FuzzReadCloudFormation(f *testing.F) {
	// Small seeds: the fuzzer minimises what it finds byte by byte, and a
	// seed the size of the reference template keeps it doing only that.
	f.Add([]byte(minimalKey))
	f.Add([]byte("Rules:\n 0: \nResources:\n 00:")) // a rule that is not a mapping once panicked
	f.Add([]byte("Parameters:\n  A: {Type: CommaDelimitedList}\nResources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      KeyPolicy:\n        Statement:\n          - Effect: Allow\n            Principal: {AWS: !Ref A}\n            Action: kms:*\n            Resource: \"*\"\n      Tags: [{Key: a, Value: !Ref AWS::StackName}]\n"))
	f.Add([]byte("Parameters:\n  P: {Type: String}\nConditions:\n  C: !Equals [!Ref P, x]\nResources:\n  K:\n    Type: AWS::KMS::Key\n    Properties:\n      Description: !If [C, !Sub '${P}-${AWS::Region}', !Join ['', [a, !Select [0, !Split [',', 'b,c']]]]]\n  A: {Type: AWS::KMS::Alias, Properties: {AliasName: alias/x, TargetKeyId: !GetAtt K.Arn}}\n"))
	f.Add([]byte(`{"Resources": {"K": {"Type": "AWS::KMS::Key", "Properties": {"KeyPolicy": {"Fn::Sub": "{\"Version\": \"2012-10-17\"}"}}}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := iac.ReadCloudFormation("f.yaml", data, opts(map[string]string{}))
		if err != nil {
			return
		}
		holdKeys(t, keys)
	})
}

func FuzzReadTerraformPlan(f *testing.F) {
	f.Add([]byte(`{"format_version": "1.2", "resource_changes": [{"address": "aws_kms_key.k", "mode": "managed", "type": "aws_kms_key", "name": "k",
  "change": {"actions": ["create"], "after": {"policy": "{}", "tags_all": {"a": "b"}}, "after_unknown": {"description": true}}},
  {"address": "aws_kms_alias.a", "mode": "managed", "type": "aws_kms_alias", "name": "a", "change": {"actions": ["create"], "after": {"name": "alias/a"}, "after_unknown": {"target_key_id": true}}}],
  "configuration": {"root_module": {"resources": [{"address": "aws_kms_alias.a", "mode": "managed", "type": "aws_kms_alias", "name": "a", "expressions": {"target_key_id": {"references": ["aws_kms_key.k.key_id"]}}}]}}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		keys, err := iac.ReadTerraformPlan("f.json", data, iac.Options{DefaultAccount: "111122223333", DefaultRegion: "us-east-1"})
		if err != nil {
			return
		}
		holdKeys(t, keys)
	})
}
