// Package iacfixtures holds the reference infrastructure's deliberately
// wrong variants, for the tests of package iac, the command and the suites
// (which deploy them on LocalStack). A CloudFormation variant is the
// reference template with one edit, made here from the file itself, so the
// variants cannot drift from the reference; a Terraform variant is a plan
// of its own under fixtures/iac/terraform (Terraform made it from a
// configuration beside it), and says which IDs it must leave non-PASS.
package iacfixtures

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// Paths of the reference infrastructure, relative to the repository root.
const (
	Template   = "examples/cloudformation/aep-cmk.yaml"
	Parameters = "examples/cloudformation/aep-cmk.parameters.json"
	Plans      = "fixtures/iac/terraform"
	// Profile is what the references are judged against: the example
	// profile with rotation required and no round trip.
	Profile = "fixtures/profiles/aep-before-apply.yaml"
	// Account is where the examples' principals are.
	Account = "111122223333"
)

// Variant is one deliberately wrong version of the reference.
type Variant struct {
	Name string
	// NonPass is every result the variant leaves other than PASS, judged
	// against Profile before deployment (CMK-ACC-1, CMK-PRM-1 and CMK-CFG-6,
	// which only a live run can judge, are SKIP before deployment).
	NonPass map[string]string
	// Pending is what the requirement catalog expects beyond NonPass but
	// today's checks do not give yet, and PendingWhy says why. A test fails
	// once the checks give it, so the entry moves to NonPass.
	Pending    map[string]string
	PendingWhy string
	edits      []edit
}

type edit struct{ old, new string }

// SKIP before deployment: the facts only a live run has (a caller, its IAM
// policies, a round trip, the account's IAM side and its monitoring), and
// DRF-1, which needs a baseline.
var LiveOnly = map[string]string{"CMK-ACC-1": "SKIP", "CMK-PRM-1": "SKIP", "CMK-CFG-6": "SKIP",
	"CMK-ADM-4": "SKIP", "CMK-MON-1": "SKIP", "CMK-DRF-1": "SKIP"}

// Variants are the wrong keys of the issue, in the order the README lists them.
var Variants = []Variant{
	{Name: "multi-region", NonPass: map[string]string{"CMK-REG-2": "FAIL"},
		edits: []edit{{"      MultiRegion: false\n", "      MultiRegion: true\n"}}},
	{Name: "asymmetric", NonPass: map[string]string{"CMK-CFG-1": "FAIL", "CMK-CFG-2": "FAIL", "CMK-OPS-1": "FAIL"},
		// KMS refuses rotation of an asymmetric key, so it goes too.
		edits: []edit{
			{"      KeySpec: SYMMETRIC_DEFAULT\n      KeyUsage: ENCRYPT_DECRYPT\n", "      KeySpec: RSA_2048\n      KeyUsage: SIGN_VERIFY\n"},
			{"      EnableKeyRotation: true\n      RotationPeriodInDays: 365\n", "      EnableKeyRotation: false\n"},
		}},
	{Name: "rotation-off", NonPass: map[string]string{"CMK-OPS-1": "FAIL"},
		edits: []edit{{"      EnableKeyRotation: true\n      RotationPeriodInDays: 365\n", "      EnableKeyRotation: false\n"}}},
	// A statement without Resource has no effect: Adobe's account is not
	// granted the platform's actions (policy.Model, and AEP-1 asks it).
	{Name: "platform-statement-without-resource", NonPass: map[string]string{"CMK-AEP-1": "FAIL"},
		edits: []edit{{
			"            Action: [kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey, kms:CreateGrant]\n            Resource: \"*\"\n            Condition:\n              StringEquals:\n                aws:PrincipalAccount: !Ref AdobeAccountId\n",
			"            Action: [kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey, kms:CreateGrant]\n            Condition:\n              StringEquals:\n                aws:PrincipalAccount: !Ref AdobeAccountId\n",
		}}},
	// Another account using the key is a user of the key nobody chose (USR-1) too.
	{Name: "other-account", NonPass: map[string]string{"CMK-USR-1": "FAIL", "CMK-USR-2": "FAIL"},
		edits: []edit{{
			"          # The platform's statements,",
			"          - Sid: Allow use of the key by another account\n" +
				"            Effect: Allow\n" +
				"            Principal:\n" +
				"              AWS: !Sub arn:${AWS::Partition}:iam::999988887777:root\n" +
				"            Action: [kms:Encrypt, kms:Decrypt, kms:ReEncrypt*, kms:GenerateDataKey*, kms:DescribeKey]\n" +
				"            Resource: \"*\"\n" +
				"          # The platform's statements,",
		}}},
	{Name: "no-alias", NonPass: map[string]string{"CMK-LBL-1": "FAIL", "CMK-LBL-2": "WARN"},
		edits: []edit{
			{"  ExperiencePlatformKeyAlias:\n    Type: AWS::KMS::Alias\n    Properties:\n      AliasName: !Ref AliasName\n      TargetKeyId: !Ref ExperiencePlatformKey\n\n", ""},
			{"  Alias:\n    Value: !Ref ExperiencePlatformKeyAlias\n", ""},
		}},
}

// ParameterWithoutDefault is a template whose key policy names a parameter
// that has no default: the policy cannot be known before deployment.
const ParameterWithoutDefault = "fixtures/iac/cloudformation/parameter-without-default.yaml"

// CloudFormation is the reference template with the variant's edits, read
// from the repository at root. Each edit must match exactly once, so a
// change to the reference that a variant no longer fits fails loudly.
func (v Variant) CloudFormation(root string) (string, error) {
	data, err := os.ReadFile(filepath.Join(root, Template))
	if err != nil {
		return "", err
	}
	s := string(data)
	for _, e := range v.edits {
		if n := strings.Count(s, e.old); n != 1 {
			return "", fmt.Errorf("variant %s: its edit matches the reference template %d times, not once: %q", v.Name, n, e.old)
		}
		s = strings.Replace(s, e.old, e.new, 1)
	}
	return s, nil
}

// Plan is the path of the variant's Terraform plan.
func (v Variant) Plan() string { return filepath.Join(Plans, v.Name, "plan.json") }

// ReferencePlan is the reference configuration's plan.
var ReferencePlan = filepath.Join(Plans, "aep-cmk", "plan.json")
