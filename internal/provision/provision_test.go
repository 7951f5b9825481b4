package provision

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
)

const adobe = "123456789012"

func openEmbedded(t *testing.T) *targets.Conn {
	t.Helper()
	tg, err := targets.Open(context.Background(), keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	return tg
}

// createKey is internal/testkit/provisiontest.CreateKey, which this package's own
// tests cannot import (it imports provision).
func createKey(t *testing.T, cfg aws.Config, s Spec) *Key {
	t.Helper()
	key, err := CreateKeyE(t.Context(), cfg, s)
	require.NoError(t, err)
	t.Cleanup(func() { assert.NoError(t, DeleteKeyE(context.Background(), cfg, key)) })
	return key
}

func spec(v Variant) Spec {
	return Spec{Account: targets.DefaultAccount, Target: keystate.KindEmbedded, Variant: v, AdobeAccounts: []string{adobe}}
}

func TestConsolePolicyShape(t *testing.T) {
	s := spec(Correct)
	require.NoError(t, s.defaults())
	console, final := s.Policies()
	require.Len(t, console.Statement, 4)
	assert.Equal(t, RootSid, console.Statement[0].Sid)
	assert.Equal(t, "kms:*", console.Statement[0].Action)
	assert.Equal(t, ConsoleAdminActions, console.Statement[1].Action)
	assert.NotContains(t, console.Statement[1].Action, "kms:ScheduleKeyDeletion")
	assert.Equal(t, ConsoleUserActions, console.Statement[2].Action)
	assert.Equal(t, map[string]any{"Bool": map[string]any{"kms:GrantIsForAWSResource": "true"}}, console.Statement[3].Condition)

	require.Len(t, final.Statement, 5, "the platform statement is added, not a replacement")
	p := final.Statement[4]
	assert.Equal(t, RootSid, p.Sid, "the platform's first statement reuses the root Sid")
	assert.Equal(t, map[string]any{"AWS": "arn:aws:iam::" + adobe + ":root"}, p.Principal)
	assert.Equal(t, PlatformActions, p.Action)
	assert.Equal(t, map[string]any{"StringEquals": map[string]any{"aws:PrincipalAccount": adobe}}, p.Condition)

	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(final.JSON()), &doc))
	assert.Equal(t, "2012-10-17", doc["Version"])

	s.AllowDeletion = true
	console, _ = s.Policies()
	assert.Contains(t, console.Statement[1].Action, "kms:ScheduleKeyDeletion")
	assert.Contains(t, console.Statement[1].Action, "kms:CancelKeyDeletion")
}

func TestVariantPolicies(t *testing.T) {
	policy := func(v Variant) Document {
		s := spec(v)
		require.NoError(t, s.defaults())
		_, final := s.Policies()
		return final
	}
	lock := policy(Lockout)
	for _, st := range lock.Statement {
		assert.NotEqual(t, "kms:*", st.Action, "lockout keeps no root delegation")
		if st.Sid == "Allow access for Key Administrators" {
			assert.NotContains(t, st.Action, "kms:Put*")
		}
	}
	noAdm := policy(NoAdmins)
	for _, st := range noAdm.Statement {
		assert.NotEqual(t, "Allow access for Key Administrators", st.Sid)
	}
	miss := policy(MissingPlatformGrant)
	assert.NotContains(t, miss.Statement[len(miss.Statement)-1].Action, "kms:Decrypt")
	pub := policy(PublicPrincipal)
	assert.Equal(t, "*", pub.Statement[len(pub.Statement)-1].Principal)
	other := policy(OtherAccount)
	assert.Equal(t, map[string]any{"AWS": RootARN(OtherAccountID)}, other.Statement[len(other.Statement)-1].Principal)
	del := policy(UsersDelete)
	assert.Contains(t, del.Statement[2].Action, "kms:ScheduleKeyDeletion")
}

func TestCreateCorrectKeyFollowsTheGuide(t *testing.T) {
	tg := openEmbedded(t)
	key := createKey(t, tg.Config, spec(Correct))
	ctx := context.Background()
	c := kms.NewFromConfig(tg.Config)

	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key.Alias)})
	require.NoError(t, err, "the alias resolves")
	m := d.KeyMetadata
	assert.Equal(t, key.KeyID, aws.ToString(m.KeyId))
	assert.Equal(t, types.KeySpecSymmetricDefault, m.KeySpec)
	assert.Equal(t, types.KeyUsageTypeEncryptDecrypt, m.KeyUsage)
	assert.Equal(t, types.OriginTypeAwsKms, m.Origin)
	assert.Equal(t, types.KeyStateEnabled, m.KeyState)
	assert.Equal(t, DefaultDescription, aws.ToString(m.Description))
	assert.True(t, strings.HasPrefix(key.Alias, AliasPrefix), key.Alias)

	r, err := c.GetKeyRotationStatus(ctx, &kms.GetKeyRotationStatusInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	assert.True(t, r.KeyRotationEnabled)
	p, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(key.KeyID), PolicyName: aws.String("default")})
	require.NoError(t, err)
	assert.JSONEq(t, key.Policy, aws.ToString(p.Policy))
	tags, err := c.ListResourceTags(ctx, &kms.ListResourceTagsInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	require.Len(t, tags.Tags, 1)
	assert.Equal(t, "Adobe", aws.ToString(tags.Tags[0].TagKey))
	assert.Equal(t, "Experience-Platform", aws.ToString(tags.Tags[0].TagValue))
}

// Every variant is made, or refused with a reason; and whatever was made is
// pending deletion afterwards: none of our keys is left Enabled.
func TestVariantsOnEmbeddedAndCleanup(t *testing.T) {
	tg := openEmbedded(t)
	ctx := context.Background()
	c := kms.NewFromConfig(tg.Config)
	var made []*Key
	for _, v := range append([]Variant{Correct}, Variants...) {
		key, err := CreateKeyE(ctx, tg.Config, spec(v))
		if v == MultiRegion {
			var unsup *UnsupportedError
			require.True(t, errors.As(err, &unsup), "multi-region on local-kms: %v", err)
			assert.Contains(t, unsup.Reason, "MultiRegion")
			continue
		}
		require.NoError(t, err, v.Name())
		made = append(made, key)
		d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key.KeyID)})
		require.NoError(t, err)
		m := d.KeyMetadata
		switch v {
		case Asymmetric:
			assert.Equal(t, types.KeySpecRsa2048, m.KeySpec)
			assert.Equal(t, types.KeyUsageTypeSignVerify, m.KeyUsage)
		case HMAC:
			assert.Equal(t, types.KeySpecHmac256, m.KeySpec)
			assert.Equal(t, types.KeyUsageTypeGenerateVerifyMac, m.KeyUsage)
		case Imported:
			assert.Equal(t, types.OriginTypeExternal, m.Origin)
			assert.Equal(t, types.KeyStateEnabled, m.KeyState, "material imported")
		case Disabled:
			assert.Equal(t, types.KeyStateDisabled, m.KeyState)
		case PendingDeletion:
			assert.Equal(t, types.KeyStatePendingDeletion, m.KeyState)
		case NoAlias:
			assert.Empty(t, key.Alias)
		case GenericAlias:
			assert.Equal(t, GenericAliasName, key.Alias)
		case NoDescription:
			assert.Empty(t, aws.ToString(m.Description))
		case GrantOtherAccount, GrantWithCreateGrant, GrantAllowed:
			assert.Equal(t, types.KeyStateEnabled, m.KeyState, v.Name())
			s := spec(v)
			require.NoError(t, s.defaults())
			want := s.Grants()
			require.Len(t, want, 1)
			grants, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(key.KeyID)})
			require.NoError(t, err)
			require.Len(t, grants.Grants, 1, v.Name())
			g := grants.Grants[0]
			assert.Equal(t, key.Grants, []string{aws.ToString(g.GrantId)})
			assert.Equal(t, want[0].Grantee, aws.ToString(g.GranteePrincipal))
			assert.Equal(t, want[0].Operations, g.Operations)
			assert.Equal(t, want[0].Name, aws.ToString(g.Name))
		default:
			assert.Equal(t, types.KeyStateEnabled, m.KeyState, v.Name())
		}
	}
	for _, k := range made {
		require.NoError(t, DeleteKeyE(ctx, tg.Config, k), k.Variant.Name())
	}
	keys, err := c.ListKeys(ctx, &kms.ListKeysInput{})
	require.NoError(t, err)
	assert.Len(t, keys.Keys, len(made))
	for _, k := range keys.Keys {
		d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
		require.NoError(t, err)
		assert.Equal(t, types.KeyStatePendingDeletion, d.KeyMetadata.KeyState, aws.ToString(k.KeyId))
	}
	aliases, err := c.ListAliases(ctx, &kms.ListAliasesInput{})
	require.NoError(t, err)
	assert.Empty(t, aliases.Aliases, "aliases are deleted with the key")
	for _, k := range made {
		grants, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(k.KeyID)})
		require.NoError(t, err)
		assert.Empty(t, grants.Grants, "the grants of %s are revoked", k.Variant.Name())
	}
}

// Each grant variant is the right key plus one grant; the others make none.
func TestVariantGrants(t *testing.T) {
	grants := func(v Variant) []Grant {
		s := spec(v)
		require.NoError(t, s.defaults())
		return s.Grants()
	}
	user := "arn:aws:iam::" + targets.DefaultAccount + ":role/KeyUser"
	ops := []types.GrantOperation{types.GrantOperationEncrypt, types.GrantOperationDecrypt, types.GrantOperationGenerateDataKey}
	assert.Equal(t, []Grant{{Name: "partner", Grantee: "arn:aws:iam::444455556666:role/Partner",
		Operations: []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationEncrypt}}}, grants(GrantOtherAccount))
	assert.Equal(t, []Grant{{Name: "key-user-may-grant", Grantee: user, Operations: append(ops, types.GrantOperationCreateGrant)}}, grants(GrantWithCreateGrant))
	assert.Equal(t, []Grant{{Name: "key-user", Grantee: user, Operations: ops}}, grants(GrantAllowed))
	assert.NotContains(t, grants(GrantAllowed)[0].Operations, types.GrantOperationCreateGrant)
	for _, v := range append([]Variant{Correct}, Variants...) {
		if v != GrantOtherAccount && v != GrantWithCreateGrant && v != GrantAllowed {
			assert.Empty(t, grants(v), v.Name())
		}
	}
	// The grantee is the profile's key user.
	s := spec(GrantAllowed)
	s.Users = []string{"arn:aws:iam::" + targets.DefaultAccount + ":role/AEPKeyUser"}
	require.NoError(t, s.defaults())
	assert.Equal(t, s.Users[0], s.Grants()[0].Grantee)
	// The policy is the right key's: the grant is the one difference.
	policy := func(v Variant) Document {
		s := spec(v)
		s.Alias = "alias/same"
		require.NoError(t, s.defaults())
		_, final := s.Policies()
		return final
	}
	for _, v := range []Variant{GrantOtherAccount, GrantWithCreateGrant, GrantAllowed} {
		assert.Equal(t, policy(Correct), policy(v), v.Name())
	}
}

// A kept key torn down by a later run is known by its ID only: its grants
// are asked of the key and revoked all the same.
func TestDeleteRevokesTheGrantsOfAKeyKnownByID(t *testing.T) {
	tg := openEmbedded(t)
	ctx := context.Background()
	c := kms.NewFromConfig(tg.Config)
	key, err := CreateKeyE(ctx, tg.Config, spec(GrantOtherAccount))
	require.NoError(t, err)
	require.Len(t, key.Grants, 1)
	// One more grant than the provisioner recorded.
	_, err = c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(key.KeyID), GranteePrincipal: aws.String(GrantPartner),
		Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
	require.NoError(t, err)

	require.NoError(t, DeleteKeyE(ctx, tg.Config, &Key{KeyID: key.KeyID, Alias: key.Alias}))
	grants, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	assert.Empty(t, grants.Grants)
	d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	assert.Equal(t, types.KeyStatePendingDeletion, d.KeyMetadata.KeyState)
}

// A grant that cannot be revoked is reported; the key is still scheduled
// for deletion.
func TestRevokeFailureDoesNotStopTheDeletion(t *testing.T) {
	tg := openEmbedded(t)
	ctx := context.Background()
	key, err := CreateKeyE(ctx, tg.Config, spec(GrantAllowed))
	require.NoError(t, err)
	proxy, err := faultproxy.New(tg.Endpoint, faultproxy.Rule{Operation: "RevokeGrant", Fault: faultproxy.AccessDenied})
	require.NoError(t, err)
	defer proxy.Close()
	cfg := tg.Config.Copy()
	cfg.BaseEndpoint = aws.String(proxy.URL)

	err = DeleteKeyE(ctx, cfg, key)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kms:RevokeGrant "+key.Grants[0])
	assert.Contains(t, err.Error(), "AccessDeniedException")
	d, err := kms.NewFromConfig(tg.Config).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	assert.Equal(t, types.KeyStatePendingDeletion, d.KeyMetadata.KeyState, "scheduled all the same")
	assert.Equal(t, 1, proxy.Calls("ScheduleKeyDeletion"))
}

// A grant the target refuses fails the provisioning, and the key is not
// left behind.
func TestRefusedGrantCleansUp(t *testing.T) {
	tg := openEmbedded(t)
	ctx := context.Background()
	proxy, err := faultproxy.New(tg.Endpoint, faultproxy.Rule{Operation: "CreateGrant", Fault: faultproxy.AccessDenied})
	require.NoError(t, err)
	defer proxy.Close()
	cfg := tg.Config.Copy()
	cfg.BaseEndpoint = aws.String(proxy.URL)
	_, err = CreateKeyE(ctx, cfg, spec(GrantOtherAccount))
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kms:CreateGrant for "+GrantPartner)
	assert.Equal(t, 1, proxy.Calls("ScheduleKeyDeletion"), "the key made is scheduled for deletion")
}

func TestCreateKeyCleanupRegistered(t *testing.T) {
	tg := openEmbedded(t)
	var key *Key
	t.Run("create", func(t *testing.T) {
		key = createKey(t, tg.Config, spec(Correct))
	})
	d, err := kms.NewFromConfig(tg.Config).DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(key.KeyID)})
	require.NoError(t, err)
	assert.Equal(t, types.KeyStatePendingDeletion, d.KeyMetadata.KeyState, "t.Cleanup scheduled the deletion")
}

func TestBadSpecs(t *testing.T) {
	tg := openEmbedded(t)
	ctx := context.Background()
	for _, tc := range []struct {
		spec Spec
		want string
	}{
		{Spec{Account: "12"}, `account "12" is not a 12-digit`},
		{Spec{Account: targets.DefaultAccount, Variant: "sideways"}, `unknown variant "sideways"`},
		{Spec{Account: targets.DefaultAccount, AdobeAccounts: []string{"x"}}, `Adobe account "x"`},
		{Spec{Account: targets.DefaultAccount, Alias: "alias/aws/kms"}, `not alias/aws/`},
		{Spec{Account: targets.DefaultAccount, Variant: Lockout, Target: keystate.KindAWS}, "cannot make the lockout variant"},
	} {
		_, err := CreateKeyE(ctx, tg.Config, tc.spec)
		require.Error(t, err)
		assert.Contains(t, err.Error(), tc.want)
	}
	_, err := ParseVariant("nope")
	assert.ErrorContains(t, err, "known: correct, multi-region")
	v, err := ParseVariant("hmac")
	require.NoError(t, err)
	assert.Equal(t, HMAC, v)
}

// A failing step cleans up the key it had made.
func TestFailedStepCleansUp(t *testing.T) {
	tg := openEmbedded(t)
	ctx := context.Background()
	first := createKey(t, tg.Config, spec(Correct))
	s := spec(Correct)
	s.Alias = first.Alias // taken: CreateAlias fails
	_, err := CreateKeyE(ctx, tg.Config, s)
	require.Error(t, err)
	assert.Contains(t, err.Error(), "kms:CreateAlias")
	c := kms.NewFromConfig(tg.Config)
	keys, err := c.ListKeys(ctx, &kms.ListKeysInput{})
	require.NoError(t, err)
	enabled := 0
	for _, k := range keys.Keys {
		d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
		require.NoError(t, err)
		if d.KeyMetadata.KeyState == types.KeyStateEnabled {
			enabled++
		}
	}
	assert.Equal(t, 1, enabled, "only the first key is still enabled")
}

// The alias suffix keeps terratest's random.UniqueId shape (6 base-62
// characters), now from crypto/rand.
func TestDefaultAliasIsUnique(t *testing.T) {
	seen := map[string]bool{}
	for range 100 {
		s := spec(Correct)
		require.NoError(t, s.defaults())
		assert.Regexp(t, `^alias/Adobe-Experience-Platform-Key-[0-9A-Za-z]{6}$`, s.Alias)
		assert.False(t, seen[s.Alias], "%s twice in 100 draws", s.Alias)
		seen[s.Alias] = true
	}
}
