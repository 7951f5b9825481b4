package collect

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
)

// through is a copy of tg whose requests go through a fault proxy with the
// rules; it shares tg's emulator and is not closed.
func through(t *testing.T, tg *targets.Conn, rules ...faultproxy.Rule) (*targets.Conn, *faultproxy.Proxy) {
	t.Helper()
	p, err := faultproxy.New(tg.Endpoint, rules...)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	c := *tg
	c.Endpoint = p.URL
	c.Config = tg.Config.Copy()
	c.Config.BaseEndpoint = aws.String(p.URL)
	return &c, p
}

func grant(t *testing.T, tg *targets.Conn, keyID, grantee string, ops ...types.GrantOperation) string {
	t.Helper()
	out, err := kms.NewFromConfig(tg.Config).CreateGrant(context.Background(), &kms.CreateGrantInput{
		KeyId: aws.String(keyID), GranteePrincipal: aws.String(grantee), Operations: ops})
	require.NoError(t, err)
	return aws.ToString(out.GrantId)
}

func TestGrantsAreCollected(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	c := kms.NewFromConfig(tg.Config)
	partner, err := c.CreateGrant(context.Background(), &kms.CreateGrantInput{KeyId: aws.String(key.KeyID), Name: aws.String("partner"),
		GranteePrincipal:  aws.String("arn:aws:iam::444455556666:role/Partner"),
		RetiringPrincipal: aws.String("arn:aws:iam::111122223333:role/KeyAdmin"),
		Operations:        []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationEncrypt},
		Constraints:       &types.GrantConstraints{EncryptionContextEquals: map[string]string{"Department": "IT"}}})
	require.NoError(t, err)
	own := grant(t, tg, key.KeyID, "arn:aws:iam::111122223333:role/Builder", types.GrantOperationCreateGrant)

	s, rec, err := Key(context.Background(), tg, key.Alias, Options{})
	require.NoError(t, err)
	assert.Empty(t, s.Problems)
	require.Len(t, s.Grants, 2)
	g := s.Grants[0]
	assert.Equal(t, aws.ToString(partner.GrantId), g.GrantID)
	assert.Equal(t, "partner", g.Name)
	assert.Equal(t, "arn:aws:iam::444455556666:role/Partner", g.GranteePrincipal)
	assert.Equal(t, "arn:aws:iam::111122223333:role/KeyAdmin", g.RetiringPrincipal)
	assert.Equal(t, "arn:aws:iam::"+tg.Account+":root", g.IssuingAccount)
	assert.Equal(t, key.Arn, g.KeyID)
	assert.Equal(t, []string{"Decrypt", "Encrypt"}, g.Operations)
	assert.Equal(t, &keystate.GrantConstraints{EncryptionContextEquals: map[string]string{"Department": "IT"}}, g.Constraints)
	assert.NotNil(t, g.CreationDate)
	assert.Equal(t, own, s.Grants[1].GrantID)
	assert.Equal(t, []string{"CreateGrant"}, s.Grants[1].Operations)
	assert.Nil(t, s.Grants[1].Constraints)
	assert.Equal(t, 1, countOf(rec.Calls, OpListGrants), "one page")
}

// Every page is asked for (the SDK's paginator) and the pages are merged
// into one answer, as the CLI prints it after paginating.
func TestGrantPagesAreMerged(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	var made []string
	for i := range 60 {
		made = append(made, grant(t, tg, key.KeyID, fmt.Sprintf("arn:aws:iam::111122223333:role/R%02d", i), types.GrantOperationDecrypt))
	}
	for _, tc := range []struct {
		page  int32
		calls int
	}{{0, 2}, {7, 9}, {60, 1}} {
		t.Run(fmt.Sprintf("page=%d", tc.page), func(t *testing.T) {
			s, rec, err := Key(context.Background(), tg, key.KeyID, Options{grantPage: tc.page})
			require.NoError(t, err)
			assert.Empty(t, s.Problems)
			var got []string
			for _, g := range s.Grants {
				got = append(got, g.GrantID)
			}
			assert.Equal(t, made, got, "every grant once, in order")
			assert.Equal(t, tc.calls, countOf(rec.Calls, OpListGrants), "pages asked for")
			var merged struct {
				Grants    []json.RawMessage
				Truncated *bool
			}
			require.NoError(t, json.Unmarshal(s.Raw[keystate.ListGrants], &merged))
			assert.Len(t, merged.Grants, 60)
			require.NotNil(t, merged.Truncated)
			assert.False(t, *merged.Truncated)
		})
	}
}

// An answer that cannot be read as every grant of the key leaves the
// member a problem that says why: never an empty or shorter list.
func TestGrantListsThatCannotBeTrusted(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	only := grant(t, tg, key.KeyID, "arn:aws:iam::111122223333:role/R", types.GrantOperationDecrypt)
	for _, tc := range []struct {
		name, answer, want string
		calls              int
	}{
		// The marker is one the target takes (its grant's ID), so every
		// page is a genuine 200 that the proxy turns into "more to come".
		{"never ends", `{"Grants": [], "Truncated": true, "NextMarker": "` + only + `"}`, "kms:ListGrants failed: still truncated after 100 pages", maxPages},
		{"truncated without a marker", `{"Grants": [], "Truncated": true}`, "kms:ListGrants failed: page 1 says Truncated but gives no NextMarker", 1},
		{"a grant without a grantee", `{"Grants": [{"GrantId": "g", "Operations": ["Decrypt"]}], "Truncated": false}`, "ListGrants could not be read: Grants[0] (g) lacks GranteePrincipal", 1},
		{"no list", `{"Truncated": false}`, "kms:ListGrants failed: page 1 has no Grants member", 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxied, proxy := through(t, tg, faultproxy.Rule{Operation: "ListGrants", Fault: faultproxy.Rewrite,
				Rewrite: func([]byte) []byte { return []byte(tc.answer) }})
			s, _, err := Key(context.Background(), proxied, key.KeyID, Options{})
			require.NoError(t, err)
			assert.Contains(t, s.Problem(keystate.ListGrants), tc.want)
			assert.Nil(t, s.Grants)
			assert.False(t, s.Has(keystate.ListGrants))
			assert.Equal(t, tc.calls, proxy.Calls("ListGrants"))
			for _, m := range keystate.Members[:len(keystate.Members)-1] {
				assert.Empty(t, s.Problem(m), "only the grants are lost: %s", m)
			}
		})
	}

	t.Run("refused", func(t *testing.T) {
		proxied, _ := through(t, tg, faultproxy.Rule{Operation: "ListGrants", Fault: faultproxy.AccessDenied})
		s, _, err := Key(context.Background(), proxied, key.KeyID, Options{})
		require.NoError(t, err)
		assert.Contains(t, s.Problem(keystate.ListGrants), "kms:ListGrants failed")
		assert.Contains(t, s.Problem(keystate.ListGrants), "AccessDeniedException")
		assert.Nil(t, s.Grants)
		assert.NotContains(t, s.Raw, keystate.ListGrants)
	})
}

// Tags and aliases are held to the same rule as grants: a page that says
// Truncated without a NextMarker leaves the member a problem, never a
// shorter list taken for the whole.
func TestTruncatedWithoutMarkerIsAProblem(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	for _, tc := range []struct{ op, member, answer string }{
		{"ListResourceTags", keystate.ListResourceTags, `{"Tags": [], "Truncated": true}`},
		{"ListAliases", keystate.ListAliases, `{"Aliases": [], "Truncated": true}`},
	} {
		t.Run(tc.op, func(t *testing.T) {
			proxied, proxy := through(t, tg, faultproxy.Rule{Operation: tc.op, Fault: faultproxy.Rewrite,
				Rewrite: func([]byte) []byte { return []byte(tc.answer) }})
			s, _, err := Key(context.Background(), proxied, key.KeyID, Options{})
			require.NoError(t, err)
			assert.Contains(t, s.Problem(tc.member), "kms:"+tc.op+" failed: page 1 says Truncated but gives no NextMarker")
			assert.False(t, s.Has(tc.member))
			assert.Equal(t, 1, proxy.Calls(tc.op))
		})
	}
}

// The live path never judges another key's answers: when an answer names
// another key than the one asked for, the collection is an error naming
// both, and there is no state to judge.
func TestAnswersAboutAnotherKeyAreRefused(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	other := makeKey(t, tg, provision.Correct)
	grant(t, tg, key.KeyID, "arn:aws:iam::111122223333:role/R", types.GrantOperationDecrypt)
	swap := func(b []byte) []byte { return []byte(strings.ReplaceAll(string(b), key.KeyID, other.KeyID)) }
	// local-kms's rotation status names no key; AWS's does (KeyId, an ARN).
	rotationOfOther := func(b []byte) []byte {
		var v map[string]any
		require.NoError(t, json.Unmarshal(b, &v))
		v["KeyId"] = other.Arn
		out, err := json.Marshal(v)
		require.NoError(t, err)
		return out
	}

	for _, tc := range []struct {
		name, op, asked, where string
		rewrite                func([]byte) []byte
	}{
		{"a grant of another key", "ListGrants", key.KeyID, "ListGrants's Grants[0].KeyId", swap},
		{"a grant of another key, asked by ARN", "ListGrants", key.Arn, "ListGrants's Grants[0].KeyId", swap},
		{"the rotation status of another key", "GetKeyRotationStatus", key.KeyID, "GetKeyRotationStatus's KeyId", rotationOfOther},
		{"another key described", "DescribeKey", key.KeyID, "the key asked for", swap},
		{"another key described, asked by alias", "DescribeKey", key.Alias, "the key asked for", swap},
	} {
		t.Run(tc.name, func(t *testing.T) {
			proxied, _ := through(t, tg, faultproxy.Rule{Operation: tc.op, Fault: faultproxy.Rewrite, Rewrite: tc.rewrite})
			s, rec, err := Key(context.Background(), proxied, tc.asked, Options{})
			require.Error(t, err)
			assert.Nil(t, s, "nothing to judge")
			assert.NotNil(t, rec, "what was sent is still known")
			assert.Contains(t, err.Error(), tc.asked)
			assert.Contains(t, err.Error(), other.KeyID, "the other key is named")
			assert.Contains(t, err.Error(), tc.where)
			if tc.asked != key.Alias {
				var mixed *keystate.MixedKeysError
				require.True(t, errors.As(err, &mixed), "%v", err)
			}
		})
	}

	// Asked by alias, with no alias list to hold the answers to, they are
	// held to each other: KMS itself resolved the alias.
	t.Run("asked by alias without ListAliases", func(t *testing.T) {
		proxied, _ := through(t, tg, faultproxy.Rule{Operation: "ListAliases", Fault: faultproxy.AccessDenied})
		s, _, err := Key(context.Background(), proxied, key.Alias, Options{})
		require.NoError(t, err)
		assert.Contains(t, s.Problem(keystate.ListAliases), "AccessDeniedException")
		assert.Equal(t, key.Arn, s.Key.Arn)
		proxied, _ = through(t, tg,
			faultproxy.Rule{Operation: "ListAliases", Fault: faultproxy.AccessDenied},
			faultproxy.Rule{Operation: "ListGrants", Fault: faultproxy.Rewrite, Rewrite: swap})
		_, _, err = Key(context.Background(), proxied, key.Alias, Options{})
		var mixed *keystate.MixedKeysError
		require.ErrorAs(t, err, &mixed, "the members are still held to each other")
		assert.Equal(t, key.Arn, mixed.Key)
	})
}
