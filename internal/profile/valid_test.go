package profile_test

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// The default profile is written once: Default, the zero Valid, no file and
// an empty file are the same profile.
func TestDefaultIsOneProfile(t *testing.T) {
	loaded, err := profile.Load("", noEnv)
	require.NoError(t, err)
	parsed, err := profile.Parse(nil)
	require.NoError(t, err)
	d := profile.Default().Profile()
	assert.Equal(t, profile.DefaultRotationDays, d.MaxRotationPeriodDays)
	assert.Equal(t, d, loaded.Profile())
	assert.Equal(t, d, parsed.Profile())
	assert.Equal(t, d, profile.Valid{}.Profile(), "the zero Valid is the default profile")
	assert.Nil(t, profile.Valid{}.AliasRE())
	var none *profile.Profile
	v, err := none.Validate()
	require.NoError(t, err)
	assert.Equal(t, d, v.Profile(), "no profile is the empty one")
}

// Validation fills in what the checks rely on: the compiled alias pattern
// and the rotation maximum. A Valid cannot be had without it.
func TestValidationFillsWhatChecksRead(t *testing.T) {
	v, err := profile.Parse([]byte(`alias_pattern: "^alias/Adobe-"`))
	require.NoError(t, err)
	require.NotNil(t, v.AliasRE())
	assert.True(t, v.AliasRE().MatchString("alias/Adobe-Experience-Platform-Key"))
	assert.Equal(t, profile.DefaultRotationDays, v.Profile().MaxRotationPeriodDays)

	raw := &profile.Profile{AliasPattern: "^alias/aep-", MaxRotationPeriodDays: 0}
	v, err = raw.Validate()
	require.NoError(t, err)
	assert.True(t, v.AliasRE().MatchString("alias/aep-key"))
	assert.Equal(t, profile.DefaultRotationDays, v.Profile().MaxRotationPeriodDays)
	assert.Equal(t, 0, raw.MaxRotationPeriodDays, "Validate leaves its input as it was")

	_, err = (&profile.Profile{AliasPattern: "([a-z"}).Validate()
	assert.ErrorContains(t, err, `field "alias_pattern"`)
	_, err = (&profile.Profile{MaxRotationPeriodDays: 30}).Validate()
	assert.ErrorContains(t, err, `field "max_rotation_period_days"`)
}

// What Profile returns is a copy: changing it, down to its lists and maps,
// changes nothing validated.
func TestValidIsNotChangedThroughItsCopy(t *testing.T) {
	v, err := profile.Load("../../fixtures/profiles/aep-example.yaml", noEnv)
	require.NoError(t, err)
	c := v.Profile()
	c.Region = "eu-west-1"
	c.KeyAdministrators[0] = "arn:aws:iam::999988887777:role/Intruder"
	c.RequiredTags["Team"] = "x"
	*c.AllowKeyDeletion = false
	c.MaxRotationPeriodDays = 0

	again := v.Profile()
	assert.Equal(t, "us-east-1", again.Region)
	assert.Equal(t, "arn:aws:iam::111122223333:role/KMSKeyAdmin", again.KeyAdministrators[0])
	assert.Equal(t, map[string]string{"Adobe": ""}, again.RequiredTags)
	assert.True(t, *again.AllowKeyDeletion)
	assert.Equal(t, 365, again.MaxRotationPeriodDays)
}
