package keystate

// The kinds of place a key's evidence comes from: the three live targets,
// the offline snapshot, and the infrastructure code of a key not made yet.
// They are part of the evidence model, the one list the command line, the
// targets, provisioning and the reports share.

import (
	"fmt"
	"slices"
	"strings"
)

// The kinds, as users type them and the results file records them.
const (
	KindEmbedded   = "embedded"   // local-kms served in-process on loopback
	KindLocalStack = "localstack" // a LocalStack endpoint
	KindAWS        = "aws"        // AWS itself, through the SDK's default chain
	KindSnapshot   = "snapshot"   // a snapshot file evaluated offline
	// A key not made yet, judged on what its infrastructure code declares
	// (package iac). Neither is a snapshot: the profile's key, which names
	// a key that exists, is not held against them.
	KindCloudFormation = "cloudformation" // a CloudFormation template
	KindTerraformPlan  = "terraform-plan" // a Terraform plan (terraform show -json)
)

// LiveKinds lists the kinds a key can be audited on, in the order users see them.
var LiveKinds = []string{KindEmbedded, KindLocalStack, KindAWS}

// IaCKinds lists the kinds of a key before it exists: the infrastructure
// code (a template or a plan) that declares it.
var IaCKinds = []string{KindCloudFormation, KindTerraformPlan}

// AllKinds lists every kind a run record may name.
var AllKinds = []string{KindEmbedded, KindLocalStack, KindAWS, KindSnapshot, KindCloudFormation, KindTerraformPlan}

// IsLiveKind says whether k is a live target kind. Kinds are case-sensitive.
func IsLiveKind(k string) bool { return slices.Contains(LiveKinds, k) }

// IsIaCKind says whether k names infrastructure code rather than a key.
func IsIaCKind(k string) bool { return slices.Contains(IaCKinds, k) }

// IsKnownKind says whether k is any kind of AllKinds.
func IsKnownKind(k string) bool { return slices.Contains(AllKinds, k) }

// CheckLiveKind checks a live kind that a user gave, "" included: the error
// says what was given and what is known.
func CheckLiveKind(k string) error {
	if !IsLiveKind(k) {
		return fmt.Errorf("unknown kind %q; known kinds: %s", k, strings.Join(LiveKinds, ", "))
	}
	return nil
}
