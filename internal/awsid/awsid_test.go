package awsid

import (
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Account IDs: 12 digits, no hyphens.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html
// ("account-id ... without the hyphens. For example, 123456789012") and
// https://docs.aws.amazon.com/accounts/latest/reference/manage-acct-identifiers.html
func TestIsAccountID(t *testing.T) {
	for s, want := range map[string]bool{
		"123456789012":   true,
		"000000000000":   true, // LocalStack's default account
		"111122223333":   true,
		"1234-5678-9012": false, // the console's display form, not an ID
		"12345678901":    false,
		"1234567890123":  false,
		"12345678901a":   false,
		" 123456789012":  false,
		"":               false,
		"１２３４５６７８９０１２":   false, // full-width digits are not ASCII digits
	} {
		assert.Equal(t, want, IsAccountID(s), "%q", s)
	}
}

// Region names from the AWS General Reference, "AWS Regions and endpoints"
// (https://docs.aws.amazon.com/general/latest/gr/rande.html), and the
// GovCloud, China and isolated partitions' own lists.
func TestIsRegion(t *testing.T) {
	for region, partition := range map[string]string{
		"us-east-1":       "aws",
		"eu-central-2":    "aws",
		"ap-east-2":       "aws", // Taipei, opened 2025: not in every closed list of directions
		"ap-southeast-7":  "aws",
		"mx-central-1":    "aws",
		"il-central-1":    "aws",
		"ca-west-1":       "aws",
		"us-east-10":      "aws", // the number is not limited to one digit
		"cn-north-1":      "aws-cn",
		"cn-northwest-1":  "aws-cn",
		"us-gov-west-1":   "aws-us-gov",
		"us-iso-east-1":   "aws-iso",
		"us-isob-east-1":  "aws-iso-b",
		"eu-isoe-west-1":  "aws-iso-e",
		"us-isof-south-1": "aws-iso-f",
		"eusc-de-east-1":  "aws-eusc",
	} {
		assert.True(t, IsRegion(region), region)
		assert.Equal(t, partition, PartitionOf(region), region)
	}
	for _, bad := range []string{
		"", "moon-1", "mars-1", "us-east", "us-east1", "useast-1", "US-EAST-1", "us_east_1",
		"us-east-1 ", " us-east-1", "zz-east-1", "aws-global", "us-east-1a", "us-east-",
		"us--east-1", "us-east-1\n", "us-middle-9", "eu-centre-1",
	} {
		assert.False(t, IsRegion(bad), "%q", bad)
		assert.Empty(t, PartitionOf(bad), "%q", bad)
	}
}

// The partitions' region patterns are the SDK's (\w+ and \d+ read as
// lowercase letters and digits), and every region the SDK lists is a
// region here, of the same partition.
func TestPartitionsMatchTheSDK(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", "github.com/aws/aws-sdk-go-v2").Output()
	require.NoError(t, err, "go list -m github.com/aws/aws-sdk-go-v2")
	dir := strings.TrimSpace(string(out))
	require.NotEmpty(t, dir, "the SDK module is not in the module cache: go mod download")
	b, err := os.ReadFile(filepath.Join(dir, "internal", "endpoints", "awsrulesfn", "partitions.json"))
	require.NoError(t, err)
	var meta struct {
		Partitions []struct {
			ID          string              `json:"id"`
			RegionRegex string              `json:"regionRegex"`
			Regions     map[string]struct{} `json:"regions"`
		} `json:"partitions"`
	}
	require.NoError(t, json.Unmarshal(b, &meta))
	require.Len(t, partitions, len(meta.Partitions), "one pattern per SDK partition")
	ours := strings.NewReplacer(`\-`, `-`, `\w+`, `[a-z]+`, `\d+`, `[0-9]+`)
	for i, p := range meta.Partitions {
		assert.Equal(t, p.ID, partitions[i].id)
		assert.Equal(t, ours.Replace(p.RegionRegex), partitions[i].regions.String(), p.ID)
		assert.True(t, IsPartition(p.ID), p.ID)
		for region := range p.Regions {
			if strings.HasSuffix(region, "-global") { // endpoint aliases, not regions
				assert.False(t, IsRegion(region), region)
				continue
			}
			assert.Equal(t, p.ID, PartitionOf(region), region)
		}
	}
	assert.False(t, IsPartition("aws-moon"))
	assert.False(t, IsPartition(""))
}

// ARN format: arn:partition:service:region:account-id:resource, with
// resource-type/resource-id or resource-type:resource-id.
// https://docs.aws.amazon.com/IAM/latest/UserGuide/reference-arns.html and
// the IAM ARNs of https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_identifiers.html
func TestParseARN(t *testing.T) {
	for s, want := range map[string]ARN{
		"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab": {"aws", "kms", "us-east-1", "111122223333", "key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		"arn:aws:kms:eu-west-1:111122223333:alias/Adobe-Experience-Platform-Key":      {"aws", "kms", "eu-west-1", "111122223333", "alias/Adobe-Experience-Platform-Key"},
		"arn:aws:iam::123456789012:root":                                              {"aws", "iam", "", "123456789012", "root"},
		"arn:aws:iam::123456789012:role/division_abc/subdivision_xyz/ProdApp":         {"aws", "iam", "", "123456789012", "role/division_abc/subdivision_xyz/ProdApp"},
		"arn:aws:sts::123456789012:assumed-role/KeyAdmin/session":                     {"aws", "sts", "", "123456789012", "assumed-role/KeyAdmin/session"},
		"arn:aws-cn:iam::123456789012:user/Bob":                                       {"aws-cn", "iam", "", "123456789012", "user/Bob"},
		"arn:aws-us-gov:kms:us-gov-west-1:123456789012:key/mrk-1":                     {"aws-us-gov", "kms", "us-gov-west-1", "123456789012", "key/mrk-1"},
		"arn:aws:iam::aws:policy/AdministratorAccess":                                 {"aws", "iam", "", "aws", "policy/AdministratorAccess"},
		"arn:aws:s3:::my-bucket/a:b/c":                                                {"aws", "s3", "", "", "my-bucket/a:b/c"}, // colons stay in the resource
		"arn:aws:logs:us-east-1:123456789012:log-group:my-group:*":                    {"aws", "logs", "us-east-1", "123456789012", "log-group:my-group:*"},
	} {
		got, err := ParseARN(s)
		require.NoError(t, err, s)
		assert.Equal(t, want, got, s)
		assert.Equal(t, s, got.String(), "written back as read")
	}
	for s, msg := range map[string]string{
		"":                               "is not an ARN",
		"123456789012":                   "is not an ARN",
		"alias/Adobe":                    "is not an ARN",
		"arn:aws:iam::123456789012":      "is not an ARN",
		"ARN:aws:iam::123456789012:root": "is not an ARN",
		"urn:aws:iam::123456789012:root": "is not an ARN",
		"arn::iam::123456789012:root":    "has no partition",
		"arn:aws:::123456789012:root":    "has no service",
		"arn:aws:iam::123456789012:":     "has no resource",
		"AROAEXAMPLEUNIQUEID0000":        "is not an ARN",
	} {
		_, err := ParseARN(s)
		require.Error(t, err, "%q", s)
		assert.Contains(t, err.Error(), msg, "%q", s)
	}
}

// ARN patterns are split into the same six fields as ARNs, the resource
// keeping its colons, whatever the fields hold.
func TestARNFields(t *testing.T) {
	for s, want := range map[string][6]string{
		"arn:aws:kms:us-east-1:111122223333:key/*":      {"arn", "aws", "kms", "us-east-1", "111122223333", "key/*"},
		"arn:*:iam::*:role/*":                           {"arn", "*", "iam", "", "*", "role/*"},
		"arn:aws:logs:us-east-1:1:log-group:my-group:*": {"arn", "aws", "logs", "us-east-1", "1", "log-group:my-group:*"},
		"*:*:*:*:*:*":                    {"*", "*", "*", "*", "*", "*"},
		":::::":                          {"", "", "", "", "", ""},
		"arn:aws:iam::123456789012:root": {"arn", "aws", "iam", "", "123456789012", "root"},
		"arn:aws:kms:us-east-1:111122223333:alias/a:b:c:d:": {"arn", "aws", "kms", "us-east-1", "111122223333", "alias/a:b:c:d:"},
	} {
		got, ok := ARNFields(s)
		assert.True(t, ok, s)
		assert.Equal(t, want, got, s)
	}
	for _, s := range []string{"", "*", "arn:aws:iam::123456789012", "123456789012", "alias/a"} {
		_, ok := ARNFields(s)
		assert.False(t, ok, "%q has fewer than six fields", s)
	}
}
