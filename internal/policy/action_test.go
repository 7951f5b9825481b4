package policy

import (
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMatchAction(t *testing.T) {
	tests := []struct {
		pattern, action string
		want            bool
	}{
		{"kms:Encrypt", "kms:Encrypt", true},
		{"kms:encrypt", "kms:Encrypt", true},
		{"KMS:ENCRYPT", "kms:Encrypt", true},
		{"kms:Encrypt", "kms:Decrypt", false},
		{"kms:Encrypt", "kms:EncryptX", false},
		{"*", "kms:Encrypt", true},
		{"*", "", true},
		{"kms:*", "kms:ScheduleKeyDeletion", true},
		{"kms:*", "s3:GetObject", false},
		{"kms:Gen*", "kms:GenerateDataKey", true},
		{"kms:Gen*", "kms:Decrypt", false},
		{"kms:GenerateDataKey*", "kms:GenerateDataKey", true},
		{"kms:GenerateDataKey*", "kms:GenerateDataKeyWithoutPlaintext", true},
		{"kms:ReEncrypt*", "kms:ReEncryptFrom", true},
		{"kms:*Key", "kms:DescribeKey", true},
		{"kms:*Key*", "kms:ScheduleKeyDeletion", true},
		{"kms:*a*a*a*b", "kms:aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", false},
		{"kms:?ncrypt", "kms:Encrypt", true},
		{"kms:?ncrypt", "kms:Decrypt", false},
		{"kms:Encryp?", "kms:Encrypt", true},
		{"kms:Encrypt?", "kms:Encrypt", false},
		// a glob, not a regular expression
		{"kms:En.rypt", "kms:Encrypt", false},
		{"kms:[E]ncrypt", "kms:Encrypt", false},
		{"kms:Encrypt+", "kms:Encryptt", false},
		{"kms:(Encrypt|Decrypt)", "kms:Encrypt", false},
		{"kms:.*", "kms:Encrypt", false},
		{"kms:\\w+", "kms:Encrypt", false},
		{"", "kms:Encrypt", false},
	}
	for _, tt := range tests {
		t.Run(tt.pattern+"~"+tt.action, func(t *testing.T) {
			assert.Equal(t, tt.want, MatchAction(tt.pattern, tt.action))
		})
	}
}

func TestKMSActions(t *testing.T) {
	all := KMSActions()
	assert.True(t, sort.StringsAreSorted(all), "sorted")
	seen := map[string]bool{}
	for _, a := range all {
		assert.True(t, strings.HasPrefix(a, "kms:"), a)
		assert.False(t, seen[a], "duplicate %s", a)
		seen[a] = true
	}
	for _, a := range []string{
		"kms:CancelKeyDeletion", "kms:VerifyMac", "kms:RotateKeyOnDemand", "kms:ListKeyRotations",
		"kms:DeriveSharedSecret", "kms:ReplicateKey", "kms:UpdatePrimaryRegion", "kms:ReEncryptFrom",
		"kms:ReEncryptTo", "kms:GenerateMac", "kms:Sign", "kms:Verify",
	} {
		assert.True(t, seen[a], a)
	}
	assert.False(t, seen["kms:ReEncrypt"], "ReEncrypt is authorized as ReEncryptFrom/ReEncryptTo")
	for _, list := range [][]string{AdminActions, UserActions, AdobeActions} {
		for _, a := range list {
			assert.True(t, seen[a], "%s is a KMS action", a)
		}
	}
	// Callers may not change the list through the returned slice.
	all[0] = "changed"
	assert.Equal(t, "kms:CancelKeyDeletion", KMSActions()[0])
}

func TestDangerousActions(t *testing.T) {
	assert.Equal(t, []string{
		"kms:DeleteAlias", "kms:DeleteCustomKeyStore", "kms:DeleteImportedKeyMaterial",
		"kms:DisableKey", "kms:DisableKeyRotation", "kms:PutKeyPolicy",
		"kms:UpdateAlias", "kms:UpdateCustomKeyStore", "kms:UpdateKeyDescription", "kms:UpdatePrimaryRegion",
	}, DangerousActions())
}

// CMK-AEP-2: everything but the platform's actions and the reads. Where
// AWS forbids an action across accounts the model already holds it to
// nothing; the list still names it, so that the evidence can report it.
func TestBeyondPlatformActions(t *testing.T) {
	beyond := BeyondPlatformActions()
	require.True(t, sort.StringsAreSorted(beyond))
	set := map[string]bool{}
	for _, a := range beyond {
		set[a] = true
	}
	for _, a := range append(append([]string{"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RevokeGrant", "kms:Sign", "kms:GenerateMac"}, AdminActions...), DangerousActions()...) {
		assert.True(t, set[a], a)
	}
	for _, a := range append([]string{"kms:ReEncryptFrom", "kms:GenerateDataKeyPairWithoutPlaintext", "kms:GetPublicKey", "kms:ListGrants", "kms:RetireGrant", "kms:GetKeyPolicy"}, AdobeActions...) {
		assert.False(t, set[a], a)
	}
	assert.Len(t, beyond, len(KMSActions())-24)
}

// The model compares a pattern that ends in its only wildcard as a prefix
// and a plain one as a string: each answers as the glob does, whatever
// the action (one with wildcards or characters beyond ASCII included).
func TestActionPatternsMatchAsTheGlob(t *testing.T) {
	patterns := []string{"kms:*", "*", "kms:Describe*", "kms:Decrypt", "kms:*crypt", "kms:*crypt*", "kms:?ecrypt*",
		"kms:de?rypt", "kms:Describe**", "kms:É*", "kms:\uFFFD*", "kms:describe*key", "KMS:GENERATEDATAKEY*"}
	actions := []string{"kms:describekey", "kms:decrypt", "kms:decrypted", "kms:encrypt", "kms:describe*", "kms:describe",
		"kms:é", "kms:éa", "kms:\uFFFDx", "kms:", "", "kms:generatedatakeypair", "s3:getobject", "kms:de*crypt", "kms:?ecrypt"}
	kinds := map[string][]bool{} // pattern -> prefix, wild
	for _, p := range patterns {
		ap := actionPatterns([]string{p})[0]
		kinds[p] = []bool{ap.prefix, ap.wild}
		for _, a := range actions {
			want := glob(lowerAction(p), a, false)
			assert.Equal(t, want, matchesAny([]actionPattern{ap}, a, false), "%q on %q", p, a)
			assert.Equal(t, !want, matchesAny([]actionPattern{ap}, a, true), "NotAction %q on %q", p, a)
		}
	}
	assert.Equal(t, []bool{true, false}, kinds["kms:Describe*"])
	assert.Equal(t, []bool{true, false}, kinds["*"])
	assert.Equal(t, []bool{false, false}, kinds["kms:Decrypt"])
	assert.Equal(t, []bool{false, true}, kinds["kms:*crypt*"])
	assert.Equal(t, []bool{false, true}, kinds["kms:?ecrypt*"])
}
