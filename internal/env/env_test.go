package env

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/targets"
)

func env(kv map[string]string) Vars { return func(k string) string { return kv[k] } }

// Bad values of CMK_TARGET and CMK_PROVISION: an error naming the
// variable and the value (these were audit's assertions when audit read
// the environment itself).
func TestBadValues(t *testing.T) {
	for v, want := range map[string]string{
		"AWS":  `unknown kind "AWS"`,
		"moon": `unknown kind "moon"`,
		"gcp":  `unknown kind "gcp"`,
	} {
		_, err := env(map[string]string{Target: v}).Target("")
		require.Error(t, err, v)
		assert.Contains(t, err.Error(), want)
		assert.Contains(t, err.Error(), "CMK_TARGET")
	}
	for _, v := range []string{"maybe", "yes please", "2"} {
		_, err := env(map[string]string{Provision: v}).Provision()
		require.Error(t, err, v)
		assert.Contains(t, err.Error(), `CMK_PROVISION="`+v+`"`)
	}
}

func TestTarget(t *testing.T) {
	for _, tc := range []struct{ env, flag, want string }{
		{"", "", ""}, // the audit's default: embedded
		{"localstack", "", "localstack"},
		{"aws", "embedded", "embedded"}, // the flag wins
		{"moon", "aws", "aws"},          // a variable the flag overrides is not read
	} {
		got, err := env(map[string]string{Target: tc.env}).Target(tc.flag)
		require.NoError(t, err, tc)
		assert.Equal(t, tc.want, got, tc)
	}
}

func TestProvision(t *testing.T) {
	for v, want := range map[string]bool{"": false, "1": true, "true": true, "0": false, "false": false} {
		got, err := env(map[string]string{Provision: v}).Provision()
		require.NoError(t, err, v)
		assert.Equal(t, want, got, v)
	}
}

func TestOpener(t *testing.T) {
	assert.Equal(t, targets.Opener{}, env(nil).Opener(), "an empty environment is the zero Opener")
	o := env(map[string]string{
		Region: "eu-west-1", LocalStackEndpoint: "http://127.0.0.1:4568", EndpointURL: "http://elsewhere", AssumeRole: "arn:aws:iam::111122223333:role/Audit",
	}).Opener()
	assert.Equal(t, targets.Opener{DefaultRegion: "eu-west-1", LocalStackEndpoint: "http://127.0.0.1:4568", AssumeRole: "arn:aws:iam::111122223333:role/Audit"}, o,
		"LOCALSTACK_ENDPOINT wins over AWS_ENDPOINT_URL")
	o = env(map[string]string{EndpointURL: "http://127.0.0.1:4568"}).Opener()
	assert.Equal(t, "http://127.0.0.1:4568", o.LocalStackEndpoint, "AWS_ENDPOINT_URL when LOCALSTACK_ENDPOINT is unset")
	assert.Nil(t, o.StartLocalStack, "the edge that may start containers sets the starter itself")

	// LocalStack's multi-account convention: only a 12-digit access key ID
	// names an account, and only that account is passed on.
	o = env(map[string]string{AccessKeyID: "111122223333"}).Opener()
	assert.Equal(t, "111122223333", o.LocalStackAccount)
	for _, id := range []string{"test", "AKIAIOSFODNN7EXAMPLE"} {
		assert.Equal(t, targets.Opener{}, env(map[string]string{AccessKeyID: id}).Opener(), id)
	}
}

func TestLocalStackContainerAndSwitches(t *testing.T) {
	e := env(map[string]string{LocalStackImage: "localstack/localstack:4.14.0", LocalStackToken: "tok", SkipTeardown: "1",
		LocalStackNetwork: "host", LocalStackPort: "4575", LocalStackPull: "never"})
	assert.Equal(t, Container{Image: "localstack/localstack:4.14.0", AuthToken: "tok", Network: "host", Port: "4575", Pull: "never"},
		e.LocalStackContainer())
	assert.True(t, e.IsSet(SkipTeardown))
	assert.False(t, e.IsSet(SkipSetup))
}

func TestNoIAM(t *testing.T) {
	for v, want := range map[string]bool{"": false, "1": true, "true": true, "0": false} {
		got, err := env(map[string]string{NoIAM: v}).NoIAM(false)
		require.NoError(t, err, v)
		assert.Equal(t, want, got, v)
	}
	got, err := env(map[string]string{NoIAM: "nonsense"}).NoIAM(true)
	require.NoError(t, err, "the flag wins; the variable is not read")
	assert.True(t, got)
	_, err = env(map[string]string{NoIAM: "maybe"}).NoIAM(false)
	require.Error(t, err)
	assert.Contains(t, err.Error(), `CMK_NO_IAM="maybe"`)
}
