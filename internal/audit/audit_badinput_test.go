package audit

import (
	"context"
	"net"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// Conflicting and unusable options that TestBadOptions does not cover:
// each is an error that names the option or variable, before any key is
// made.
func TestConflictingOptions(t *testing.T) {
	p := loadProfile(t, profileYAML)
	tg := open(t, targets.DefaultAccount)
	tests := []struct {
		name string
		opts Options
		want []string
	}{
		{"a key named and a self-test variant", Options{Conn: tg, Profile: p, Key: "alias/mine", Variant: provision.Disabled},
			[]string{"alias/mine", "disabled variant", "conflict"}},
		{"an unknown variant", Options{Conn: tg, Profile: p, Variant: "sideways"},
			[]string{`unknown variant "sideways"`}},
		// CMK_TARGET and CMK_PROVISION are read at the edge: internal/env
		// tests their bad values with these same assertions.
		{"a target kind in capitals", Options{Profile: p, Target: "AWS"},
			[]string{`unknown kind "AWS"`}},
		{"a bad region for the embedded target", Options{Profile: p, Region: "mars-1"},
			[]string{`"mars-1" is not an AWS region`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Run(context.Background(), tc.opts)
			require.Error(t, err)
			assert.Nil(t, out)
			for _, w := range tc.want {
				assert.Contains(t, err.Error(), w)
			}
		})
	}
	assert.Empty(t, keyStates(t, tg), "no key was made")
}

// CMK_PROVISION=1 on aws without credentials (or without a region) is a
// plain error at once, not a hang. The environment is emptied of every
// credential source, and the endpoint is a closed local port, so nothing
// can reach AWS whatever the machine holds.
func TestAWSWithoutCredentials(t *testing.T) {
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE", "AWS_DEFAULT_PROFILE",
		"AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
		"AWS_DEFAULT_REGION"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	require.NoError(t, l.Close())
	// The SDK's own variables: the aws target takes its default chain.
	t.Setenv("AWS_ENDPOINT_URL", "http://"+l.Addr().String())
	p := loadProfile(t, "shield: privacy-security") // no region in the profile

	for _, tc := range []struct {
		name, region, want string
	}{
		{"no credentials", "us-east-1", "no usable AWS credentials"},
		{"no region", "", "no region: set the profile's region, AWS_REGION"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t.Setenv("AWS_REGION", tc.region)
			ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
			defer cancel()
			start := time.Now()
			_, err := Run(ctx, Options{Target: keystate.KindAWS, Profile: p, Provision: true})
			require.Error(t, err)
			assert.Contains(t, err.Error(), tc.want)
			assert.Less(t, time.Since(start), 20*time.Second, "an error, not a wait for the deadline")
		})
	}
}
