package provisiontest

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// Where IAM is not served (the embedded target is KMS only), making the
// objects fails with the operation named, and nothing is left to delete.
func TestCreateIAMSaysWhatFailed(t *testing.T) {
	tg, err := targets.Open(context.Background(), keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	o, err := createIAME(t.Context(), tg.Config, IAMSpec{Roles: []IAMRoleSpec{{Name: "Cleanup"}}})
	require.Error(t, err)
	assert.Nil(t, o)
	assert.Contains(t, err.Error(), "provisiontest: iam:CreateRole Cleanup-")
	assert.NotContains(t, err.Error(), "cleaning up", "nothing was made, so nothing to clean up")
}
