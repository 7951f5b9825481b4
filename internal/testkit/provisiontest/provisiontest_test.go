package provisiontest

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// The teardown runs when the (sub)test ends: DeleteKey leaves the key
// pending deletion, KeepKey leaves it enabled.
func TestTeardown(t *testing.T) {
	tg, err := targets.Open(context.Background(), keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	spec := provision.Spec{Account: tg.Account, Target: tg.Kind}
	state := func(key *provision.Key) types.KeyState {
		d, err := kms.NewFromConfig(tg.Config).DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(key.KeyID)})
		require.NoError(t, err)
		return d.KeyMetadata.KeyState
	}
	var deleted, kept *provision.Key
	t.Run("delete", func(t *testing.T) { deleted = CreateKey(t, tg.Config, spec, DeleteKey) })
	t.Run("keep", func(t *testing.T) { kept = CreateKey(t, tg.Config, spec, KeepKey) })
	assert.Equal(t, types.KeyStatePendingDeletion, state(deleted))
	assert.Equal(t, types.KeyStateEnabled, state(kept))
	require.NoError(t, provision.DeleteKeyE(context.Background(), tg.Config, kept))
}
