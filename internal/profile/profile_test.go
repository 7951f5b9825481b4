package profile_test

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/profile"
)

func noEnv(string) string { return "" }

func env(m map[string]string) func(string) string { return func(k string) string { return m[k] } }

func write(t *testing.T, content string) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "profile.yaml")
	require.NoError(t, os.WriteFile(path, []byte(content), 0o600))
	return path
}

func TestExampleProfile(t *testing.T) {
	v, err := profile.Load("../../fixtures/profiles/aep-example.yaml", noEnv)
	require.NoError(t, err)
	p := v.Profile()
	assert.Equal(t, "us-east-1", p.Region)
	assert.Equal(t, []string{"222233334444", "767397686373", "730335345392", "891377157113"}, p.AdobeAccounts())
	assert.Equal(t, 365, p.MaxRotationPeriodDays)
	require.NotNil(t, p.AllowKeyDeletion)
	assert.True(t, *p.AllowKeyDeletion)
	assert.NotEmpty(t, p.Content)
}

func TestNoProfileIsEmpty(t *testing.T) {
	v, err := profile.Load("", noEnv)
	require.NoError(t, err)
	p := v.Profile()
	assert.Equal(t, profile.DefaultRotationDays, p.MaxRotationPeriodDays)
	assert.Nil(t, p.KeyAdministrators, "unset lists stay unset: no constraint")
	assert.Nil(t, p.AllowKeyDeletion)
}

func TestBadProfiles(t *testing.T) {
	tests := []struct{ name, yaml, want string }{
		{"unknown field", "regoin: us-east-1", `unknown field "regoin"`},
		{"wrong type", "roundtrip: sometimes", `field "roundtrip"`},
		{"list for a string", "region: [us-east-1]", `field "region"`},
		{"string for a list", "key_users: arn:aws:iam::111122223333:role/A", `field "key_users"`},
		{"bad regex", `alias_pattern: "([a-z"`, `field "alias_pattern"`},
		{"malformed admin ARN", "key_administrators: [arn:aws:iam::1111:role/A]", `field "key_administrators"[0]`},
		{"group is not a user or role", "key_users: ['arn:aws:iam::111122223333:group/G']", `field "key_users"[0]`},
		{"short account", "allowed_external_accounts: ['12345']", `field "allowed_external_accounts"[0]`},
		{"account as a number loses nothing but is checked", "adobe_principals: [767397686373, 'x']", `field "adobe_principals"[1]`},
		{"impossible region", "region: us-middle-9", `field "region"`},
		{"region typo", "region: useast1", `field "region"`},
		{"shield", "shield: gold", `field "shield"`},
		{"rotation too short", "max_rotation_period_days: 30", `field "max_rotation_period_days"`},
		{"rotation too long", "max_rotation_period_days: 9999", `field "max_rotation_period_days"`},
		{"bad key", "key: my key", `field "key"`},
		{"duplicate field", "region: us-east-1\nregion: us-east-2", `given twice`},
		{"not a mapping", "- a\n- b", "mapping"},
		{"two documents", "region: us-east-1\n---\nregion: us-east-2", "more than one"},
		{"not YAML", "region: [", "not valid YAML"},
		{"empty tag key", "required_tags: {'': x}", `field "required_tags"`},
		{"invalid UTF-8", "region: us-east-1\n# \xff\n", "UTF-8"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := profile.Load(write(t, tc.yaml), noEnv)
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestEnvironmentOverrides(t *testing.T) {
	path := write(t, "region: us-east-1\nroundtrip: false\n")
	v, err := profile.Load(path, env(map[string]string{
		"CMK_REGION":             "eu-west-1",
		"CMK_KEY_ID":             "alias/Adobe-Experience-Platform-Key",
		"CMK_ROUNDTRIP":          "true",
		"CMK_KEY_USERS":          "arn:aws:iam::111122223333:role/A, arn:aws:iam::111122223333:user/b",
		"CMK_REQUIRED_TAGS":      "Adobe=,Team=Security",
		"CMK_ALLOW_KEY_DELETION": "false",
	}))
	require.NoError(t, err)
	p := v.Profile()
	assert.Equal(t, "eu-west-1", p.Region)
	assert.Equal(t, "alias/Adobe-Experience-Platform-Key", p.Key)
	assert.True(t, p.Roundtrip)
	assert.Equal(t, []string{"arn:aws:iam::111122223333:role/A", "arn:aws:iam::111122223333:user/b"}, p.KeyUsers)
	assert.Equal(t, map[string]string{"Adobe": "", "Team": "Security"}, p.RequiredTags)
	require.NotNil(t, p.AllowKeyDeletion)
	assert.False(t, *p.AllowKeyDeletion)
	assert.Contains(t, p.Overrides, "CMK_REGION")
}

func TestBadEnvironment(t *testing.T) {
	for name, tc := range map[string]struct{ env, val, want string }{
		"bool":   {"CMK_ROUNDTRIP", "maybe", "CMK_ROUNDTRIP"},
		"int":    {"CMK_MAX_ROTATION_PERIOD_DAYS", "a year", "CMK_MAX_ROTATION_PERIOD_DAYS"},
		"map":    {"CMK_REQUIRED_TAGS", "=x", "CMK_REQUIRED_TAGS"},
		"region": {"CMK_REGION", "mars-1", `field "region"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := profile.Load("", env(map[string]string{tc.env: tc.val}))
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

func TestMissingFile(t *testing.T) {
	_, err := profile.Load(filepath.Join(t.TempDir(), "nope.yaml"), noEnv)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "nope.yaml")
}

func FuzzParse(f *testing.F) {
	for _, name := range []string{"aep-example.yaml", "healthcare.yaml"} {
		b, err := os.ReadFile(filepath.Join("../../fixtures/profiles", name))
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add([]byte("required_tags: {a: [1]}\nkey_users: {x: y}"))
	f.Add([]byte("&a [*a]"))
	f.Fuzz(func(t *testing.T, data []byte) {
		v, err := profile.Parse(data)
		if err == nil {
			_ = v.Profile().AdobeAccounts()
		}
	})
}

func TestMonitoringRequired(t *testing.T) {
	v, err := profile.Parse([]byte("monitoring_required: true\n"))
	require.NoError(t, err)
	assert.True(t, v.Profile().MonitoringRequired)

	v, err = profile.Load("", env(map[string]string{"CMK_MONITORING_REQUIRED": "true"}))
	require.NoError(t, err)
	assert.True(t, v.Profile().MonitoringRequired)
	assert.Contains(t, v.Profile().Overrides, "CMK_MONITORING_REQUIRED")

	_, err = profile.Load("", env(map[string]string{"CMK_MONITORING_REQUIRED": "sometimes"}))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "CMK_MONITORING_REQUIRED")

	_, err = profile.Parse([]byte("monitoring_required: often\n"))
	require.Error(t, err)
}
