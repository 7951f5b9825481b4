package fleet

import (
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
)

// MaxShards bounds N in --shard K/N: a GitHub Actions matrix runs at most
// 256 jobs, and more shards than accounts x regions only leave shards idle.
const MaxShards = 1000

// Shard is one part of a run split across a CI matrix: shard K of N owns
// the accounts x regions whose "account/region" hashes to it. The zero
// Shard is an unsplit run.
type Shard struct{ K, N int }

// Sharded says whether the run is one part of a split run.
func (s Shard) Sharded() bool { return s.N > 0 }

func (s Shard) String() string { return fmt.Sprintf("%d/%d", s.K, s.N) }

// ParseShard reads --shard K/N, naming what is wrong with anything else.
func ParseShard(text string) (Shard, error) {
	k, n, ok := strings.Cut(strings.TrimSpace(text), "/")
	kn, kerr := strconv.Atoi(k)
	nn, nerr := strconv.Atoi(n)
	switch {
	case !ok || kerr != nil || nerr != nil:
		return Shard{}, fmt.Errorf("--shard %q: want K/N, two whole numbers like 2/3 (shard K of N)", text)
	case nn < 1 || nn > MaxShards:
		return Shard{}, fmt.Errorf("--shard %q: N (the number of shards) must be 1 to %d", text, MaxShards)
	case kn < 1 || kn > nn:
		return Shard{}, fmt.Errorf("--shard %q: K must be 1 to N (%d)", text, nn)
	}
	return Shard{K: kn, N: nn}, nil
}

// ShardOf is the shard (1 to n) that owns an account and region: FNV-1a
// (64 bits) of "account/region", modulo n. The hash is fixed by its
// definition, not by Go's map order or version, so a shard owns the same
// accounts and regions (and so the same keys) from run to run, and a
// shard's owner never depends on which other places the run has.
func ShardOf(account, region string, n int) int {
	h := fnv.New64a()
	h.Write([]byte(PlaceName(account, region)))
	return int(h.Sum64()%uint64(n)) + 1
}

// PlaceName is how a shard record names an account and region.
func PlaceName(account, region string) string { return account + "/" + region }

// Owns says whether the shard owns an account and region; an unsplit run
// owns them all.
func (s Shard) Owns(account, region string) bool {
	return !s.Sharded() || ShardOf(account, region, s.N) == s.K
}

// ShardPlan is what a shard of a run covered: the run's accounts x regions
// (every shard plans the same), and those this shard owns.
type ShardPlan struct {
	Shard
	Plan []string // "account/region", in the run's order
	Owns []string // the plan's entries this shard audited, in order
}
