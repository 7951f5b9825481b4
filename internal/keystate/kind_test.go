package keystate

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestKinds(t *testing.T) {
	for _, k := range LiveKinds {
		assert.True(t, IsLiveKind(k), k)
		assert.True(t, IsKnownKind(k), k)
		require.NoError(t, CheckLiveKind(k))
	}
	assert.False(t, IsLiveKind(KindSnapshot), "a snapshot is not audited live")
	assert.True(t, IsKnownKind(KindSnapshot))
	for _, k := range IaCKinds {
		assert.True(t, IsIaCKind(k), k)
		assert.True(t, IsKnownKind(k), k)
		assert.False(t, IsLiveKind(k), "%s judges code, not a live key", k)
	}
	assert.False(t, IsIaCKind(KindSnapshot), "a snapshot describes a key that exists")
	for _, bad := range []string{"", "AWS", "Embedded", "gcp", " aws"} {
		assert.False(t, IsLiveKind(bad), "%q", bad)
		err := CheckLiveKind(bad)
		require.Error(t, err, "%q", bad)
		assert.Contains(t, err.Error(), "unknown kind")
		assert.Contains(t, err.Error(), "embedded, localstack, aws")
	}
}
