package targetkind

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKinds(t *testing.T) {
	for _, k := range Live {
		assert.True(t, IsLive(k), k)
		assert.True(t, IsKnown(k), k)
		require.NoError(t, CheckLive(k))
	}
	assert.False(t, IsLive(Snapshot), "a snapshot is not audited live")
	assert.True(t, IsKnown(Snapshot))
	for _, k := range Static {
		assert.True(t, IsStatic(k), k)
		assert.True(t, IsKnown(k), k)
		assert.False(t, IsLive(k), "%s judges code, not a live key", k)
	}
	assert.False(t, IsStatic(Snapshot), "a snapshot describes a key that exists")
	for _, bad := range []string{"", "AWS", "Embedded", "gcp", " aws"} {
		assert.False(t, IsLive(bad), "%q", bad)
		err := CheckLive(bad)
		require.Error(t, err, "%q", bad)
		assert.Contains(t, err.Error(), "unknown kind")
		assert.Contains(t, err.Error(), "embedded, localstack, aws")
	}
}
