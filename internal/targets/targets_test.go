package targets

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

func TestEmbeddedServesKMS(t *testing.T) {
	ctx := context.Background()
	tg, err := Open(ctx, "", "", "")
	require.NoError(t, err)
	defer tg.Close()

	assert.Equal(t, keystate.KindEmbedded, tg.Kind)
	assert.Equal(t, DefaultAccount, tg.Account)
	assert.Equal(t, DefaultRegion, tg.Region)
	assert.True(t, strings.HasPrefix(tg.Endpoint, "http://127.0.0.1:"), tg.Endpoint)
	assert.False(t, tg.HasSTS())
	assert.Nil(t, tg.Caller)

	c := kms.NewFromConfig(tg.Config)
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{Description: aws.String("targets test")})
	require.NoError(t, err)
	assert.Equal(t, "arn:aws:kms:us-east-1:111122223333:key/"+aws.ToString(out.KeyMetadata.KeyId), aws.ToString(out.KeyMetadata.Arn))
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: out.KeyMetadata.KeyId})
	require.NoError(t, err)
	assert.Equal(t, types.KeyStateEnabled, d.KeyMetadata.KeyState)
}

func TestEmbeddedAccountRegionFromArguments(t *testing.T) {
	ctx := context.Background()
	tg, err := Open(ctx, keystate.KindEmbedded, "eu-west-1", "123456789012")
	require.NoError(t, err)
	defer tg.Close()
	out, err := kms.NewFromConfig(tg.Config).CreateKey(ctx, &kms.CreateKeyInput{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(aws.ToString(out.KeyMetadata.Arn), "arn:aws:kms:eu-west-1:123456789012:key/"))

	// Same account and region: a second embedded target may be open at once.
	tg2, err := Open(ctx, keystate.KindEmbedded, "eu-west-1", "123456789012")
	require.NoError(t, err)
	tg2.Close()

	// Another account while one is open: local-kms could not keep both.
	_, err = Open(ctx, keystate.KindEmbedded, "us-east-1", "123456789012")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "one account and region per process")
}

func TestEmbeddedCloseRemovesDatabase(t *testing.T) {
	tg, err := Open(context.Background(), keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	dir := tg.dataDir
	require.DirExists(t, dir)
	tg.Close()
	tg.Close() // twice is fine
	assert.NoDirExists(t, dir)
	_, err = os.Stat(dir)
	assert.True(t, errors.Is(err, os.ErrNotExist))
}

// A local-kms panic (PutKeyPolicy on an RSA key) is an answer, not a hang.
func TestEmbeddedPanicIsAnError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	tg, err := Open(ctx, keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	defer tg.Close()
	c := kms.NewFromConfig(tg.Config)
	out, err := c.CreateKey(ctx, &kms.CreateKeyInput{KeySpec: types.KeySpecRsa2048, KeyUsage: types.KeyUsageTypeSignVerify})
	require.NoError(t, err)
	_, err = c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: out.KeyMetadata.KeyId, PolicyName: aws.String("default"), Policy: aws.String("{}")})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "local-kms failed")
}

func TestOpenRejectsBadInput(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct{ kind, region, account, want string }{
		{"gcp", "", "", `unknown kind "gcp"`},
		{"embedded", "moon-1", "", `"moon-1" is not an AWS region`},
		{"embedded", "", "12345", `"12345" is not a 12-digit`},
	} {
		_, err := Open(ctx, tc.kind, tc.region, tc.account)
		require.Error(t, err, tc)
		assert.Contains(t, err.Error(), tc.want)
	}
}

// Without an endpoint and without a way to start one (the zero Opener, as
// in the plain cmkcheck binary), asking for LocalStack is an error that
// says how to get one, never a silent skip. internal/container tests the
// same with a starter and no Docker engine.
func TestLocalStackWithoutEndpointOrDockerIsAnError(t *testing.T) {
	_, err := Open(context.Background(), keystate.KindLocalStack, "", "")
	require.Error(t, err)
	assert.ErrorIs(t, err, ErrNoLocalStack)
	assert.Contains(t, err.Error(), "scripts/localstack.sh start")
}

func TestLocalStackUnreachableEndpointIsAnError(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, err := Opener{LocalStackEndpoint: "http://127.0.0.1:1"}.Open(ctx, keystate.KindLocalStack, "", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sts:GetCallerIdentity")
}

// Runs where a LocalStack answers (scripts/localstack.sh start, then
// LOCALSTACK_ENDPOINT=http://127.0.0.1:4566).
func TestLocalStackActsInTheAccountAskedFor(t *testing.T) {
	endpoint := os.Getenv("LOCALSTACK_ENDPOINT")
	if endpoint == "" {
		t.Skip("LOCALSTACK_ENDPOINT is not set: no LocalStack to test against here")
	}
	ctx := context.Background()
	tg, err := Opener{LocalStackEndpoint: endpoint}.Open(ctx, keystate.KindLocalStack, "eu-west-1", "444455556666")
	require.NoError(t, err)
	defer tg.Close()
	assert.Equal(t, "444455556666", tg.Account)
	require.NotNil(t, tg.Caller)
	assert.Equal(t, "444455556666", tg.Caller.Account)
	assert.JSONEq(t, `{"Account":"444455556666","Arn":"`+tg.Caller.Arn+`","UserId":"`+tg.Caller.UserID+`"}`, string(tg.CallerAnswer))
	out, err := kms.NewFromConfig(tg.Config).CreateKey(ctx, &kms.CreateKeyInput{})
	require.NoError(t, err)
	assert.True(t, strings.HasPrefix(aws.ToString(out.KeyMetadata.Arn), "arn:aws:kms:eu-west-1:444455556666:key/"))
	_, err = kms.NewFromConfig(tg.Config).ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: out.KeyMetadata.KeyId, PendingWindowInDays: aws.Int32(7)})
	require.NoError(t, err)
}

// The Opener's settings: DefaultRegion is LocalStack's and AWS's region
// when none is named (checked like any region), never the embedded
// target's; a starter is asked only without an endpoint, and what it
// started is stopped when the target cannot be used.
func TestOpenerSettings(t *testing.T) {
	ctx := context.Background()
	tg, err := Opener{DefaultRegion: "eu-west-1"}.Open(ctx, keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	assert.Equal(t, DefaultRegion, tg.Region, "the embedded target keeps its own default")
	tg.Close()

	_, err = Opener{DefaultRegion: "moon-1", LocalStackEndpoint: "http://127.0.0.1:1"}.Open(ctx, keystate.KindLocalStack, "", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `default region "moon-1" (AWS_REGION) is not an AWS region`)

	started, stopped := 0, 0
	start := func(context.Context) (string, func(), error) {
		started++
		return "http://127.0.0.1:1", func() { stopped++ }, nil
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err = Opener{StartLocalStack: start}.Open(ctx, keystate.KindLocalStack, "", "")
	require.Error(t, err, "nothing answers at the started endpoint")
	assert.Contains(t, err.Error(), "sts:GetCallerIdentity")
	assert.Equal(t, 1, started)
	assert.Equal(t, 1, stopped, "the started LocalStack is stopped again")

	_, err = Opener{StartLocalStack: start, LocalStackEndpoint: "http://127.0.0.1:1"}.Open(ctx, keystate.KindLocalStack, "", "")
	require.Error(t, err)
	assert.Equal(t, 1, started, "an endpoint given: nothing is started")

	for _, role := range []string{"KeyAuditor", "arn:aws:iam::111122223333:user/Bob", "arn:aws:sts::111122223333:role/X"} {
		_, err = Opener{AssumeRole: role}.Open(ctx, keystate.KindAWS, "us-east-1", "")
		require.Error(t, err, role)
		assert.Contains(t, err.Error(), "is not an IAM role ARN", "refused before any AWS call")
	}

	failing := func(context.Context) (string, func(), error) {
		return "", nil, fmt.Errorf("%w; no Docker engine", ErrNoLocalStack)
	}
	_, err = Opener{StartLocalStack: failing}.Open(ctx, keystate.KindLocalStack, "", "")
	assert.ErrorIs(t, err, ErrNoLocalStack)
	assert.Contains(t, err.Error(), "target localstack: ")
}

// LocalStack's convention, which the AWS CLI follows: a 12-digit access
// key ID names the account; anything else names none (LocalStack's
// default, 000000000000).
func TestAccessKeyAccount(t *testing.T) {
	for id, want := range map[string]string{
		"111122223333":         "111122223333",
		"000000000000":         "000000000000",
		"test":                 "",
		"AKIAIOSFODNN7EXAMPLE": "",
		"":                     "",
		"11112222333":          "",
		"1111222233334":        "",
		" 111122223333":        "",
	} {
		assert.Equal(t, want, AccessKeyAccount(id), "%q", id)
	}
	_, err := Opener{LocalStackAccount: "1234", LocalStackEndpoint: "http://127.0.0.1:1"}.Open(context.Background(), keystate.KindLocalStack, "", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), `"1234" is not a 12-digit AWS account ID`)
}

// With no account asked for, LocalStack acts in the credentials' account,
// else in its default one: never silently somewhere else.
func TestLocalStackActsInTheCredentialsAccount(t *testing.T) {
	endpoint := os.Getenv("LOCALSTACK_ENDPOINT")
	if endpoint == "" {
		t.Skip("LOCALSTACK_ENDPOINT is not set: no LocalStack to test against here")
	}
	ctx := context.Background()
	for given, want := range map[string]string{"444455556666": "444455556666", "": LocalStackDefaultAccount} {
		tg, err := Opener{LocalStackEndpoint: endpoint, LocalStackAccount: given}.Open(ctx, keystate.KindLocalStack, "", "")
		require.NoError(t, err)
		assert.Equal(t, want, tg.Account)
		tg.Close()
	}
}

// Only LocalStack reaches an account by naming it; the embedded target has
// one account, and AWS needs a role.
func TestInAccountIsLocalStacks(t *testing.T) {
	tg, err := Open(context.Background(), keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	defer tg.Close()
	_, err = tg.InAccount(context.Background(), "444455556666", nil)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "only LocalStack")
}
