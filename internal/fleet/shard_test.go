package fleet

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The split is a fixed function of "account/region": these owners were
// computed once (FNV-1a 64 of the name, modulo N, plus one) and must never
// change, or a CI matrix's shards would audit other keys after an upgrade.
func TestShardOfIsStable(t *testing.T) {
	for _, tc := range []struct {
		account, region string
		n, want         int
	}{
		{"111122223333", "us-east-1", 3, 2},
		{"444455556666", "us-east-1", 3, 1},
		{"444455556666", "eu-west-1", 3, 3},
		{"000000000000", "us-west-2", 2, 2},
		{"111111111111", "us-west-2", 3, 3},
		{"111122223333", "eu-west-1", 7, 7},
		{"111122223333", "ap-south-1", 7, 4},
	} {
		assert.Equal(t, tc.want, ShardOf(tc.account, tc.region, tc.n), "%s/%s of %d", tc.account, tc.region, tc.n)
		for k := 1; k <= tc.n; k++ {
			assert.Equal(t, k == tc.want, Shard{K: k, N: tc.n}.Owns(tc.account, tc.region))
		}
	}
	assert.True(t, Shard{}.Owns("111122223333", "us-east-1"), "an unsplit run owns everything")
	assert.Equal(t, 1, ShardOf("111122223333", "us-east-1", 1))
}

func TestParseShard(t *testing.T) {
	s, err := ParseShard("2/3")
	require.NoError(t, err)
	assert.Equal(t, Shard{K: 2, N: 3}, s)
	assert.Equal(t, "2/3", s.String())
	for text, says := range map[string]string{
		"0/3":    "K must be 1 to N (3)",
		"4/3":    "K must be 1 to N (3)",
		"-1/3":   "K must be 1 to N (3)",
		"1/0":    "N (the number of shards) must be 1 to 1000",
		"1/1001": "N (the number of shards) must be 1 to 1000",
		"a/b":    "want K/N, two whole numbers",
		"3":      "want K/N, two whole numbers",
		"":       "want K/N, two whole numbers",
		"1/3/5":  "want K/N, two whole numbers",
	} {
		_, err := ParseShard(text)
		require.Error(t, err, text)
		assert.Contains(t, err.Error(), says, text)
		assert.Contains(t, err.Error(), `--shard "`+text+`"`)
	}
}
