package profile_test

import (
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// Bad profiles that TestBadProfiles does not cover: each is an error that
// names the field, never a panic and never a silently different profile.
func TestBadProfileInput(t *testing.T) {
	deepList := "key_users: " + strings.Repeat("[", 5000) + strings.Repeat("]", 5000)
	deepMap := "required_tags: " + strings.Repeat("{a: ", 2000) + "x" + strings.Repeat("}", 2000)
	aliases := "key_users: [&a [x, x, x], &b [*a, *a, *a], [*b, *b, *b]]"
	tests := []struct{ name, yaml, want string }{
		// A forgotten "- " item is null, which YAML decoding drops: the list
		// would shrink (adobe_principals to nothing, the Adobe checks to SKIP).
		{"empty adobe_principals item", "adobe_principals:\n  - \n", `line 2: field "adobe_principals"[0]: the item is empty`},
		{"empty item among others", "key_administrators: ['arn:aws:iam::111122223333:role/A', ~]", `field "key_administrators"[1]: the item is empty`},
		{"empty key_users item", "key_users: [null]", `field "key_users"[0]`},
		{"empty allowed account", "allowed_external_accounts:\n  -\n", `field "allowed_external_accounts"[0]`},
		{"deeply nested list", deepList, `field "key_users"`},
		{"deeply nested map", deepMap, `field "required_tags"`},
		{"nested aliases", aliases, `field "key_users"`},
		{"self-referencing alias", "key_users: &a [*a]", `field "key_users"`},
		{"map for a list", "key_users: {a: b}", `field "key_users"`},
		{"list for a bool", "allow_key_deletion: [true]", `field "allow_key_deletion"`},
		{"list for a map value", "required_tags: {Adobe: [x]}", `field "required_tags"`},
		{"number beyond int", "max_rotation_period_days: 99999999999999999999", `field "max_rotation_period_days"`},
		{"fraction for int", "max_rotation_period_days: 365.5", `field "max_rotation_period_days"`},
		{"bool for region", "region: true", `field "region"`},
		{"number for key", "key: 5", `field "key"`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			require.NotPanics(t, func() {
				v, err := profile.Parse([]byte(tc.yaml))
				require.Error(t, err, "accepted: %+v", v.Profile())
				assert.Contains(t, err.Error(), tc.want)
			})
		})
	}
}

// A null list or map as a whole still means "not set", as before.
func TestNullFieldIsUnset(t *testing.T) {
	v, err := profile.Parse([]byte("adobe_principals: ~\nkey_users:\nrequired_tags: null\n"))
	require.NoError(t, err)
	p := v.Profile()
	assert.Nil(t, p.AdobePrincipals)
	assert.Nil(t, p.KeyUsers)
	assert.Nil(t, p.RequiredTags)
}
