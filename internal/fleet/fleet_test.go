package fleet

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/fleetmix"
)

const testProfile = `
region: %s
shield: privacy-security
key_administrators: [arn:aws:iam::%[2]s:role/KeyAdmin]
key_users: [arn:aws:iam::%[2]s:role/KeyUser]
allow_key_deletion: false
adobe_principals: ["222233334444"]
`

func openEmbedded(t testing.TB) *targets.Conn {
	t.Helper()
	tg, err := targets.Open(context.Background(), keystate.KindEmbedded, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	return tg
}

func testProfileFor(t testing.TB, tg *targets.Conn) profile.Valid {
	t.Helper()
	p, err := profile.Parse(fmt.Appendf(nil, testProfile, tg.Region, tg.Account))
	require.NoError(t, err)
	return p
}

// makeMix provisions n keys of the comparison's mix on tg, deleted after the test.
func makeMix(t testing.TB, tg *targets.Conn, p profile.Valid, n int) []*provision.Key {
	t.Helper()
	keys, err := fleetmix.Create(context.Background(), tg.Config, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind), n, 4)
	t.Cleanup(func() { assert.NoError(t, fleetmix.Delete(context.Background(), tg.Config, keys, 4)) })
	require.NoError(t, err)
	return keys
}

// memory is a Sink that keeps everything, for tests of a few keys.
type memory struct {
	mu         sync.Mutex
	places     []*Place
	keys       []*Key
	awsManaged []string
}

func (m *memory) Place(p *Place) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.places = append(m.places, p)
	return nil
}

func (m *memory) Key(k *Key) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.keys = append(m.keys, k)
	return nil
}

func (m *memory) AWSManaged(_, _ int, id string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.awsManaged = append(m.awsManaged, id)
	return nil
}

func (m *memory) byID() map[string]*Key {
	out := map[string]*Key{}
	for _, k := range m.keys {
		if k.State != nil && k.State.Key != nil {
			out[k.State.Key.KeyID] = k
		}
	}
	return out
}

// statusLines is what a reader compares: each check's status and observation.
func statusLines(rs []checks.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID+" "+string(r.Status)+": "+r.Observed)
	}
	return out
}

// The fleet gives every key the statuses a single audit of it gives, at
// five KMS calls per key (every required snapshot member but ListAliases:
// DescribeKey, GetKeyPolicy, GetKeyRotationStatus, ListResourceTags,
// ListGrants) plus one ListKeys and one ListAliases for the
// region; the reports hold each key and the index lists them all.
func TestFleetMatchesSingleAudits(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	p := testProfileFor(t, tg)
	keys := makeMix(t, tg, p, 2*len(fleetmix.Mix))

	sink := &memory{}
	sum, err := Run(ctx, Options{Conn: tg, Profile: p, Selection: Selection{All: true}, Parallel: 4, Sink: sink})
	require.NoError(t, err)
	require.Len(t, sink.places, 1)
	assert.NoError(t, sink.places[0].Err)
	assert.Equal(t, len(keys), sink.places[0].Keys)
	assert.Equal(t, []string{"kms:ListAliases", "kms:ListKeys"}, sink.places[0].Calls, "the region's lists, once each")
	assert.Equal(t, len(keys), sum.Keys)
	assert.Zero(t, sum.PlaceErrors)

	perKey := len(keystate.Members) - 1 // every required member but ListAliases: 5 with ListGrants
	require.LessOrEqual(t, perKey, 5, "the call budget of issue 11")
	assert.Equal(t, len(keys)*perKey, sum.KeyCalls)
	assert.Equal(t, len(keys), sum.Calls["kms:DescribeKey"])
	assert.Equal(t, 1, sum.Calls["kms:ListAliases"], "ListAliases once for the region, not per key")

	got := sink.byID()
	require.Len(t, got, len(keys))
	for _, k := range keys {
		fk := got[k.KeyID]
		require.NotNil(t, fk, "key %s (%s) is in the fleet", k.KeyID, k.Variant.Name())
		require.NoError(t, fk.Err)
		alone, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Key: k.KeyID})
		require.NoError(t, err)
		assert.Equal(t, statusLines(alone.Run.Results), statusLines(fk.Run.Results), "%s: the same statuses as its own audit", k.Variant.Name())
		assert.Equal(t, alone.Run.Verdict, fk.Verdict())
		assert.Equal(t, k.Alias, fk.Alias)
		assert.Equal(t, PlatformYes, fk.Platform, "%s carries the platform's statements", k.Variant.Name())
	}
	assert.Equal(t, checks.NotReady, sum.Verdict(), "the mix has NOT READY platform keys")
}

// The reports: one results file, Markdown report and snapshot per key, and
// an index (Markdown, JSON, JUnit) listing every key with its verdict. A
// key's snapshot re-judges to its results.
func TestFleetReports(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	p := testProfileFor(t, tg)
	keys := makeMix(t, tg, p, len(fleetmix.Mix))
	dir := t.TempDir()

	o := Options{Conn: tg, Profile: p, Selection: Selection{All: true}, Parallel: 3}
	w, err := NewReports(dir, Meta("run-1", o, "", keystate.TargetFacts{Kind: tg.Kind, Endpoint: tg.Endpoint}))
	require.NoError(t, err)
	o.Sink = w
	sum, err := Run(ctx, o)
	require.NoError(t, err)
	paths, err := w.Close(sum)
	require.NoError(t, err)

	f, err := os.Open(paths.JSON)
	require.NoError(t, err)
	defer f.Close()
	idx, err := reports.ReadIndex(f)
	require.NoError(t, err)
	assert.Equal(t, checks.NotReady, idx.Summary.Verdict)
	require.Len(t, idx.Keys, len(keys))
	require.Len(t, idx.Places, 1)
	assert.Equal(t, 2, len(idx.Places[0].Listings))
	for _, k := range idx.Keys {
		data, err := os.ReadFile(filepath.Join(dir, k.Results))
		require.NoError(t, err)
		run, err := audit.Verify(data)
		require.NoError(t, err, "the results file of %s verifies: judged again from its evidence, it says the same", k.KeyARN)
		assert.Equal(t, k.Verdict, run.Verdict)
		assert.Equal(t, k.KeyARN, run.KeyARN)
		failed := []string{}
		for _, r := range run.Results {
			if r.Status == checks.Fail || r.Status == checks.Error {
				failed = append(failed, r.ID)
			}
		}
		assert.Equal(t, failed, k.Failed)

		require.NotEmpty(t, run.Snapshot, "the results file carries the snapshot it was judged on")
		state, err := keystate.Decode(run.Snapshot)
		require.NoError(t, err)
		again, err := audit.Evaluate(state, p, audit.Source{Target: keystate.TargetFacts{Kind: keystate.KindSnapshot}, Key: k.Selected})
		require.NoError(t, err)
		assert.Equal(t, statusLines(run.Results), statusLines(again.Results), "the snapshot of %s re-judges to its results", k.KeyARN)
		_, err = os.Stat(filepath.Join(dir, k.Markdown))
		assert.NoError(t, err)
	}
	md, err := os.ReadFile(paths.Markdown)
	require.NoError(t, err)
	for _, k := range idx.Keys {
		assert.Contains(t, string(md), "("+filepath.ToSlash(k.Markdown)+")", "the index links %s's report", k.KeyARN)
	}
	junit, err := os.ReadFile(paths.JUnit)
	require.NoError(t, err)
	assert.Equal(t, len(keys), strings.Count(string(junit), "<testsuite "), "one testsuite per key")
}

// Only the platform's keys are kept with --platform-keys-only; the others
// are counted and listed as left out, never silently dropped.
func TestFleetPlatformKeysOnly(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	p := testProfileFor(t, tg)
	spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
	platform, err := provision.CreateKeyE(ctx, tg.Config, spec)
	require.NoError(t, err)
	other := spec
	other.AdobeAccounts = nil // a key of another use: no platform statements
	notPlatform, err := provision.CreateKeyE(ctx, tg.Config, other)
	require.NoError(t, err)
	t.Cleanup(func() {
		assert.NoError(t, fleetmix.Delete(ctx, tg.Config, []*provision.Key{platform, notPlatform}, 2))
	})

	sink := &memory{}
	sum, err := Run(ctx, Options{Conn: tg, Profile: p, Selection: Selection{All: true, PlatformOnly: true}, Sink: sink})
	require.NoError(t, err)
	got := sink.byID()
	assert.Equal(t, PlatformYes, got[platform.KeyID].Platform)
	assert.False(t, got[platform.KeyID].LeftOut)
	assert.Equal(t, PlatformNo, got[notPlatform.KeyID].Platform)
	assert.True(t, got[notPlatform.KeyID].LeftOut)
	assert.Equal(t, 1, sum.Keys)
	assert.Equal(t, 1, sum.LeftOut)
	assert.Equal(t, checks.Ready, sum.Verdict(), "the one platform key is READY; the other is not judged for the exit status")
}

// A keys file: IDs, ARNs and aliases; a missing one is an ERROR row of its
// own, and does not stop the others.
func TestFleetKeysFile(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	p := testProfileFor(t, tg)
	keys := makeMix(t, tg, p, 3)
	file := fmt.Sprintf("# platform keys\n%s\n\n%s\n%s\nalias/Not-There\n", keys[0].KeyID, keys[1].Arn, keys[2].Alias)
	refs, err := ParseKeysFile(strings.NewReader(file), "keys.txt")
	require.NoError(t, err)
	require.Len(t, refs, 4)

	sink := &memory{}
	sum, err := Run(ctx, Options{Conn: tg, Profile: p, Selection: Selection{Keys: refs}, Sink: sink})
	require.NoError(t, err)
	require.Len(t, sink.keys, 4)
	bySel := map[string]*Key{}
	for _, k := range sink.keys {
		bySel[k.Selected] = k
	}
	for _, k := range keys {
		assert.NotNil(t, sink.byID()[k.KeyID], "key %s audited", k.KeyID)
	}
	missing := bySel["alias/Not-There"]
	require.NotNil(t, missing)
	assert.Equal(t, checks.NotReady, missing.Verdict())
	assert.Contains(t, missing.Run.Results[0].Observed+missing.Run.Results[5].Observed, "NotFoundException")
	assert.Equal(t, checks.NotReady, sum.Verdict())
	assert.Zero(t, sink.places[0].Calls != nil && slices.Contains(sink.places[0].Calls, "kms:ListKeys"), "no ListKeys without --all")
}

// A run that judged no key is never READY: Run ends it with a
// NothingJudgedError that names where it looked, and the index refuses to
// close over it. Keys that could not be read are not "nothing": each is an
// ERROR entry, and the run is NOT READY.
func TestNothingJudgedIsNeverReady(t *testing.T) {
	ctx := context.Background()
	t.Run("an --all that lists no key", func(t *testing.T) {
		tg := openEmbedded(t)
		p := testProfileFor(t, tg)
		dir := t.TempDir()
		o := Options{Conn: tg, Profile: p, Selection: Selection{All: true}}
		w, err := NewReports(dir, Meta("run-empty", o, "", keystate.TargetFacts{Kind: tg.Kind}))
		require.NoError(t, err)
		o.Sink = w
		sum, err := Run(ctx, o)
		var nothing *NothingJudgedError
		require.ErrorAs(t, err, &nothing)
		assert.Equal(t, []string{tg.Account + " " + tg.Region}, nothing.Places)
		assert.Contains(t, err.Error(), "account "+tg.Account+" in "+tg.Region)
		require.NotNil(t, sum)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Contains(t, sum.Rule(), "no key was judged")
		_, err = w.Close(sum)
		require.Error(t, err, "no index over nothing")
		left, err := os.ReadDir(dir)
		require.NoError(t, err)
		assert.Empty(t, left, "no index file, no parts")
	})
	t.Run("every key left out by --platform-keys-only", func(t *testing.T) {
		tg := openEmbedded(t)
		p := testProfileFor(t, tg)
		spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
		spec.AdobeAccounts = nil // a key of another use: no platform statements
		other, err := provision.CreateKeyE(ctx, tg.Config, spec)
		require.NoError(t, err)
		t.Cleanup(func() { assert.NoError(t, fleetmix.Delete(ctx, tg.Config, []*provision.Key{other}, 1)) })
		sink := &memory{}
		sum, err := Run(ctx, Options{Conn: tg, Profile: p, Selection: Selection{All: true, PlatformOnly: true}, Sink: sink})
		var nothing *NothingJudgedError
		require.ErrorAs(t, err, &nothing)
		assert.Equal(t, 1, nothing.LeftOut)
		assert.Contains(t, err.Error(), "1 key(s) left out by --platform-keys-only")
		assert.Equal(t, 1, sum.LeftOut)
		assert.Equal(t, checks.NotReady, sum.Verdict())
	})
	t.Run("keys that cannot be read are judged as errors", func(t *testing.T) {
		tg := openEmbedded(t)
		p := testProfileFor(t, tg)
		refs, err := ParseKeysFile(strings.NewReader("alias/Not-There\n1234abcd-12ab-34cd-56ef-1234567890ab\n"), "keys.txt")
		require.NoError(t, err)
		sink := &memory{}
		sum, err := Run(ctx, Options{Conn: tg, Profile: p, Selection: Selection{Keys: refs}, Sink: sink})
		require.NoError(t, err, "each missing key is an entry of its own")
		assert.Equal(t, 2, sum.Keys)
		assert.Equal(t, 2, sum.KeyErrors)
		assert.Equal(t, checks.NotReady, sum.Verdict())
	})
}

// The message names every account and region looked in, and what was
// found there that is not judged: AWS managed keys (the embedded target
// cannot make one), left-out keys, suspended accounts.
func TestNothingJudgedMessage(t *testing.T) {
	e := &NothingJudgedError{Places: []string{"111122223333 us-east-1", "111122223333 eu-west-1", "444455556666 us-east-1"},
		Notes: []string{"account 444455556666: the organization says the account is SUSPENDED: not audited"}, AWSManaged: 3}
	msg := e.Error()
	assert.Contains(t, msg, "account 111122223333 in us-east-1, eu-west-1; account 444455556666 in us-east-1")
	assert.Contains(t, msg, "3 AWS managed key(s), which are not audited")
	assert.Contains(t, msg, "SUSPENDED")
	assert.Contains(t, msg, "never READY")
	assert.NotContains(t, msg, "\n")
}
