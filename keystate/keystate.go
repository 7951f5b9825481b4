// Package keystate holds what is known about one KMS key: the decoded API
// answers, the raw answers kept as evidence, and why any answer is missing.
// A snapshot file and a live collection both end up here, so offline and
// live evaluation read exactly the same thing.
package keystate

import (
	"encoding/json"
	"strings"
	"time"
)

// Member names: the snapshot's top-level members, named after the KMS
// operations whose AWS CLI output they hold.
const (
	DescribeKey          = "DescribeKey"
	GetKeyPolicy         = "GetKeyPolicy"
	GetKeyRotationStatus = "GetKeyRotationStatus"
	ListResourceTags     = "ListResourceTags"
	ListAliases          = "ListAliases"
)

// Members lists the snapshot members in a fixed order.
var Members = []string{DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags, ListAliases}

// State is one key as seen by the evaluator. A nil field with an entry in
// Problems means the answer could not be had; checks that need it are ERROR.
type State struct {
	Key      *KeyMetadata
	Policy   string // the key policy document (GetKeyPolicy's Policy string)
	Rotation *Rotation
	Tags     []Tag
	Aliases  []Alias // every alias in the answer; checks select the key's own

	// Raw holds each member's answer exactly as received: the evidence.
	Raw map[string]json.RawMessage
	// Problems says, per member, why it is absent or unusable.
	Problems map[string]string

	// Live is nil when a snapshot is evaluated offline.
	Live *Live
}

// KeyMetadata is DescribeKey's KeyMetadata, the fields the checks read.
type KeyMetadata struct {
	AWSAccountID string
	KeyID        string
	Arn          string
	Description  string
	KeySpec      string
	KeyUsage     string
	Origin       string
	KeyManager   string
	KeyState     string
	Enabled      *bool
	MultiRegion  *bool // nil when the answer omits it (some emulators do)
	CreationDate *time.Time
	DeletionDate *time.Time
}

// Region is the region part of the key ARN, or "" when the ARN is malformed.
func (k *KeyMetadata) Region() string {
	if k == nil {
		return ""
	}
	return arnField(k.Arn, 3)
}

// Partition is the partition part of the key ARN.
func (k *KeyMetadata) Partition() string {
	if k == nil {
		return ""
	}
	return arnField(k.Arn, 1)
}

// Account is the key's account: AWSAccountId, or the ARN's account field.
func (k *KeyMetadata) Account() string {
	if k == nil {
		return ""
	}
	if k.AWSAccountID != "" {
		return k.AWSAccountID
	}
	return arnField(k.Arn, 4)
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

// Live holds what only a live target can tell. Each probe is either run
// (OK and Observed), skipped (SkipReason) or broken (Err).
type Live struct {
	Target   string // embedded, localstack or aws
	Endpoint string // "" for the SDK's default AWS endpoints
	Region   string

	Access     Probe // CMK-ACC-1: caller identity and a KMS read
	Permission Probe // CMK-PRM-1: IAM policy simulation
	Roundtrip  Probe // CMK-CFG-6: Encrypt then Decrypt
	Caller     *Caller
}

// Caller is sts:GetCallerIdentity's answer.
type Caller struct {
	Account string
	Arn     string
	UserID  string
}

// Probe is the outcome of a live-only test.
type Probe struct {
	Ran        bool
	OK         bool
	Observed   string
	SkipReason string // set when the probe was not run
	Err        string // set when the probe could not complete
	Evidence   map[string]json.RawMessage
}

// Skipped makes a probe that was not run, with the reason.
func Skipped(reason string) Probe { return Probe{SkipReason: reason} }

// Failed makes a probe that could not complete.
func Failed(err string) Probe { return Probe{Ran: true, Err: err} }

// arnField returns field i of an ARN (arn:partition:service:region:account:resource),
// or "" when s is not such an ARN.
func arnField(s string, i int) string {
	parts := strings.SplitN(s, ":", 6)
	if len(parts) < 6 || parts[0] != "arn" {
		return ""
	}
	return parts[i]
}
