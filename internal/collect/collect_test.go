package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/provisiontest"
)

func openEmbedded(t *testing.T) *targets.Conn {
	t.Helper()
	tg, err := targets.Open(context.Background(), keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	return tg
}

func makeKey(t *testing.T, tg *targets.Conn, v provision.Variant) *provision.Key {
	t.Helper()
	return provisiontest.CreateKey(t, tg.Config, provision.Spec{Account: tg.Account, Target: tg.Kind, Variant: v, AdobeAccounts: []string{"123456789012"}}, provisiontest.DeleteKey)
}

func TestCollectCorrectKey(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)

	s, rec, err := Key(context.Background(), tg, key.Alias, Options{Roundtrip: true})
	require.NoError(t, err)
	assert.Empty(t, s.Problems)
	require.NotNil(t, s.Key)
	assert.Equal(t, key.Arn, s.Key.Arn)
	assert.Equal(t, "us-east-1", s.Key.Region())
	assert.JSONEq(t, key.Policy, s.Policy)
	require.NotNil(t, s.Rotation)
	assert.True(t, s.Rotation.Enabled)
	assert.Nil(t, s.Rotation.RotationPeriodInDays, "local-kms does not report RotationPeriodInDays")
	assert.Equal(t, []keystate.Tag{{Key: "Adobe", Value: "Experience-Platform"}}, s.Tags)
	require.Len(t, s.Aliases, 1)
	assert.Equal(t, key.Alias, s.Aliases[0].Name)
	assert.Equal(t, key.KeyID, s.Aliases[0].TargetKeyID)
	assert.NotNil(t, s.Grants, "the grants were asked for")
	assert.Empty(t, s.Grants, "the guide's key has no grants")
	assert.JSONEq(t, `{"Grants": [], "Truncated": false}`, string(s.Raw[keystate.ListGrants]))

	// The live facts: where it asked, why there is no caller identity or
	// simulation, and what the round trip gave back.
	require.True(t, s.Live())
	assert.Equal(t, &keystate.TargetFacts{Kind: keystate.KindEmbedded, Region: "us-east-1", Account: tg.Account, Endpoint: tg.Endpoint}, s.Target)
	require.NotNil(t, s.Identity)
	assert.Nil(t, s.Identity.Caller)
	assert.Equal(t, "no STS on the embedded target", s.Identity.NotRun)
	require.NotNil(t, s.Simulation)
	assert.Equal(t, NoIAMReason, s.Simulation.NotRun)
	rt := s.RoundTrip
	require.NotNil(t, rt)
	assert.True(t, rt.Requested)
	assert.Nil(t, rt.Error)
	require.NotNil(t, rt.PlaintextMatches)
	assert.True(t, *rt.PlaintextMatches)
	assert.Equal(t, 32, rt.PlaintextBytes)
	assert.Equal(t, 32, rt.Decrypt.PlaintextBytes)
	assert.Equal(t, key.Arn, rt.Encrypt.KeyID)
	assert.Equal(t, key.Arn, rt.Decrypt.KeyID)
	assert.Positive(t, rt.Encrypt.CiphertextBytes)

	// The checks judge those facts as the collector once did.
	r := judged(t, s, "roundtrip: true")
	assert.Equal(t, checks.Pass, r["CMK-ACC-1"].Status, r["CMK-ACC-1"].Observed)
	assert.Contains(t, r["CMK-ACC-1"].Observed, "no STS")
	assert.Equal(t, checks.Skip, r["CMK-PRM-1"].Status)
	assert.Contains(t, r["CMK-PRM-1"].Observed, NoIAMReason)
	assert.Contains(t, r["CMK-PRM-1"].Observed, "the account's IAM policies were not read either")
	assert.Equal(t, checks.Pass, r["CMK-CFG-6"].Status, r["CMK-CFG-6"].Observed)

	// Inspect mode called only what it may, in this order, and nothing was refused.
	assert.Equal(t, []string{OpDescribeKey, OpGetKeyPolicy, OpGetKeyRotationStatus, OpListResourceTags, OpListAliases, OpListGrants, OpEncrypt, OpDecrypt}, rec.Calls)
	assert.Empty(t, rec.Refused)
	assert.Subset(t, ReadOnly(true), rec.Calls)
	assert.Equal(t, 8, rec.APICalls())
}

// The live path and the snapshot path read the same bytes the same way.
func TestLiveDecodesLikeASnapshot(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	live, _, err := Key(context.Background(), tg, key.KeyID, Options{})
	require.NoError(t, err)
	snapshot, err := live.Snapshot()
	require.NoError(t, err)
	offline, err := keystate.Decode(snapshot)
	require.NoError(t, err)
	assert.Equal(t, live.Key, offline.Key)
	assert.Equal(t, live.Policy, offline.Policy)
	assert.Equal(t, live.Rotation, offline.Rotation)
	assert.Equal(t, live.Tags, offline.Tags)
	assert.Equal(t, live.Aliases, offline.Aliases)
	assert.Equal(t, live.Grants, offline.Grants)
	assert.Equal(t, live.Problems, offline.Problems)
	assert.Equal(t, live.Target, offline.Target)
	assert.Equal(t, live.Identity, offline.Identity)
	assert.Equal(t, live.Simulation, offline.Simulation)
	assert.Equal(t, live.RoundTrip, offline.RoundTrip)
	assert.Equal(t, live.Raw, offline.Raw, "the answers byte for byte")
	assert.True(t, offline.Live(), "a saved capture says where it was asked")
	assert.False(t, live.RoundTrip.Requested, "roundtrip not requested in the options")
}

// Inspect mode never changes anything: a mutating call through the guarded
// client is refused before it is sent, and is not retried.
func TestGuardRefusesMutationsBeforeSending(t *testing.T) {
	tg := openEmbedded(t)
	ctx := context.Background()
	key := makeKey(t, tg, provision.Correct)
	seen := 0
	counting := counter{next: http.DefaultClient, n: &seen}
	cfg := tg.Config.Copy()
	cfg.HTTPClient = counting
	cfg, guard := Wrap(cfg, ReadOnly(false))
	c := kms.NewFromConfig(cfg)

	for _, call := range []struct {
		op string
		do func() error
	}{
		{"kms:CreateKey", func() error { _, err := c.CreateKey(ctx, &kms.CreateKeyInput{}); return err }},
		{"kms:ScheduleKeyDeletion", func() error {
			_, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: aws.String(key.KeyID)})
			return err
		}},
		{"kms:PutKeyPolicy", func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key.KeyID), Policy: aws.String("{}")})
			return err
		}},
		{"kms:DisableKey", func() error {
			_, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: aws.String(key.KeyID)})
			return err
		}},
		{"kms:Encrypt", func() error {
			_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: aws.String(key.KeyID), Plaintext: []byte("x")})
			return err
		}},
		{"kms:RevokeGrant", func() error {
			_, err := c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: aws.String(key.KeyID), GrantId: aws.String("g")})
			return err
		}},
		{"iam:CreateRole", func() error {
			_, err := iam.NewFromConfig(cfg).CreateRole(ctx, &iam.CreateRoleInput{RoleName: aws.String("r"), AssumeRolePolicyDocument: aws.String("{}")})
			return err
		}},
	} {
		err := call.do()
		var refused *RefusedError
		require.True(t, errors.As(err, &refused), "%s: %v", call.op, err)
		assert.Equal(t, call.op, refused.Op)
	}
	assert.Equal(t, 0, seen, "no refused request reached the network")
	assert.Empty(t, guard.Calls())
	assert.Equal(t, []string{"kms:CreateKey", "kms:ScheduleKeyDeletion", "kms:PutKeyPolicy", "kms:DisableKey", "kms:Encrypt", "kms:RevokeGrant", "iam:CreateRole"},
		guard.Refused(), "each refused once: refusals are not retried")

	// And nothing changed: the key is still there, enabled, alone.
	plain := kms.NewFromConfig(tg.Config)
	keys, err := plain.ListKeys(ctx, &kms.ListKeysInput{})
	require.NoError(t, err)
	assert.Len(t, keys.Keys, 1)
	d, err := plain.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	assert.Equal(t, "Enabled", string(d.KeyMetadata.KeyState))

	// Allowed reads pass and are recorded under their names.
	_, err = c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	_, err = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	assert.Equal(t, []string{OpDescribeKey, OpListGrants}, guard.Calls())
	assert.Equal(t, 2, seen)
}

// The query protocol (STS, IAM) is named from its Action and signing scope.
func TestGuardNamesQueryOperations(t *testing.T) {
	tg := openEmbedded(t)
	cfg, guard := Wrap(tg.Config, []string{OpGetCallerIdentity})
	// local-kms has no STS: the request is sent (allowed) and fails there.
	_, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	require.Error(t, err)
	var refused *RefusedError
	assert.False(t, errors.As(err, &refused))
	assert.Contains(t, guard.Calls(), OpGetCallerIdentity)
	_, err = sts.NewFromConfig(cfg).AssumeRole(context.Background(), &sts.AssumeRoleInput{RoleArn: aws.String("arn:aws:iam::111122223333:role/x"), RoleSessionName: aws.String("s")})
	require.True(t, errors.As(err, &refused), "%v", err)
	assert.Equal(t, "sts:AssumeRole", refused.Op)
}

func TestCollectMissingKey(t *testing.T) {
	tg := openEmbedded(t)
	s, rec, err := Key(context.Background(), tg, "alias/does-not-exist", Options{Roundtrip: true})
	require.NoError(t, err)
	assert.Nil(t, s.Key)
	assert.Contains(t, s.Problems[keystate.DescribeKey], "kms:DescribeKey failed")
	assert.Contains(t, s.Problems[keystate.DescribeKey], "alias/does-not-exist")
	for _, m := range keystate.Members[1:] {
		assert.Contains(t, s.Problems[m], "not asked", m)
	}
	assert.False(t, s.Answered(keystate.DescribeKey))
	assert.Contains(t, s.RoundTrip.NotRun, "the key ID is unknown because kms:DescribeKey failed")
	r := judged(t, s, "roundtrip: true")
	assert.Equal(t, checks.Error, r["CMK-ACC-1"].Status)
	assert.Contains(t, r["CMK-ACC-1"].Observed, "the KMS read failed: kms:DescribeKey failed")
	assert.Equal(t, checks.Error, r["CMK-CFG-6"].Status)
	assert.Equal(t, []string{OpDescribeKey}, rec.Calls, "a not-found answer is not retried")
}

// A call that fails leaves its member out, with a problem naming it.
func TestCollectFailedCallIsAProblem(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Imported) // local-kms: no rotation status for EXTERNAL keys
	s, _, err := Key(context.Background(), tg, key.KeyID, Options{})
	require.NoError(t, err)
	assert.Nil(t, s.Rotation)
	assert.Contains(t, s.Problems[keystate.GetKeyRotationStatus], "kms:GetKeyRotationStatus failed")
	assert.Contains(t, s.Problems[keystate.GetKeyRotationStatus], "UnsupportedOperationException")
	assert.NotContains(t, s.Raw, keystate.GetKeyRotationStatus)
	assert.NotNil(t, s.Key)
	assert.Empty(t, s.Problems[keystate.DescribeKey])
}

func TestRoundtripRefusedIsAFinding(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Disabled)
	s, _, err := Key(context.Background(), tg, key.KeyID, Options{Roundtrip: true})
	require.NoError(t, err)
	require.NotNil(t, s.RoundTrip.Error)
	assert.Equal(t, OpEncrypt, s.RoundTrip.Error.Operation)
	assert.Equal(t, "DisabledException", s.RoundTrip.Error.Code)
	assert.Nil(t, s.RoundTrip.PlaintextMatches)
	r := judged(t, s, "roundtrip: true")["CMK-CFG-6"]
	assert.Equal(t, checks.Fail, r.Status, "KMS refusing a disabled key is a finding, not a fault")
	assert.Contains(t, r.Observed, "kms:Encrypt was refused by KMS: DisabledException")
}

func TestAliasPagesAreMerged(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	c := kms.NewFromConfig(tg.Config)
	for i := range 60 {
		name := fmt.Sprintf("alias/extra-%02d", i)
		_, err := c.CreateAlias(context.Background(), &kms.CreateAliasInput{AliasName: aws.String(name), TargetKeyId: aws.String(key.KeyID)})
		require.NoError(t, err)
		t.Cleanup(func() { c.DeleteAlias(context.Background(), &kms.DeleteAliasInput{AliasName: aws.String(name)}) })
	}
	s, rec, err := Key(context.Background(), tg, key.KeyID, Options{})
	require.NoError(t, err)
	assert.Empty(t, s.Problems)
	assert.Len(t, s.Aliases, 61)
	n := 0
	for _, op := range rec.Calls {
		if op == OpListAliases {
			n++
		}
	}
	assert.Equal(t, 2, n, "two pages")
	var merged struct {
		Aliases   []json.RawMessage
		Truncated bool
	}
	require.NoError(t, json.Unmarshal(s.Raw[keystate.ListAliases], &merged))
	assert.Len(t, merged.Aliases, 61)
	assert.False(t, merged.Truncated)
}

// local-kms answers "Tags": null for a key without tags; that is an empty list.
func TestNullTagsAreEmpty(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.MissingTag)
	s, _, err := Key(context.Background(), tg, key.KeyID, Options{})
	require.NoError(t, err)
	assert.Empty(t, s.Problems)
	assert.NotNil(t, s.Tags)
	assert.Empty(t, s.Tags)
}

// A target that never answers costs the deadline, not a hang.
func TestDeadlineBoundsAHangingTarget(t *testing.T) {
	block := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-block:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(block)
	tg := openEmbedded(t)
	hanging := *tg
	hanging.Config = tg.Config.Copy()
	hanging.Config.BaseEndpoint = aws.String(srv.URL)
	start := time.Now()
	s, _, err := Key(context.Background(), &hanging, "alias/x", Options{Timeout: 500 * time.Millisecond})
	require.NoError(t, err)
	assert.Less(t, time.Since(start), 5*time.Second)
	assert.Contains(t, s.Problems[keystate.DescribeKey], "kms:DescribeKey failed")
}

func TestBadInput(t *testing.T) {
	tg := openEmbedded(t)
	_, _, err := Key(context.Background(), tg, "  ", Options{})
	assert.ErrorContains(t, err, "no key named")
	_, _, err = Key(context.Background(), nil, "k", Options{})
	assert.ErrorContains(t, err, "no target")
}

func TestSimulationPrincipal(t *testing.T) {
	for _, tc := range []struct{ in, want, why string }{
		{"arn:aws:iam::111122223333:user/alice", "arn:aws:iam::111122223333:user/alice", ""},
		{"arn:aws:iam::111122223333:role/path/Admin", "arn:aws:iam::111122223333:role/path/Admin", ""},
		{"arn:aws:sts::111122223333:assumed-role/Admin/session", "arn:aws:iam::111122223333:role/Admin", ""},
		{"arn:aws:iam::111122223333:root", "", "root user"},
		{"arn:aws:sts::111122223333:federated-user/bob", "", "neither an IAM user nor a role"},
		{"nonsense", "", "not an ARN"},
		// awsid's rule, not a count of colons: these were passed to the simulator.
		{"urn:aws:iam::111122223333:user/alice", "", "not an ARN"},
		{"arn::iam::111122223333:user/alice", "", "not an ARN"},
	} {
		got, why := simulationPrincipal(tc.in)
		assert.Equal(t, tc.want, got, tc.in)
		if tc.why != "" {
			assert.Contains(t, why, tc.why, tc.in)
		}
	}
}

// judged evaluates a collected state against a profile, by ID.
func judged(t *testing.T, s *keystate.State, profileYAML string) map[string]checks.Result {
	t.Helper()
	p, err := profile.Parse([]byte(profileYAML))
	require.NoError(t, err)
	out := map[string]checks.Result{}
	for _, r := range checks.Evaluate(s, p) {
		out[r.ID] = r
	}
	return out
}

type counter struct {
	next aws.HTTPClient
	n    *int
}

func (c counter) Do(r *http.Request) (*http.Response, error) {
	*c.n++
	return c.next.Do(r)
}
