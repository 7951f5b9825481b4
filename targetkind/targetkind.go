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
)

// Live lists the kinds a key can be audited on, in the order users see them.
var Live = []string{Embedded, LocalStack, AWS}

// All lists every kind a run record may name.
var All = []string{Embedded, LocalStack, AWS, Snapshot}

// IsLive says whether k is a live target kind. Kinds are case-sensitive.
func IsLive(k string) bool { return slices.Contains(Live, k) }

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
