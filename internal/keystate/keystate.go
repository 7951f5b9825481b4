// Package keystate holds what is known about one KMS key: the decoded API
// answers, the raw answers kept as evidence, and why any answer is missing.
// A snapshot file and a live collection both end up here, so offline and
// live evaluation read exactly the same thing.
package keystate

import (
	"encoding/json"
	"strings"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// Member names: the snapshot's top-level members, named after the KMS
// operations whose AWS CLI output they hold.
const (
	DescribeKey          = "DescribeKey"
	GetKeyPolicy         = "GetKeyPolicy"
	GetKeyRotationStatus = "GetKeyRotationStatus"
	ListResourceTags     = "ListResourceTags"
	ListAliases          = "ListAliases"
	ListGrants           = "ListGrants"
)

// Optional members: what a live run saw besides the key itself (see
// live.go). A snapshot made by hand has none of them, and the checks that
// read them SKIP offline; a live capture always has every one of them,
// each holding its answer or why there is none.
const (
	Target                  = "Target"
	GetCallerIdentity       = "GetCallerIdentity"
	SimulatePrincipalPolicy = "SimulatePrincipalPolicy"
	RoundTrip               = "RoundTrip"
)

// CollectionErrors is the member that says why a live run has no answer
// for a member ({"GetKeyRotationStatus": "kms:GetKeyRotationStatus failed:
// ..."}), so a saved capture reports the same problem the live run did.
const CollectionErrors = "CollectionErrors"

// Members lists the required snapshot members in a fixed order.
var Members = []string{DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags, ListAliases, ListGrants}

// LiveMembers lists the optional members of a live run in a fixed order.
var LiveMembers = []string{Target, GetCallerIdentity, SimulatePrincipalPolicy, RoundTrip, GetAccountAuthorizationDetails}

// State is one key as seen by the evaluator. A nil field with an entry in
// Problems means the answer could not be had; checks that need it are ERROR.
type State struct {
	Key      *KeyMetadata
	Policy   string // the key policy document (GetKeyPolicy's Policy string)
	Rotation *Rotation
	Tags     []Tag
	Aliases  []Alias // every alias in the answer; checks select the key's own
	Grants   []Grant // every grant of the key, all pages

	// Declared is keystate.KindCloudFormation or keystate.KindTerraformPlan
	// when the state is what a template or plan declares, before the key
	// exists (package iac); "" for a snapshot or a live run. It changes
	// only how a SKIP words where the evidence came from. It is not a
	// snapshot member: a results file's target kind says it (audit.Verify).
	Declared string

	// Facts of a live run, each nil when its member is absent (offline).
	Target     *TargetFacts
	Identity   *Identity
	Simulation *Simulation
	RoundTrip  *RoundTripFacts
	// IAM is the GetAccountAuthorizationDetails member (iam.go).
	IAM *AccountAuthorization

	// Monitoring answers (monitoring.go), each nil when its member is absent.
	Rules         []EventRule
	RuleTargets   map[string][]string // rule name -> target ARNs
	LogGroups     []string
	MetricFilters []MetricFilter
	Alarms        []Alarm

	// Baseline is the signed-off state drift is judged against (baseline.go),
	// nil when no baseline was given.
	Baseline *BaselineFacts

	// Raw holds each member's answer exactly as received: the evidence.
	Raw map[string]json.RawMessage
	// Problems says, per member, why it is absent or unusable.
	Problems map[string]string
}

// Live says whether the state is a live run's, or a saved capture of one:
// it says where it was asked (the Target member).
func (s *State) Live() bool { return s.Target != nil || s.Problems[Target] != "" }

// Answered says whether the service answered for a member: an answer was
// kept, or one came that could not be read (its problem says so). A call
// that failed or was never made did not answer.
func (s *State) Answered(member string) bool {
	if _, ok := s.Raw[member]; ok {
		return true
	}
	return strings.HasPrefix(s.Problems[member], unreadable(member))
}

// Has says whether a required member was read into its field, which is
// what a check may rely on. A decoded state has each one read or a
// problem saying why not; a state put together by hand may have neither.
func (s *State) Has(member string) bool {
	if s.Problems[member] != "" {
		return false
	}
	switch member {
	case DescribeKey:
		return s.Key != nil
	case GetKeyPolicy:
		_, ok := s.Raw[member]
		return ok
	case GetKeyRotationStatus:
		return s.Rotation != nil
	case ListResourceTags:
		return s.Tags != nil
	case ListAliases:
		return s.Aliases != nil
	case ListGrants:
		return s.Grants != nil
	}
	return false
}

// unreadable begins the problem of an answer that came but cannot be used.
func unreadable(member string) string { return member + " could not be read: " }

// KeyMetadata is DescribeKey's KeyMetadata, the fields the checks read.
type KeyMetadata struct {
	AWSAccountID          string
	KeyID                 string
	Arn                   string
	Description           string
	KeySpec               string
	CustomerMasterKeySpec string // the legacy name of KeySpec, alone in older CLI output
	KeyUsage              string
	Origin                string
	KeyManager            string
	KeyState              string
	Enabled               *bool
	MultiRegion           *bool // nil when the answer omits it (some emulators do)
	CreationDate          *time.Time
	DeletionDate          *time.Time
}

// Region is the region part of the key ARN, or "" when the ARN is malformed.
func (k *KeyMetadata) Region() string {
	if k == nil {
		return ""
	}
	return arnOf(k.Arn).Region
}

// Partition is the partition part of the key ARN.
func (k *KeyMetadata) Partition() string {
	if k == nil {
		return ""
	}
	return arnOf(k.Arn).Partition
}

// Account is the key's account: AWSAccountId, or the ARN's account field.
func (k *KeyMetadata) Account() string {
	if k == nil {
		return ""
	}
	if k.AWSAccountID != "" {
		return k.AWSAccountID
	}
	return arnOf(k.Arn).Account
}

// Rotation is GetKeyRotationStatus's answer.
type Rotation struct {
	Enabled              bool
	RotationPeriodInDays *int // nil when not reported
}

// Tag is one ListResourceTags entry.
type Tag struct {
	Key   string
	Value string
}

// Alias is one ListAliases entry.
type Alias struct {
	Name        string
	Arn         string
	TargetKeyID string
}

// Grant is one ListGrants entry: GranteePrincipal may perform Operations
// on the key; RetiringPrincipal may retire the grant. Constraints narrow
// the requests the grant allows (by encryption context), not the grantee.
type Grant struct {
	GrantID           string
	Name              string
	GranteePrincipal  string
	RetiringPrincipal string            // "" when the grant names none
	IssuingAccount    string            // "arn:aws:iam::<account>:root"; some emulators omit it
	KeyID             string            // the key ARN (AWS) or key ID (LocalStack); "" when omitted
	Operations        []string          // at least one: "Decrypt", "CreateGrant", ...
	Constraints       *GrantConstraints // nil when the grant has none
	CreationDate      *time.Time
}

// GrantConstraints is a grant's Constraints: the encryption context a
// request must carry for the grant to allow it.
type GrantConstraints struct {
	EncryptionContextEquals map[string]string
	EncryptionContextSubset map[string]string
}

// Caller is sts:GetCallerIdentity's answer.
type Caller struct {
	Account string
	Arn     string
	UserID  string
}

// arnOf is s read as an ARN: its fields, all "" when s is not an ARN.
func arnOf(s string) awsid.ARN {
	a, _ := awsid.ParseARN(s)
	return a
}
