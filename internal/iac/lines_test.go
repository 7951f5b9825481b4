package iac_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/iac"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/testkit/iacfixtures"
)

// A key's answers point back at the template lines they come from, so a
// SARIF result annotates the line to change: the property's, or the key
// resource's when the property is absent.
func TestLinesOfATemplatesKey(t *testing.T) {
	yamlBody := "AWSTemplateFormatVersion: '2010-09-09'\n" + // 1
		"Resources:\n" + // 2
		"  Key:\n" + // 3
		"    Type: AWS::KMS::Key\n" + // 4
		"    Properties:\n" + // 5
		"      Description: a key\n" + // 6
		"      EnableKeyRotation: false\n" + // 7
		"  Alias:\n" + // 8
		"    Type: AWS::KMS::Alias\n" + // 9
		"    Properties: {AliasName: alias/k, TargetKeyId: !Ref Key}\n" + // 10
		"  Bare:\n" + // 11
		"    Type: AWS::KMS::Key\n" // 12
	jsonBody := "{\n" + // 1
		"  \"Resources\": {\n" + // 2
		"    \"Key\": {\n" + // 3
		"      \"Type\": \"AWS::KMS::Key\",\n" + // 4
		"      \"Properties\": {\n" + // 5
		"        \"Description\": \"a key\",\n" + // 6
		"        \"EnableKeyRotation\": false\n" + // 7
		"      }\n    },\n" + // 8, 9
		"    \"Alias\": {\"Type\": \"AWS::KMS::Alias\",\n" + // 10
		"      \"Properties\": {\"AliasName\": \"alias/k\", \"TargetKeyId\": {\"Ref\": \"Key\"}}},\n" + // 11
		"    \"Bare\": {\n" + // 12
		"      \"Type\": \"AWS::KMS::Key\"}\n  }\n}\n" // 13
	for _, tc := range []struct {
		name, body                              string
		key, description, rotation, bare, alias int
	}{
		{"yaml", yamlBody, 3, 6, 7, 11, 8},
		{"json", jsonBody, 3, 6, 7, 12, 10},
	} {
		t.Run(tc.name, func(t *testing.T) {
			keys, err := iac.ReadCloudFormation("t."+tc.name, []byte(tc.body), opts(nil))
			require.NoError(t, err)
			require.Len(t, keys, 2)
			k, bare := keys[0], keys[1]
			assert.Equal(t, tc.rotation, k.Line(keystate.GetKeyRotationStatus, "/KeyRotationEnabled"), "EnableKeyRotation's line")
			assert.Equal(t, tc.description, k.Line(keystate.DescribeKey, "/KeyMetadata/Description"))
			assert.Equal(t, tc.alias, k.Line(keystate.ListAliases, ""), "the alias resource's line")
			assert.Equal(t, tc.key, k.Line(keystate.GetKeyPolicy, ""), "no KeyPolicy: the key resource's line")
			assert.Equal(t, tc.key, k.Line(keystate.DescribeKey, "/KeyMetadata/Arn"), "no property gives the ARN")
			assert.Equal(t, tc.bare, bare.Line(keystate.GetKeyRotationStatus, "/KeyRotationEnabled"), "no EnableKeyRotation: the key's line")
			assert.Equal(t, tc.bare, bare.Line(keystate.ListAliases, ""), "no alias: the key's line")
		})
	}
}

// A plan's keys have no lines: their resource address names them.
func TestPlanKeysHaveNoLines(t *testing.T) {
	keys, err := iac.ReadTerraformPlan(iacfixtures.ReferencePlan, read(t, iacfixtures.ReferencePlan), opts(nil))
	require.NoError(t, err)
	require.NotEmpty(t, keys)
	assert.Zero(t, keys[0].Line(keystate.GetKeyRotationStatus, "/KeyRotationEnabled"))
}
