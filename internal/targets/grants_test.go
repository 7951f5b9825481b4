package targets

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/aws/smithy-go"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// rawListGrants is the embedded target's ListGrants answer as sent.
func rawListGrants(t *testing.T, tg *Conn, body string) (int, map[string]any) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, tg.Endpoint+"/", bytes.NewReader([]byte(body)))
	require.NoError(t, err)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	req.Header.Set("X-Amz-Target", "TrentService.ListGrants")
	resp, err := http.DefaultClient.Do(req)
	require.NoError(t, err)
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	require.NoError(t, err)
	var out map[string]any
	require.NoError(t, json.Unmarshal(b, &out), "%s", b)
	return resp.StatusCode, out
}

func errorCode(err error) string {
	var apiErr smithy.APIError
	if errors.As(err, &apiErr) {
		return apiErr.ErrorCode()
	}
	return ""
}

// local-kms has no grants; the wrapper keeps them, in AWS's shape.
func TestEmbeddedGrants(t *testing.T) {
	ctx := context.Background()
	tg, err := Open(ctx, keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	defer tg.Close()
	c := kms.NewFromConfig(tg.Config)
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	require.NoError(t, err)
	id, arn := key.KeyMetadata.KeyId, aws.ToString(key.KeyMetadata.Arn)

	// A grantee of another account is accepted, as on AWS.
	partner := "arn:aws:iam::444455556666:role/Partner"
	made, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: id, GranteePrincipal: aws.String(partner), Name: aws.String("partner"),
		RetiringPrincipal: aws.String("arn:aws:iam::111122223333:role/KeyAdmin"),
		Operations:        []types.GrantOperation{types.GrantOperationDecrypt, types.GrantOperationEncrypt},
		Constraints:       &types.GrantConstraints{EncryptionContextSubset: map[string]string{"Department": "IT"}}})
	require.NoError(t, err)
	assert.Regexp(t, `^[0-9a-f]{64}$`, aws.ToString(made.GrantId))
	assert.NotEmpty(t, aws.ToString(made.GrantToken))
	// By ARN too, without a name or constraints.
	_, err = c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(arn), GranteePrincipal: aws.String("arn:aws:iam::111122223333:role/KeyUser"),
		Operations: []types.GrantOperation{types.GrantOperationCreateGrant}})
	require.NoError(t, err)

	code, page := rawListGrants(t, tg, `{"KeyId": "`+aws.ToString(id)+`"}`)
	require.Equal(t, http.StatusOK, code)
	assert.Equal(t, false, page["Truncated"], "Truncated is sent even when false")
	assert.NotContains(t, page, "NextMarker")
	grants := page["Grants"].([]any)
	require.Len(t, grants, 2)
	first := grants[0].(map[string]any)
	assert.Equal(t, arn, first["KeyId"], "the key ARN, as AWS answers")
	assert.Equal(t, aws.ToString(made.GrantId), first["GrantId"])
	assert.Equal(t, "partner", first["Name"])
	assert.Equal(t, partner, first["GranteePrincipal"])
	assert.Equal(t, "arn:aws:iam::111122223333:role/KeyAdmin", first["RetiringPrincipal"])
	assert.Equal(t, "arn:aws:iam::111122223333:root", first["IssuingAccount"])
	assert.Equal(t, []any{"Decrypt", "Encrypt"}, first["Operations"])
	assert.Equal(t, map[string]any{"EncryptionContextSubset": map[string]any{"Department": "IT"}}, first["Constraints"])
	assert.IsType(t, float64(0), first["CreationDate"], "epoch seconds")
	second := grants[1].(map[string]any)
	assert.NotContains(t, second, "Constraints")
	assert.NotContains(t, second, "RetiringPrincipal")

	// Filters.
	out, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id, GranteePrincipal: aws.String(partner)})
	require.NoError(t, err)
	require.Len(t, out.Grants, 1)
	assert.Equal(t, made.GrantId, out.Grants[0].GrantId)
	out, err = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id, GrantId: made.GrantId})
	require.NoError(t, err)
	require.Len(t, out.Grants, 1)

	// Revoked grants are gone; another key's list is its own.
	_, err = c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: id, GrantId: made.GrantId})
	require.NoError(t, err)
	out, err = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id})
	require.NoError(t, err)
	require.Len(t, out.Grants, 1)
	assert.Equal(t, []types.GrantOperation{types.GrantOperationCreateGrant}, out.Grants[0].Operations)
	other, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	require.NoError(t, err)
	out, err = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: other.KeyMetadata.KeyId})
	require.NoError(t, err)
	assert.Empty(t, out.Grants)
	assert.False(t, out.Truncated)
}

// Pages follow AWS's rules: 50 by default, Limit 1..100, a marker to go on.
func TestEmbeddedGrantPages(t *testing.T) {
	ctx := context.Background()
	tg, err := Open(ctx, keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	defer tg.Close()
	c := kms.NewFromConfig(tg.Config)
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	require.NoError(t, err)
	id := key.KeyMetadata.KeyId
	var made []string
	for i := range 55 {
		g, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: id, GranteePrincipal: aws.String(fmt.Sprintf("arn:aws:iam::111122223333:role/R%02d", i)),
			Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
		require.NoError(t, err)
		made = append(made, aws.ToString(g.GrantId))
	}
	first, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id})
	require.NoError(t, err)
	assert.Len(t, first.Grants, 50)
	assert.True(t, first.Truncated)
	require.NotEmpty(t, aws.ToString(first.NextMarker))
	rest, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id, Marker: first.NextMarker})
	require.NoError(t, err)
	assert.Len(t, rest.Grants, 5)
	assert.False(t, rest.Truncated)
	assert.Nil(t, rest.NextMarker)

	var seen []string
	p := kms.NewListGrantsPaginator(c, &kms.ListGrantsInput{KeyId: id}, func(o *kms.ListGrantsPaginatorOptions) { o.Limit = 7 })
	pages := 0
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err)
		pages++
		for _, g := range page.Grants {
			seen = append(seen, aws.ToString(g.GrantId))
		}
	}
	assert.Equal(t, 8, pages, "55 grants, 7 a page")
	assert.Equal(t, made, seen, "every grant once, in order")

	for _, limit := range []int32{0, 101} {
		_, err = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id, Limit: aws.Int32(limit)})
		assert.Equal(t, "ValidationException", errorCode(err), "Limit %d: %v", limit, err)
	}
	_, err = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id, Marker: aws.String("not-a-marker")})
	assert.Equal(t, "InvalidMarkerException", errorCode(err), "%v", err)
}

func TestEmbeddedGrantRefusals(t *testing.T) {
	ctx := context.Background()
	tg, err := Open(ctx, keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	defer tg.Close()
	c := kms.NewFromConfig(tg.Config)
	key, err := c.CreateKey(ctx, &kms.CreateKeyInput{})
	require.NoError(t, err)
	id := key.KeyMetadata.KeyId
	_, err = c.CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String("alias/grants"), TargetKeyId: id})
	require.NoError(t, err)
	decrypt := []types.GrantOperation{types.GrantOperationDecrypt}
	grantee := aws.String("arn:aws:iam::111122223333:role/R")

	_, err = c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String("11111111-2222-3333-4444-555555555555"), GranteePrincipal: grantee, Operations: decrypt})
	assert.Equal(t, "NotFoundException", errorCode(err), "%v", err)
	_, err = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String("11111111-2222-3333-4444-555555555555")})
	assert.Equal(t, "NotFoundException", errorCode(err), "%v", err)
	_, err = c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: aws.String("alias/grants")})
	assert.Equal(t, "NotFoundException", errorCode(err), "grant operations take no alias: %v", err)
	_, err = c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: id, GranteePrincipal: grantee, Operations: []types.GrantOperation{"Shred"}})
	assert.Equal(t, "ValidationException", errorCode(err), "%v", err)
	_, err = c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: id, GrantId: aws.String("no-such-grant")})
	assert.Equal(t, "NotFoundException", errorCode(err), "%v", err)

	// A key pending deletion takes no new grant; its grants stay listed.
	g, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: id, GranteePrincipal: grantee, Operations: decrypt})
	require.NoError(t, err)
	_, err = c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(7)})
	require.NoError(t, err)
	_, err = c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: id, GranteePrincipal: grantee, Operations: decrypt})
	assert.Equal(t, "KMSInvalidStateException", errorCode(err), "%v", err)
	out, err := c.ListGrants(ctx, &kms.ListGrantsInput{KeyId: id})
	require.NoError(t, err)
	require.Len(t, out.Grants, 1)
	_, err = c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: id, GrantId: g.GrantId})
	assert.NoError(t, err)

	// What the wrapper does not keep is still unsupported, not a fake success.
	_, err = c.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: id, GrantId: g.GrantId})
	assert.Equal(t, "UnsupportedOperationException", errorCode(err), "%v", err)
}
