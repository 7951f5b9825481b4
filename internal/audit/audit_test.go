package audit

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
	"github.com/aep-cmk/cmkcheck/internal/testkit/provisiontest"
)

const profileYAML = `
region: us-east-1
shield: privacy-security
key_administrators: [arn:aws:iam::111122223333:role/KeyAdmin]
key_users: [arn:aws:iam::111122223333:role/KeyUser]
allow_key_deletion: false
adobe_principals: ["222233334444"]
roundtrip: true
`

func loadProfile(t *testing.T, yaml string) profile.Valid {
	t.Helper()
	p, err := profile.Parse([]byte(yaml))
	require.NoError(t, err)
	return p
}

func open(t *testing.T, account string) *targets.Conn {
	t.Helper()
	tg, err := targets.Open(context.Background(), keystate.KindEmbedded, "us-east-1", account)
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	return tg
}

func keyStates(t *testing.T, tg *targets.Conn) map[string]types.KeyState {
	t.Helper()
	c := kms.NewFromConfig(tg.Config)
	keys, err := c.ListKeys(context.Background(), &kms.ListKeysInput{})
	require.NoError(t, err)
	out := map[string]types.KeyState{}
	for _, k := range keys.Keys {
		d, err := c.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: k.KeyId})
		require.NoError(t, err)
		out[aws.ToString(k.KeyId)] = d.KeyMetadata.KeyState
	}
	return out
}

// Inspect mode on a key provisioned as the guide says: READY, read-only.
func TestInspectProvisionedKeyIsReady(t *testing.T) {
	p := loadProfile(t, profileYAML)
	tg := open(t, targets.DefaultAccount)
	key := provisiontest.CreateKey(t, tg.Config, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind), provisiontest.DeleteKey)

	out, err := Run(context.Background(), Options{Conn: tg, Profile: p, Key: key.Alias})
	require.NoError(t, err)
	assert.Nil(t, out.Provisioned)
	assert.Equal(t, checks.Ready, out.Run.Verdict, "%+v", nonPass(out.Run.Results))
	assert.Equal(t, key.Arn, out.Run.KeyARN)
	assert.Equal(t, targets.DefaultAccount, out.Run.Account)
	assert.Equal(t, "us-east-1", out.Run.Region)
	assert.Equal(t, keystate.KindEmbedded, out.Run.Target.Kind)
	assert.NotEmpty(t, out.Run.RunID)
	assert.False(t, out.Run.End.Before(out.Run.Start))
	assert.Subset(t, collect.ReadOnly(true), out.Record.Calls, "inspect mode called only allowed operations")
	assert.Empty(t, out.Record.Refused)
	assert.Equal(t, map[string]types.KeyState{key.KeyID: types.KeyStateEnabled}, keyStates(t, tg), "inspecting changed nothing")
	ids := map[string]bool{}
	for _, r := range out.Run.Results {
		ids[r.ID] = true
	}
	assert.Len(t, ids, len(out.Run.Results), "one result per requirement")
}

// With no key named, an emulator run provisions one and always cleans up.
func TestProvisionsAndCleansUpOnEmulator(t *testing.T) {
	p := loadProfile(t, profileYAML)
	tg := open(t, targets.DefaultAccount)
	out, err := Run(context.Background(), Options{Conn: tg, Profile: p})
	require.NoError(t, err)
	require.NotNil(t, out.Provisioned)
	assert.Equal(t, checks.Ready, out.Run.Verdict, "%+v", nonPass(out.Run.Results))
	assert.Equal(t, map[string]types.KeyState{out.Provisioned.KeyID: types.KeyStatePendingDeletion}, keyStates(t, tg))

	// A wrong variant too, and a run whose collection has problems.
	out, err = Run(context.Background(), Options{Conn: tg, Profile: p, Variant: provision.Disabled})
	require.NoError(t, err)
	assert.Equal(t, checks.NotReady, out.Run.Verdict)
	for id, st := range keyStates(t, tg) {
		assert.Equal(t, types.KeyStatePendingDeletion, st, id)
	}
}

// The embedded target acts in the account the profile's principals name.
func TestEmbeddedAccountFromProfile(t *testing.T) {
	p := loadProfile(t, strings.ReplaceAll(profileYAML, "111122223333", "444455556666"))
	out, err := Run(context.Background(), Options{Profile: p})
	require.NoError(t, err)
	assert.Equal(t, "444455556666", out.Target.Account)
	assert.True(t, strings.HasPrefix(out.Run.KeyARN, "arn:aws:kms:us-east-1:444455556666:key/"), out.Run.KeyARN)
	assert.Equal(t, checks.Ready, out.Run.Verdict, "%+v", nonPass(out.Run.Results))
}

// A key named by its ARN is looked for in the ARN's account: on LocalStack
// the access key decides the account, and a key made under another one is
// "not found" anywhere else. The profile's principals decide only for a key
// ID or alias, which names no account.
func TestEmulatorAccountFollowsTheKeyARN(t *testing.T) {
	p := loadProfile(t, profileYAML).Profile()
	for _, c := range []struct{ key, want string }{
		{"arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab", "444455556666"},
		{" arn:aws:kms:us-east-1:444455556666:alias/Adobe-Experience-Platform-Key ", "444455556666"},
		{"1234abcd-12ab-34cd-56ef-1234567890ab", "111122223333"},
		{"alias/Adobe-Experience-Platform-Key", "111122223333"},
		{"", "111122223333"},
		{"arn:aws:iam::444455556666:role/KeyAdmin", "111122223333"}, // not a key
		{"arn:aws:kms:us-east-1::key/1234", "111122223333"},         // no account in it
	} {
		assert.Equal(t, c.want, EmulatorAccount(c.key, p), "%q", c.key)
	}
	assert.Equal(t, "444455556666", EmulatorAccount("arn:aws:kms:us-east-1:444455556666:key/x", nil))
	assert.Empty(t, EmulatorAccount("alias/x", nil))
}

// A key DescribeKey says is not there, or may not be read, is one error
// naming the key, the account and the region: nothing is judged, so no
// run. Any other DescribeKey failure (a throttle) is a run whose checks
// are ERROR, never PASS.
// The account an emulator is opened in: a key ARN's own first; on
// LocalStack then the account the credentials name; then the profile's.
// The embedded target has no credentials to say one.
func TestTargetAccount(t *testing.T) {
	p := loadProfile(t, profileYAML).Profile() // principals of 111122223333
	creds := targets.Opener{LocalStackAccount: "777788889999"}
	arn := "arn:aws:kms:us-east-1:444455556666:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	for _, c := range []struct {
		kind, key string
		o         targets.Opener
		want      string
	}{
		{keystate.KindLocalStack, arn, creds, "444455556666"},
		{keystate.KindLocalStack, "alias/mine", creds, "777788889999"},
		{keystate.KindLocalStack, "", creds, "777788889999"},
		{keystate.KindLocalStack, "alias/mine", targets.Opener{}, "111122223333"},
		{keystate.KindEmbedded, "alias/mine", creds, "111122223333"},
		{"", arn, creds, "444455556666"},
		{keystate.KindAWS, arn, creds, ""},
	} {
		assert.Equal(t, c.want, targetAccount(c.kind, c.key, p, c.o), "%s %q %+v", c.kind, c.key, c.o)
	}
	assert.Equal(t, "777788889999", targetAccount(keystate.KindLocalStack, "alias/x", nil, creds))
	assert.Empty(t, targetAccount(keystate.KindLocalStack, "alias/x", nil, targets.Opener{}))
}

func TestUnreadableKeyIsOneErrorNotARun(t *testing.T) {
	p := loadProfile(t, profileYAML)
	tg := open(t, targets.DefaultAccount)
	through := func(rules ...faultproxy.Rule) *targets.Conn {
		proxy, err := faultproxy.New(tg.Endpoint, rules...)
		require.NoError(t, err)
		t.Cleanup(proxy.Close)
		c := *tg
		c.Endpoint = proxy.URL
		c.Config = tg.Config.Copy()
		c.Config.BaseEndpoint = aws.String(proxy.URL)
		return &c
	}
	made, err := provision.CreateKeyE(context.Background(), tg.Config, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, provision.DeleteKeyE(context.Background(), tg.Config, made)) })

	for _, tc := range []struct {
		name, key, code string
		conn            *targets.Conn
	}{
		{"an alias that is not there", "alias/not-there", "NotFoundException", tg},
		{"a key ID that is not there", "1234abcd-12ab-34cd-56ef-1234567890ab", "NotFoundException", tg},
		{"not a key at all", "not a key!", "NotFoundException", tg},
		{"DescribeKey denied", made.KeyID, "AccessDeniedException",
			through(faultproxy.Rule{Operation: "DescribeKey", Fault: faultproxy.AccessDenied})},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := Run(context.Background(), Options{Conn: tc.conn, Profile: p, Key: tc.key})
			assert.Nil(t, out, "nothing was judged")
			var unread *UnreadableKeyError
			require.ErrorAs(t, err, &unread)
			assert.Equal(t, tc.key, unread.Key)
			assert.Equal(t, targets.DefaultAccount, unread.Account)
			assert.Equal(t, "us-east-1", unread.Region)
			assert.Contains(t, err.Error(), tc.code)
			assert.Contains(t, err.Error(), "account 111122223333, region us-east-1")
			assert.NotContains(t, err.Error(), "\n")
		})
	}

	t.Run("a throttled DescribeKey is judged, as ERROR", func(t *testing.T) {
		conn := through(faultproxy.Rule{Operation: "DescribeKey", Fault: faultproxy.Throttling})
		out, err := Run(context.Background(), Options{Conn: conn, Profile: p, Key: made.KeyID})
		require.NoError(t, err)
		assert.Equal(t, checks.NotReady, out.Run.Verdict)
		for _, r := range out.Run.Results {
			if r.ID == "CMK-AVL-1" { // judged on the profile alone
				continue
			}
			assert.NotEqual(t, checks.Pass, r.Status, "%s passed without evidence: %s", r.ID, r.Observed)
		}
	})
}

func TestBadOptions(t *testing.T) {
	p := loadProfile(t, profileYAML)
	ctx := context.Background()
	_, err := Run(ctx, Options{Target: "gcp", Profile: p})
	assert.ErrorContains(t, err, `unknown kind "gcp"`)

	_, err = Run(ctx, Options{Target: keystate.KindAWS, Profile: p})
	assert.ErrorContains(t, err, "no key named for the aws target")
	assert.ErrorContains(t, err, "CMK_PROVISION=1")

	_, err = Run(ctx, Options{Target: keystate.KindAWS, Profile: p, Variant: provision.HMAC})
	assert.ErrorContains(t, err, "creates a real key")

	// A bad CMK_PROVISION and CMK_TARGET are the edge's to refuse
	// (internal/env); a bad kind given as a value is refused here.
	_, err = Run(ctx, Options{Profile: p, Target: "moon"})
	assert.ErrorContains(t, err, `unknown kind "moon"`)

	tg := open(t, targets.DefaultAccount)
	_, err = Run(ctx, Options{Conn: tg, Profile: p, Variant: provision.MultiRegion})
	var unsup *provision.UnsupportedError
	assert.True(t, errors.As(err, &unsup), "%v", err)
}

func TestNilProfileIsEmpty(t *testing.T) {
	tg := open(t, targets.DefaultAccount)
	out, err := Run(context.Background(), Options{Conn: tg})
	require.NoError(t, err)
	assert.NotEmpty(t, out.Run.Results)
	assert.NotEmpty(t, out.Run.Profile.SHA256)
}

func nonPass(rs []checks.Result) map[string]string {
	out := map[string]string{}
	for _, r := range rs {
		if r.Status != checks.Pass {
			out[r.ID] = string(r.Status) + ": " + r.Observed
		}
	}
	return out
}
