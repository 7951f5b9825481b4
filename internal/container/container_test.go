package container

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// Without an endpoint and without a Docker engine, asking for LocalStack
// is an error that says how to get one, never a silent skip.
func TestLocalStackWithoutEndpointOrDockerIsAnError(t *testing.T) {
	if Healthy(context.Background()) == nil {
		t.Skip("a Docker engine answers here; testcontainers would start LocalStack")
	}
	o := targets.Opener{StartLocalStack: LocalStack("", "")}
	_, err := o.Open(context.Background(), keystate.KindLocalStack, "", "")
	require.Error(t, err)
	assert.ErrorIs(t, err, targets.ErrNoLocalStack)
	assert.Contains(t, err.Error(), "scripts/localstack.sh start")
	assert.Contains(t, err.Error(), "no Docker engine for testcontainers")
}
