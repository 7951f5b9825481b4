// Package eventmatch decides whether an EventBridge event pattern or a
// CloudWatch Logs metric filter pattern would match the record of a KMS
// API call on one key. It parses both kinds of pattern and evaluates them
// as the services do, on a model of the event in which some fields are
// known (the source, the event name, the key's account and region), some
// depend on the caller (how the key is named in the request) and the rest
// are unknown. The answer is three-valued: a pattern that tests a field the
// model cannot settle is Unknown, never a match.
package eventmatch

import (
	"fmt"
	"strings"
)

// Answer is a three-valued match.
type Answer int

const (
	No Answer = iota
	Unknown
	Yes
)

func (a Answer) String() string {
	switch a {
	case Yes:
		return "matches"
	case No:
		return "does not match"
	}
	return "may match, depending on fields no pattern analysis can settle"
}

// and is the three-valued conjunction.
func and(a, b Answer) Answer {
	if a == No || b == No {
		return No
	}
	if a == Unknown || b == Unknown {
		return Unknown
	}
	return Yes
}

// or is the three-valued disjunction.
func or(a, b Answer) Answer {
	if a == Yes || b == Yes {
		return Yes
	}
	if a == Unknown || b == Unknown {
		return Unknown
	}
	return No
}

// Call is the KMS API call a pattern is asked about.
type Call struct {
	EventName string // "DisableKey"
	KeyID     string // the key's ID
	KeyARN    string // the key's ARN
	Account   string
	Region    string
}

// variants are the concrete records the call may produce: the caller
// names the key by ID or by ARN in requestParameters.keyId, and whether
// the top-level resources list of the EventBridge event holds the key ARN
// is not documented for every KMS operation. A pattern answers Yes only if
// it matches every variant, No only if it matches none.
func (c Call) variants(eventBridge bool) []map[string]any {
	var out []map[string]any
	for _, keyRef := range []string{c.KeyID, c.KeyARN} {
		detail := map[string]any{
			"eventVersion":       unknownValue{},
			"eventSource":        "kms.amazonaws.com",
			"eventName":          c.EventName,
			"awsRegion":          c.Region,
			"recipientAccountId": c.Account,
			"requestParameters":  map[string]any{"keyId": keyRef},
			"resources": []any{map[string]any{
				"accountId": c.Account, "type": "AWS::KMS::Key", "ARN": c.KeyARN,
			}},
			"eventType": "AwsApiCall",
			// Known to be absent on a call that succeeded.
			"errorCode":    absentValue{},
			"errorMessage": absentValue{},
		}
		if !eventBridge {
			out = append(out, detail)
			continue
		}
		for _, resources := range [][]any{{}, {c.KeyARN}} {
			out = append(out, map[string]any{
				"version":     "0",
				"source":      "aws.kms",
				"detail-type": "AWS API Call via CloudTrail",
				"account":     c.Account,
				"region":      c.Region,
				"resources":   resources,
				"detail":      detail,
			})
		}
	}
	return out
}

// unknownValue marks a field that exists with a value the model does not
// know; absentValue one known not to be in the record. A field the model
// does not list at all is unknown too (userIdentity, sourceIPAddress, ...).
type (
	unknownValue struct{}
	absentValue  struct{}
)

// lookup resolves a path in a record: the values found (arrays are
// flattened, as both services do), whether the field is absent, and
// whether the model cannot tell.
func lookup(record map[string]any, path []string) (values []any, absent, unknown bool) {
	current := []any{record}
	for _, key := range path {
		var next []any
		for _, v := range current {
			obj, ok := v.(map[string]any)
			if !ok {
				continue
			}
			child, ok := obj[key]
			if !ok {
				// Not modelled: the caller's record may hold anything.
				return nil, false, true
			}
			switch c := child.(type) {
			case unknownValue:
				return nil, false, true
			case absentValue:
				continue
			case []any:
				next = append(next, c...)
			default:
				next = append(next, c)
			}
		}
		current = next
	}
	if len(current) == 0 {
		return nil, true, false
	}
	return current, false, false
}

// over answers for every variant: Yes if all say Yes, No if all say No.
func over(variants []map[string]any, f func(map[string]any) Answer) Answer {
	seen := map[Answer]bool{}
	for _, v := range variants {
		seen[f(v)] = true
	}
	switch {
	case len(seen) == 1 && seen[Yes]:
		return Yes
	case len(seen) == 1 && seen[No]:
		return No
	}
	return Unknown
}

// globMatch matches s against a pattern in which * stands for any run of
// characters (a backslash escapes * and itself).
func globMatch(pattern, s string, fold bool) bool {
	if fold {
		pattern, s = strings.ToLower(pattern), strings.ToLower(s)
	}
	var parts []string
	var b strings.Builder
	for i := 0; i < len(pattern); i++ {
		switch {
		case pattern[i] == '\\' && i+1 < len(pattern):
			i++
			b.WriteByte(pattern[i])
		case pattern[i] == '*':
			parts = append(parts, b.String())
			b.Reset()
		default:
			b.WriteByte(pattern[i])
		}
	}
	parts = append(parts, b.String())
	if len(parts) == 1 {
		return s == parts[0]
	}
	if !strings.HasPrefix(s, parts[0]) {
		return false
	}
	s = s[len(parts[0]):]
	last := parts[len(parts)-1]
	for _, p := range parts[1 : len(parts)-1] {
		i := strings.Index(s, p)
		if i < 0 {
			return false
		}
		s = s[i+len(p):]
	}
	return strings.HasSuffix(s, last)
}

// errorf words a pattern that cannot be read.
func errorf(format string, a ...any) error { return fmt.Errorf(format, a...) }
