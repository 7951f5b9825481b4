// Package targetkind names where a key is inspected: the three live
// targets and the offline snapshot. It is the one list the command line,
// the targets, provisioning and the reports share, and imports nothing, so
// the reports can name the kinds without linking any AWS client.
package targetkind

import (
	"fmt"
	"slices"
	"strings"
)

// The kinds, as users type them and the results file records them.
const (
	Embedded   = "embedded"   // local-kms served in-process on loopback
	LocalStack = "localstack" // a LocalStack endpoint
	AWS        = "aws"        // AWS itself, through the SDK's default chain
	Snapshot   = "snapshot"   // a snapshot file evaluated offline
	// A key not made yet, judged on what its infrastructure code declares
	// (package iac). Neither is a snapshot: the profile's key, which names
	// a key that exists, is not held against them.
	CloudFormation = "cloudformation" // a CloudFormation template
	TerraformPlan  = "terraform-plan" // a Terraform plan (terraform show -json)
)

// Live lists the kinds a key can be audited on, in the order users see them.
var Live = []string{Embedded, LocalStack, AWS}

// Static lists the kinds that judge a key before it exists.
var Static = []string{CloudFormation, TerraformPlan}

// All lists every kind a run record may name.
var All = []string{Embedded, LocalStack, AWS, Snapshot, CloudFormation, TerraformPlan}

// IsLive says whether k is a live target kind. Kinds are case-sensitive.
func IsLive(k string) bool { return slices.Contains(Live, k) }

// IsStatic says whether k judges infrastructure code rather than a key.
func IsStatic(k string) bool { return slices.Contains(Static, k) }

// IsKnown says whether k is any kind of All.
func IsKnown(k string) bool { return slices.Contains(All, k) }

// CheckLive checks a live kind that a user gave, "" included: the error
// says what was given and what is known.
func CheckLive(k string) error {
	if !IsLive(k) {
		return fmt.Errorf("unknown kind %q; known kinds: %s", k, strings.Join(Live, ", "))
	}
	return nil
}
