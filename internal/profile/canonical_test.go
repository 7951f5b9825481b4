package profile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// sameFields compares what the checks read: every field but where the
// profile came from.
func sameFields(t *testing.T, want, got profile.Valid) {
	t.Helper()
	w, g := want.Profile(), got.Profile()
	w.Source, w.Content, w.Overrides = "", nil, nil
	g.Source, g.Content, g.Overrides = "", nil, nil
	assert.Equal(t, w, g)
	assert.Equal(t, want.AliasRE() == nil, got.AliasRE() == nil)
	if want.AliasRE() != nil {
		assert.Equal(t, want.AliasRE().String(), got.AliasRE().String())
	}
}

// roundTrip parses a profile's canonical form and holds it to the profile:
// the same fields, and the same canonical bytes again.
func roundTrip(t *testing.T, v profile.Valid) []byte {
	t.Helper()
	c, err := v.Canonical()
	require.NoError(t, err)
	again, err := profile.Parse(c)
	require.NoError(t, err, "the canonical form parses:\n%s", c)
	sameFields(t, v, again)
	c2, err := again.Canonical()
	require.NoError(t, err)
	assert.Equal(t, string(c), string(c2), "canonical is a fixed point")
	return c
}

func TestCanonicalRoundTrips(t *testing.T) {
	for _, name := range []string{"aep-example.yaml", "healthcare.yaml"} {
		t.Run(name, func(t *testing.T) {
			v, err := profile.Load(filepath.Join("../../fixtures/profiles", name), noEnv)
			require.NoError(t, err)
			roundTrip(t, v)
		})
	}
	t.Run("default", func(t *testing.T) {
		assert.Equal(t, "max_rotation_period_days: 365\n", string(roundTrip(t, profile.Default())), "the default fills in only the rotation maximum")
		assert.Equal(t, "max_rotation_period_days: 365\n", string(roundTrip(t, profile.Valid{})))
	})
	t.Run("awkward values", func(t *testing.T) {
		v, err := profile.Parse([]byte(`
key: alias/yes
region: us-east-1
key_administrators: []
key_users: ["arn:aws:iam::111122223333:role/a.b@c=d,e+f/g_h"]
allow_key_deletion: false
adobe_principals: ["012345678901", "arn:aws:iam::767397686373:root"]
required_tags: {"": x, "null": "", "multi\nline": "  spaced  ", "quote\"d": "#hash: colon", "ünï": "\u202e"}
alias_pattern: "^alias/(Adobe|AEP)-[0-9]{2,}$"
rotation_required: true
max_rotation_period_days: 2560
roundtrip: true
shield: healthcare
`))
		// An empty tag key is refused by validation; give it one.
		require.ErrorContains(t, err, "required_tags")
		v, err = profile.Parse([]byte(`
key: alias/yes
region: us-east-1
key_administrators: []
key_users: ["arn:aws:iam::111122223333:role/a.b@c=d,e+f/g_h"]
allow_key_deletion: false
adobe_principals: ["012345678901", "arn:aws:iam::767397686373:root"]
required_tags: {"null": "", "multi\nline": "  spaced  ", "quote\"d": "#hash: colon", "ünï": "\u202e"}
alias_pattern: "^alias/(Adobe|AEP)-[0-9]{2,}$"
rotation_required: true
max_rotation_period_days: 2560
roundtrip: true
shield: healthcare
`))
		require.NoError(t, err)
		c := roundTrip(t, v)
		again, err := profile.Parse(c)
		require.NoError(t, err)
		p := again.Profile()
		assert.NotNil(t, p.KeyAdministrators, "an empty list stays set: it says there must be no administrators")
		assert.Len(t, p.AdobePrincipals, 2)
		require.NotNil(t, p.AllowKeyDeletion, "false is not unset")
		assert.False(t, *p.AllowKeyDeletion)
		assert.Equal(t, "012345678901", p.AdobePrincipals[0], "the leading zero stays: a string, not a number")
	})
	t.Run("unset lists stay unset", func(t *testing.T) {
		v, err := profile.Parse([]byte("region: us-east-1\n"))
		require.NoError(t, err)
		c := roundTrip(t, v)
		assert.NotContains(t, string(c), "key_administrators")
		assert.NotContains(t, string(c), "allow_key_deletion")
	})
}

func TestDerived(t *testing.T) {
	content, err := os.ReadFile("../../fixtures/profiles/aep-example.yaml")
	require.NoError(t, err)
	path := write(t, string(content))

	plain, err := profile.Load(path, noEnv)
	require.NoError(t, err)
	require.NoError(t, profile.Derived(content, nil, plain), "the file alone")

	overridden, err := profile.Load(path, env(map[string]string{"CMK_REGION": "eu-west-1", "CMK_KEY_USERS": ""}))
	require.NoError(t, err)
	require.Equal(t, []string{"CMK_REGION"}, overridden.Profile().Overrides)
	require.NoError(t, profile.Derived(content, overridden.Profile().Overrides, overridden), "a field an override names may differ")

	err = profile.Derived(content, nil, overridden)
	require.Error(t, err, "without the override, the region contradicts the file")
	assert.Contains(t, err.Error(), `field "region": the file gives "us-east-1", the profile judged has "eu-west-1"`)

	fewer, err := profile.Parse([]byte("region: us-east-1\n"))
	require.NoError(t, err)
	err = profile.Derived(content, nil, fewer)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `field "key_administrators": the file gives ["arn:aws:iam::111122223333:role/KMSKeyAdmin"], the profile judged has nothing (not set)`)
	assert.Contains(t, err.Error(), `field "adobe_principals"`)

	assert.ErrorContains(t, profile.Derived(content, []string{"CMK_COLOUR"}, plain), `"CMK_COLOUR" overrides no profile field`)
	assert.ErrorContains(t, profile.Derived([]byte("colour: red\n"), nil, plain), "does not read")
	assert.ErrorContains(t, profile.Derived([]byte("shield: gold\n"), nil, plain), "not valid")
	require.NoError(t, profile.Derived(nil, nil, profile.Default()), "no file, no profile")
}

// FuzzCanonical: every profile Parse accepts has a canonical form that
// parses back to the same fields and the same bytes.
func FuzzCanonical(f *testing.F) {
	for _, name := range []string{"aep-example.yaml", "healthcare.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../fixtures/profiles", name))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("key_users: []\nrequired_tags: {}\nallow_key_deletion: false\n"))
	f.Add([]byte("required_tags: {\"a\\nb\": \"'\\\"\", y: ~}\nalias_pattern: \"^alias/[\\\\w-]+$\"\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := profile.Parse(data)
		if err != nil {
			return
		}
		roundTrip(t, v)
	})
}
