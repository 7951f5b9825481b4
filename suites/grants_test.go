package suites

import (
	"context"
	"fmt"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
)

// TestGrantPagesOnTarget gives a key more grants than one ListGrants page
// holds (50 by default on AWS and both emulators) and collects it on the
// target: every grant, from every page, once, in the order listed.
func TestGrantPagesOnTarget(t *testing.T) {
	kind := targetKind(t)
	if kind == keystate.KindAWS && !provisionAllowed(t) {
		t.Skipf("this test creates a real key with 60 grants on aws: set %s=1 to run it", env.Provision)
	}
	ctx := t.Context()
	tg, err := opener().Open(ctx, kind, "", "")
	require.NoError(t, err, "opening the %s target", kind)
	t.Cleanup(tg.Close)
	p := selfProfile(t, tg)
	key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
	c := kms.NewFromConfig(tg.Config)
	var made []string
	for i := range 60 {
		// The profile's key user (on aws it must exist), each grant set
		// apart by its name and constraint.
		out, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(key.KeyID), Name: aws.String(fmt.Sprintf("page-test-%02d", i)),
			GranteePrincipal: aws.String(p.Profile().KeyUsers[0]), Operations: []types.GrantOperation{types.GrantOperationDecrypt},
			Constraints: &types.GrantConstraints{EncryptionContextEquals: map[string]string{"n": fmt.Sprint(i)}}})
		require.NoError(t, err)
		made = append(made, aws.ToString(out.GrantId))
	}

	s, rec, err := collect.Key(context.Background(), tg, key.KeyID, collect.Options{})
	require.NoError(t, err)
	require.Empty(t, s.Problem(keystate.ListGrants))
	var got []string
	for _, g := range s.Grants {
		got = append(got, g.GrantID)
	}
	assert.ElementsMatch(t, made, got, "every grant, once")
	pages := 0
	for _, op := range rec.Calls {
		if op == collect.OpListGrants {
			pages++
		}
	}
	assert.GreaterOrEqual(t, pages, 2, "more than one page was asked for")
	t.Logf("%s: 60 grants in %d ListGrants pages", kind, pages)
}
