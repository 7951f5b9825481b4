package keystate

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// MixedKeysError says that the evidence, or the profile, names another key
// than the one the evidence describes. Judging such a mix would apply one
// key's answers to another, so callers refuse it as bad input (exit 2).
type MixedKeysError struct {
	Key   string // the key the evidence describes (DescribeKey's ARN, or the first key named)
	Other string // the other key, as written
	Where string // which member or field names it
}

func (e *MixedKeysError) Error() string {
	return fmt.Sprintf("%s names key %s, but the evidence describes key %s: every member must be about the same key",
		e.Where, e.Other, e.Key)
}

// keyRef is one place in the evidence that names a key.
type keyRef struct {
	where, value string
}

// SameKey checks that every member of s that names a key names the same
// one, and that want (the profile's key: ID, key ARN, alias/NAME or alias
// ARN; "" for none) names it too. The key is DescribeKey's; without a usable
// DescribeKey, the first key another member names. A region-wide
// ListAliases may list other keys' aliases, so alias targets are not
// compared, but alias ARNs must be in the key's account and region.
func (s *State) SameKey(want string) error { return s.SameKeyAs(want, "the profile's key") }

// SameKeyAs is SameKey, with want named as the caller knows it in the
// error ("the key asked for", on the live path).
func (s *State) SameKeyAs(want, named string) error {
	refs := s.keyRefs()
	var id, arn string
	if s.Key != nil {
		id, arn = s.Key.KeyID, s.Key.Arn
		if res := arnOf(arn).Resource; res != "key/"+id {
			return &MixedKeysError{Key: arn, Other: id, Where: "DescribeKey's KeyMetadata.KeyId"}
		}
	}
	for _, r := range refs {
		switch {
		case id == "" && isARN(r.value):
			arn, id = r.value, strings.TrimPrefix(arnOf(r.value).Resource, "key/")
		case id == "":
			id = r.value
		case !sameKey(r.value, id, arn):
			return &MixedKeysError{Key: shown(id, arn), Other: r.value, Where: r.where}
		}
	}
	if arn != "" {
		for _, a := range s.Aliases {
			if a.Arn == "" {
				continue
			}
			if arnOf(a.Arn).Region != arnOf(arn).Region || arnOf(a.Arn).Account != arnOf(arn).Account {
				return &MixedKeysError{Key: arn, Other: a.Arn,
					Where: "ListAliases (an alias of another account or region)"}
			}
		}
	}
	return s.profileKeyMatches(strings.TrimSpace(want), named, id, arn)
}

// profileKeyMatches: without a known key there is nothing to compare; the
// checks are ERROR on the missing DescribeKey.
func (s *State) profileKeyMatches(want, named, id, arn string) error {
	if want == "" || id == "" {
		return nil
	}
	mismatch := &MixedKeysError{Key: shown(id, arn), Other: want, Where: named}
	alias := ""
	switch {
	case strings.HasPrefix(want, "alias/"):
		alias = want
	case isARN(want) && strings.HasPrefix(arnOf(want).Resource, "alias/"):
		if arn != "" && (arnOf(want).Region != arnOf(arn).Region || arnOf(want).Account != arnOf(arn).Account) {
			return mismatch
		}
		alias = arnOf(want).Resource
	default:
		if sameKey(want, id, arn) {
			return nil
		}
		return mismatch
	}
	if s.Aliases == nil {
		return fmt.Errorf("%s %s is an alias, and the evidence has no usable ListAliases to show that it names key %s: %s",
			named, want, shown(id, arn), s.Problem(ListAliases))
	}
	for _, a := range s.Aliases {
		if a.Name == alias {
			if sameKey(a.TargetKeyID, id, arn) {
				return nil
			}
			mismatch.Where = named + " (ListAliases shows it targets " + a.TargetKeyID + ")"
			return mismatch
		}
	}
	return fmt.Errorf("%s %s is not among the aliases in the evidence, so the evidence cannot be shown to be about it (the evidence describes key %s)",
		named, want, shown(id, arn))
}

// keyRefs lists the places in the raw answers, other than DescribeKey,
// that name a key.
func (s *State) keyRefs() []keyRef {
	var refs []keyRef
	if raw, ok := s.Raw[GetKeyRotationStatus]; ok {
		var v struct{ KeyId string }
		if json.Unmarshal(raw, &v) == nil && v.KeyId != "" {
			refs = append(refs, keyRef{"GetKeyRotationStatus's KeyId", v.KeyId})
		}
	}
	if raw, ok := s.Raw[ListGrants]; ok {
		// Read loosely: a grant of the wrong shape is ListGrants's own
		// problem, and must not hide the key the other grants name. A type
		// error leaves the rest decoded; a syntax error leaves nothing.
		var v struct{ Grants []struct{ KeyId string } }
		var typeErr *json.UnmarshalTypeError
		if err := json.Unmarshal(raw, &v); err == nil || errors.As(err, &typeErr) {
			for i, g := range v.Grants {
				if g.KeyId != "" {
					refs = append(refs, keyRef{fmt.Sprintf("ListGrants's Grants[%d].KeyId", i), g.KeyId})
				}
			}
		}
	}
	if b := s.Baseline; b != nil && b.State != nil && b.State.Key != nil {
		refs = append(refs, keyRef{"the Baseline's DescribeKey", b.State.Key.Arn})
	}
	return refs
}

// sameKey reports whether ref (a key ID or key ARN) names the key id/arn.
func sameKey(ref, id, arn string) bool {
	if isARN(ref) {
		return arn != "" && ref == arn
	}
	return ref == id
}

func isARN(s string) bool {
	_, err := awsid.ParseARN(s)
	return err == nil
}

func shown(id, arn string) string {
	if arn != "" {
		return arn
	}
	return id
}
