// Package awsid is the vocabulary of AWS identifiers the packages share:
// account IDs, partitions, region names and ARNs. One rule each, so that a
// value one package accepts is not refused by the next.
package awsid

import (
	"fmt"
	"regexp"
	"strings"
)

// IsAccountID says whether s is an AWS account ID: exactly 12 decimal
// digits, without hyphens, as ARNs and the APIs write it (IAM User Guide,
// "IAM identifiers" / "Identify AWS resources with ARNs": "account-id ...
// without the hyphens. For example, 123456789012").
func IsAccountID(s string) bool {
	if len(s) != 12 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}

// partition is a group of regions with its own IAM, and its region names.
type partition struct {
	id      string
	regions *regexp.Regexp
}

// partitions and their region patterns, in the order the SDK lists them.
//
// The rule for a region name is the SDK's: a name belongs to a partition
// when it matches that partition's regionRegex in the partition metadata
// every AWS SDK ships (aws-sdk-go-v2 internal/endpoints/awsrulesfn/
// partitions.json, the data behind the Smithy rules function
// aws.partition). A pattern per partition, rather than a closed list of
// directions (north, southeast, ...), accepts the regions AWS opens after
// this was written (ap-east-2, mx-central-1 came that way) and still
// refuses what no partition could hold ("moon-1", "us-east1", "US-EAST-1").
// The SDK writes \w+ and \d+; here they are lowercase letters and digits,
// as every region name in the AWS General Reference ("AWS Regions and
// endpoints") is spelled, so upper case and underscores are refused.
// TestPartitionsMatchTheSDK holds this table against the SDK's file.
var partitions = []partition{
	{"aws", regexp.MustCompile(`^(us|eu|ap|sa|ca|me|af|il|mx)-[a-z]+-[0-9]+$`)},
	{"aws-cn", regexp.MustCompile(`^cn-[a-z]+-[0-9]+$`)},
	{"aws-eusc", regexp.MustCompile(`^eusc-(de)-[a-z]+-[0-9]+$`)},
	{"aws-iso", regexp.MustCompile(`^us-iso-[a-z]+-[0-9]+$`)},
	{"aws-iso-b", regexp.MustCompile(`^us-isob-[a-z]+-[0-9]+$`)},
	{"aws-iso-e", regexp.MustCompile(`^eu-isoe-[a-z]+-[0-9]+$`)},
	{"aws-iso-f", regexp.MustCompile(`^us-isof-[a-z]+-[0-9]+$`)},
	{"aws-us-gov", regexp.MustCompile(`^us-gov-[a-z]+-[0-9]+$`)},
}

// IsPartition says whether s names a partition (aws, aws-cn, aws-us-gov,
// and the others of the SDK's metadata).
func IsPartition(s string) bool {
	for _, p := range partitions {
		if p.id == s {
			return true
		}
	}
	return false
}

// IsRegion says whether s is a region name of some partition (see
// partitions for the rule and why it is a pattern) whose last words are a
// compass direction and a number, as every region of the AWS General
// Reference is named: "us-middle-9" fits the SDK's pattern but is a typo,
// not a region AWS could open.
func IsRegion(s string) bool {
	return PartitionOf(s) != ""
}

var directionRE = regexp.MustCompile(`-(central|north|south|east|west|northeast|northwest|southeast|southwest)-[0-9]+$`)

// PartitionOf is the partition a region name belongs to, "" for none.
func PartitionOf(region string) string {
	if !directionRE.MatchString(region) {
		return ""
	}
	for _, p := range partitions {
		if p.regions.MatchString(region) {
			return p.id
		}
	}
	return ""
}

// ARN is an Amazon Resource Name split into its fields:
// arn:partition:service:region:account-id:resource. Resource keeps any
// further colons and slashes (resource-type/resource-id,
// resource-type:resource-id).
type ARN struct {
	Partition, Service, Region, Account, Resource string
}

// String writes the ARN back in its one form.
func (a ARN) String() string {
	return "arn:" + a.Partition + ":" + a.Service + ":" + a.Region + ":" + a.Account + ":" + a.Resource
}

// ParseARN splits s into its six fields (IAM User Guide, "Identify AWS
// resources with Amazon Resource Names (ARNs)", "ARN format"). It checks
// the frame only: the literal "arn", six fields, and a partition, service
// and resource that are not empty. Region and account may be empty, as
// they are in IAM ARNs (no region) and S3 bucket ARNs (neither), and the
// account field also holds words like "aws" (AWS managed policies): a
// caller that needs an account ID or a region checks it with IsAccountID
// or IsRegion, and one that needs a known partition with IsPartition.
func ParseARN(s string) (ARN, error) {
	f, ok := ARNFields(s)
	switch {
	case !ok || f[0] != "arn":
		return ARN{}, fmt.Errorf("%q is not an ARN (arn:partition:service:region:account-id:resource)", s)
	case f[1] == "":
		return ARN{}, fmt.Errorf("ARN %q has no partition", s)
	case f[2] == "":
		return ARN{}, fmt.Errorf("ARN %q has no service", s)
	case f[5] == "":
		return ARN{}, fmt.Errorf("ARN %q has no resource", s)
	}
	return ARN{Partition: f[1], Service: f[2], Region: f[3], Account: f[4], Resource: f[5]}, nil
}

// ARNFields splits s at its first five colons into the six fields of the
// ARN format: "arn", partition, service, region, account-id and resource
// (which keeps any further colons). ok is false when s has fewer than six
// fields. Nothing else is checked, because policies compare ARN patterns
// ("arn:aws:kms:*:111122223333:key/*", "arn:*:iam::*:role/*") field by
// field, and a pattern need not be an ARN ParseARN accepts (IAM User Guide,
// "IAM JSON policy elements: Condition operators", "Amazon Resource Name
// (ARN) condition operators"). Code that reads a real ARN uses ParseARN.
func ARNFields(s string) (f [6]string, ok bool) {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) != 6 {
		return f, false
	}
	copy(f[:], parts)
	return f, true
}
