package policy

import (
	"slices"
	"sort"
	"unicode"
	"unicode/utf8"
)

// AdminActions are the actions that make a key administrator.
var AdminActions = []string{
	"kms:PutKeyPolicy", "kms:EnableKey", "kms:DisableKey", "kms:UpdateKeyDescription",
	"kms:TagResource", "kms:UntagResource", "kms:CreateAlias", "kms:DeleteAlias",
	"kms:EnableKeyRotation", "kms:DisableKeyRotation",
}

// UserActions are the actions that make a key user.
var UserActions = []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey", "kms:DescribeKey"}

// UseActions are the use actions (spec, "Roles"): a principal holding any
// one of them by the risk-side rule is a user of the key. The spec's list,
// every cryptographic operation of the KMS API (GenerateDataKey* is four
// actions), plus kms:Encapsulate and kms:Decapsulate, the ML-KEM
// operations the spec's list predates (Decapsulate yields the shared
// secret as Decrypt yields plaintext), and kms:CreateGrant, which can give
// the others. Not GenerateRandom: it does not use a key.
// https://docs.aws.amazon.com/kms/latest/developerguide/kms-cryptography.html#cryptographic-operations
var UseActions = []string{
	"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
	"kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext",
	"kms:GenerateDataKeyPair", "kms:GenerateDataKeyPairWithoutPlaintext",
	"kms:GenerateMac", "kms:VerifyMac", "kms:Sign", "kms:Verify", "kms:DeriveSharedSecret",
	"kms:Encapsulate", "kms:Decapsulate", "kms:CreateGrant",
}

// AdobeActions are the actions every Adobe principal needs (CMK-AEP-1).
var AdobeActions = []string{
	"kms:Encrypt", "kms:Decrypt", "kms:ReEncryptFrom", "kms:ReEncryptTo",
	"kms:GenerateDataKey", "kms:GenerateDataKeyWithoutPlaintext", "kms:DescribeKey", "kms:CreateGrant",
}

// KMSActions returns every KMS action as "kms:Name", sorted.
// It is the action table's names (see actions.go).
func KMSActions() []string { return slices.Clone(kmsActions) }

// DangerousActions returns the actions CMK-USR-4 reserves to key
// administrators: kms:PutKeyPolicy, kms:DisableKey and every KMS action
// matching kms:Delete*, kms:Disable*, kms:Put* or kms:Update*. Sorted.
func DangerousActions() []string { return slices.Clone(dangerousActions) }

// platformAndReads are the platform's actions and the reads as the spec writes
// them (CMK-AEP-2), plus kms:RetireGrant, which comes with CreateGrant:
// whether a principal may retire a grant "is determined primarily by the
// grant" (its retiring principal, or the account that created it), and
// retiring removes only what that grant gave.
// https://docs.aws.amazon.com/kms/latest/APIReference/API_RetireGrant.html
var platformAndReads = []string{
	"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey", "kms:CreateGrant",
	"kms:RetireGrant", "kms:Describe*", "kms:Get*", "kms:List*",
}

// BeyondPlatformActions returns every KMS action no Adobe principal may hold
// (CMK-AEP-2): all but the platform's actions (Encrypt, Decrypt,
// ReEncrypt*, GenerateDataKey*, DescribeKey, CreateGrant, and RetireGrant
// that comes with it) and the reads (Describe*, Get*, List*). Sorted.
func BeyondPlatformActions() []string { return slices.Clone(beyondPlatformActions) }

// The lists above are derived from the action table once: the checks ask
// for them for every principal, and the table never changes. Callers get
// copies, so these stay as computed.
var (
	kmsActions = func() []string {
		all := Actions()
		out := make([]string, len(all))
		for i, a := range all {
			out[i] = a.Name
		}
		return out
	}()
	dangerousActions = kmsMatching([]string{"kms:PutKeyPolicy", "kms:DisableKey"},
		"kms:Delete*", "kms:Disable*", "kms:Put*", "kms:Update*")
	beyondPlatformActions = func() []string {
		var out []string
		for _, a := range kmsActions {
			allowed := false
			for _, p := range platformAndReads {
				allowed = allowed || MatchAction(p, a)
			}
			if !allowed {
				out = append(out, a)
			}
		}
		return out
	}()
)

// kmsMatching returns base plus every KMS action matching one of patterns,
// sorted and without duplicates.
func kmsMatching(base []string, patterns ...string) []string {
	seen := map[string]bool{}
	var out []string
	add := func(a string) {
		if !seen[a] {
			seen[a] = true
			out = append(out, a)
		}
	}
	for _, a := range base {
		add(a)
	}
	for _, a := range kmsActions {
		for _, p := range patterns {
			if MatchAction(p, a) {
				add(a)
			}
		}
	}
	sort.Strings(out)
	return out
}

// MatchAction reports whether the policy action pattern matches action,
// case-insensitively, with * (any run) and ? (one character) wildcards.
// Everything else is literal: it is a glob, not a regular expression.
func MatchAction(pattern, action string) bool { return glob(pattern, action, true) }

// glob matches s against the pattern p, * any run and ? one character,
// comparing characters lower-cased when fold is set (as strings.ToLower
// would, character by character). It reads both strings in place, without
// copying them: the access model runs it for every statement and action.
// It backtracks to the last star only, so it runs in O(len(p)*len(s))
// whatever the pattern. A * or ? in s matches the same character in p
// before p's wildcard meaning is tried.
func glob(p, s string, fold bool) bool {
	pi, si := 0, 0
	star, mark := -1, 0
	for si < len(s) {
		sc, sw := utf8.DecodeRuneInString(s[si:])
		pc, pw := rune(-1), 0
		if pi < len(p) {
			pc, pw = utf8.DecodeRuneInString(p[pi:])
		}
		switch {
		case pw > 0 && (pc == '?' || pc == sc || fold && unicode.ToLower(pc) == unicode.ToLower(sc)):
			pi += pw
			si += sw
		case pc == '*':
			star, mark = pi, si
			pi += pw
		case star >= 0:
			pi = star + 1
			_, mw := utf8.DecodeRuneInString(s[mark:])
			mark += mw
			si = mark
		default:
			return false
		}
	}
	for pi < len(p) && p[pi] == '*' {
		pi++
	}
	return pi == len(p)
}
