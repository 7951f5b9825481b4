package collect

import (
	"context"
	"encoding/json"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
)

// In a fleet, each key's snapshot is as self-contained as a single audit's:
// its ListAliases member holds exactly the aliases that target it, taken
// from the one region-wide list, and it judges the same. Each key costs
// five KMS calls; the region's listing is asked once.
func TestFleetKeysShareTheRegionsLists(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	variants := []provision.Variant{provision.Correct, provision.NoAlias, provision.GenericAlias, provision.RotationOff}
	var keys []*provision.Key
	for _, v := range variants {
		keys = append(keys, makeKey(t, tg, v))
	}
	// A second alias on the first key: both must be in its member.
	second := "alias/Second-Name-For-The-First-Key"
	_, err := kms.NewFromConfig(tg.Config).CreateAlias(ctx, &kms.CreateAliasInput{AliasName: aws.String(second), TargetKeyId: aws.String(keys[0].KeyID)})
	require.NoError(t, err)

	c, err := NewFleet(tg, Options{})
	require.NoError(t, err)
	ids, listing, rec, err := c.ListKeys(ctx)
	require.NoError(t, err)
	assert.Equal(t, []string{OpListKeys}, rec.Calls)
	assert.Equal(t, 1, listing.Pages)
	assert.Len(t, listing.SHA256, 1)
	for _, k := range keys {
		assert.Contains(t, ids, k.KeyID)
	}
	aliases := c.ListRegionAliases(ctx)
	require.Empty(t, aliases.Problem)
	assert.Equal(t, []string{OpListAliases}, aliases.Record.Calls)
	assert.Equal(t, keys[0].KeyID, aliases.Target(second))
	assert.Empty(t, aliases.Target("alias/none"))

	scoped := c.WithScope(aliases, NewAccountFacts())
	for _, k := range keys {
		fleetState, fleetRec, skipped, err := scoped.CustomerKey(ctx, k.KeyID)
		require.NoError(t, err)
		require.False(t, skipped, "a customer managed key is collected")
		assert.Equal(t, []string{OpDescribeKey, OpGetKeyPolicy, OpGetKeyRotationStatus, OpListResourceTags, OpListGrants}, fleetRec.Calls,
			"%s: five calls, none for aliases", k.Variant.Name())
		alone, _, err := c.Key(ctx, k.KeyID)
		require.NoError(t, err)
		assert.ElementsMatch(t, alone.Aliases, fleetState.Aliases, "%s: the aliases a single audit sees", k.Variant.Name())
		for _, a := range fleetState.Aliases {
			assert.Equal(t, k.KeyID, a.TargetKeyID, "only the key's own aliases")
		}
		require.NoError(t, fleetState.SameKey(k.KeyID))
		if k.Alias != "" {
			require.NoError(t, fleetState.SameKey(k.Alias), "the key's alias names it in its own evidence")
		}
		// The saved snapshot re-decodes to the same state.
		snap, err := fleetState.Snapshot()
		require.NoError(t, err)
		again, err := keystate.Decode(snap)
		require.NoError(t, err)
		assert.Equal(t, fleetState.Aliases, again.Aliases)
		assert.Equal(t, verdicts(judged(t, alone, "")), verdicts(judged(t, fleetState, "")), "%s judges the same", k.Variant.Name())
	}
	names := func(s *keystate.State) []string {
		var out []string
		for _, a := range s.Aliases {
			out = append(out, a.Name)
		}
		slices.Sort(out)
		return out
	}
	first, _, _, err := scoped.CustomerKey(ctx, keys[0].KeyID)
	require.NoError(t, err)
	assert.Equal(t, []string{keys[0].Alias, second}, names(first))
	var member struct {
		Aliases   []json.RawMessage
		Truncated bool
	}
	require.NoError(t, json.Unmarshal(first.Raw[keystate.ListAliases], &member))
	assert.Len(t, member.Aliases, 2)
}

// A region-wide list that fails is every key's ListAliases problem (so
// its alias checks are ERROR), never an empty list.
func TestFleetAliasListFailureIsEachKeysProblem(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	c, err := NewFleet(tg, Options{})
	require.NoError(t, err)
	failing := &RegionAliases{Problem: "kms:ListAliases (region-wide) failed: AccessDeniedException"}
	s, rec, _, err := c.WithScope(failing, nil).CustomerKey(ctx, key.KeyID)
	require.NoError(t, err)
	assert.NotContains(t, rec.Calls, OpListAliases)
	assert.Nil(t, s.Aliases)
	assert.Equal(t, failing.Problem, s.Problem(keystate.ListAliases))
	for _, id := range []string{"CMK-LBL-1", "CMK-LBL-2"} {
		assert.Equal(t, "ERROR", string(judged(t, s, "")[id].Status), id)
	}
}

// An AWS managed key costs its DescribeKey only: nothing else is asked.
func TestFleetSkipsAWSManagedKeysAfterDescribe(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	c, err := NewFleet(tg, Options{})
	require.NoError(t, err)
	managed := &Collector{}
	*managed = *c
	called := false
	s, rec, skipped, err := managed.key(ctx, makeKey(t, tg, provision.Correct).KeyID, func(manager string) bool {
		called = true
		assert.Equal(t, "CUSTOMER", manager)
		return false // as if AWS managed
	})
	require.NoError(t, err)
	assert.True(t, called)
	assert.True(t, skipped)
	assert.Nil(t, s)
	assert.Equal(t, []string{OpDescribeKey}, rec.Calls)
}

// verdicts is each check's status and observation: what a reader sees,
// without the evidence bytes (a fleet key's ListAliases envelope is made
// from the region's pages, a single audit's is the page as sent).
func verdicts(rs map[string]checks.Result) map[string]string {
	out := map[string]string{}
	for id, r := range rs {
		out[id] = string(r.Status) + ": " + r.Observed
	}
	return out
}
