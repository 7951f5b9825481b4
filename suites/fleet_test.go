package suites

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/fleet"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
	"github.com/aep-cmk/cmkcheck/internal/testkit/fleetmix"
)

// fleetKeys is how many keys TestFleet provisions when no selection is
// given: a few, so that `make test` stays small; the benchmarks go large.
const fleetKeys = 6

// TestFleet audits a fleet and gives each key a subtest, and each of its
// requirements a subtest inside it. The selection comes from the
// environment (CMK_ALL, CMK_KEYS_FILE, CMK_REGIONS, CMK_ACCOUNTS_FILE,
// CMK_ORGANIZATION, CMK_ROLE_ARN_TEMPLATE, CMK_PLATFORM_KEYS_ONLY); without
// one, on an emulator, it provisions a few keys as the guide says and
// audits them through a keys file. The reports go to CMK_REPORT_DIR/fleet.
func TestFleet(t *testing.T) {
	in, parallel, err := vars.FleetInput()
	require.NoError(t, err)
	kind := targetKind(t)
	p := loadProfile(t)
	o := fleet.Options{Target: kind, Opener: opener(), Profile: p, Parallel: parallel}
	if !in.Given() {
		if kind == keystate.KindAWS {
			t.Skipf("no fleet selection: set %s=1 or %s to audit a fleet on aws", env.FleetAll, env.FleetKeysFile)
		}
		tg, err := opener().Open(t.Context(), kind, p.Profile().Region, "")
		require.NoError(t, err)
		t.Cleanup(tg.Close)
		p = selfProfile(t, tg)
		var ids []string
		for range fleetKeys {
			ids = append(ids, createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)).Arn)
		}
		keysFile := filepath.Join(t.TempDir(), "keys.txt")
		require.NoError(t, os.WriteFile(keysFile, []byte(strings.Join(ids, "\n")+"\n"), 0o644))
		in = fleet.Input{KeysFile: keysFile}
		o.Conn, o.Profile = tg, p
	}
	o.Selection, err = in.Load()
	require.NoError(t, err, "the fleet selection")

	dir := filepath.Join(reportDir(t), "fleet")
	w, err := fleet.NewReports(dir, fleet.Meta("suites-"+t.Name(), o, in.KeysFile, keystate.TargetFacts{Kind: kind}))
	require.NoError(t, err)
	mem := &keep{next: w}
	o.Sink = mem
	sum, err := fleet.Run(t.Context(), o)
	require.NoError(t, err, "the fleet could not run")
	paths, err := w.Close(sum)
	require.NoError(t, err)
	t.Logf("%d keys, %d accounts and regions (%d in error), verdict %s; index %s", sum.Keys, sum.Places, sum.PlaceErrors, sum.Verdict(), paths.Markdown)

	for _, pl := range mem.places {
		if pl.Err != nil {
			t.Run(fmt.Sprintf("listing %s %s", pl.Account, pl.Region), func(t *testing.T) {
				t.Errorf("the account and region could not be reached or listed: %v", pl.Err)
			})
		}
	}
	for _, k := range mem.keys {
		if k.LeftOut {
			continue
		}
		// A subtest per key, named without slashes (go test -run splits on them).
		id := k.Selected
		if k.State != nil && k.State.Key != nil {
			id = k.State.Key.KeyID
		}
		name := strings.ReplaceAll(k.Account+" "+k.Region+" "+id, "/", "_")
		t.Run(name, func(t *testing.T) {
			if k.Run == nil {
				t.Fatalf("the key could not be judged: %v", k.Err)
			}
			t.Logf("%s: %s, platform key: %s", k.Run.KeyARN, k.Verdict(), k.Platform)
			for _, r := range k.Run.Results {
				t.Run(r.ID, func(t *testing.T) { judge(t, r) })
			}
		})
	}
}

// keep is a Sink that passes everything on and keeps it, for the subtests.
type keep struct {
	next   fleet.Sink
	mu     sync.Mutex
	places []*fleet.Place
	keys   []*fleet.Key
	aws    []string
}

func (k *keep) Prepare(key *fleet.Key) error {
	if p, ok := k.next.(fleet.Preparer); ok {
		return p.Prepare(key)
	}
	return nil
}

func (k *keep) Place(p *fleet.Place) error {
	k.mu.Lock()
	k.places = append(k.places, p)
	k.mu.Unlock()
	return k.next.Place(p)
}

func (k *keep) Key(key *fleet.Key) error {
	k.mu.Lock()
	k.keys = append(k.keys, key)
	k.mu.Unlock()
	return k.next.Key(key)
}

func (k *keep) AWSManaged(place, seq int, id string) error {
	k.mu.Lock()
	k.aws = append(k.aws, id)
	k.mu.Unlock()
	return k.next.AWSManaged(place, seq, id)
}

// byKeyID indexes the kept keys by the key ID their evidence names.
func (k *keep) byKeyID() map[string]*fleet.Key {
	out := map[string]*fleet.Key{}
	for _, key := range k.keys {
		if key.State != nil && key.State.Key != nil {
			out[key.State.Key.KeyID] = key
		}
	}
	return out
}

// multiRegion is tg, behind proxy, dressed as a target that has regions:
// local-kms answers whatever region a request is signed for, so each
// region of a run sees the same keys, and the proxy can fail one region.
// The caller is known, as when a LocalStack or AWS target opens.
func multiRegion(tg *targets.Conn, proxy *faultproxy.Proxy) *targets.Conn {
	c := behind(tg, proxy)
	c.Kind = keystate.KindLocalStack
	c.Caller = &keystate.Caller{Account: tg.Account, Arn: "arn:aws:iam::" + tg.Account + ":root", UserID: tg.Account}
	c.CallerAnswer = fmt.Appendf(nil, `{"UserId":%q,"Account":%q,"Arn":%q}`, tg.Account, tg.Account, c.Caller.Arn)
	return c
}

// fleetFaultRun runs --all through proxy and keeps what came.
func fleetFaultRun(t *testing.T, conn *targets.Conn, p profile.Valid, regions ...string) (*fleet.Summary, *keep, reports.IndexPaths) {
	t.Helper()
	return fleetFaultRunFor(t, conn, p, faultDeadline, regions...)
}

func fleetFaultRunFor(t *testing.T, conn *targets.Conn, p profile.Valid, timeout time.Duration, regions ...string) (*fleet.Summary, *keep, reports.IndexPaths) {
	t.Helper()
	o := fleet.Options{Conn: conn, Profile: p, Selection: fleet.Selection{All: true, Regions: regions}, Parallel: 4, Timeout: timeout}
	w, err := fleet.NewReports(t.TempDir(), fleet.Meta("faults", o, "", keystate.TargetFacts{Kind: conn.Kind}))
	require.NoError(t, err)
	mem := &keep{next: w}
	o.Sink = mem
	sum, err := fleet.Run(context.Background(), o)
	require.NoError(t, err, "a fault is never an error of the run itself")
	paths, err := w.Close(sum)
	require.NoError(t, err)
	return sum, mem, paths
}

// readIndex reads a run's JSON index.
func readIndex(t *testing.T, paths reports.IndexPaths) *reports.FleetIndex {
	t.Helper()
	f, err := os.Open(paths.JSON)
	require.NoError(t, err)
	defer f.Close()
	idx, err := reports.ReadIndex(f)
	require.NoError(t, err)
	return idx
}

// TestFleetFaults: a key that is throttled, one whose answers fail, one
// whose audit panics inside cmkcheck, a denied ListKeys, a denied
// region-wide ListAliases, a region that does not answer. Each fault is
// ERROR where it struck and nowhere else; every key and every region is in
// the index; nothing is silently dropped (Prowler's bug #12711 made a
// denied ListKeys an empty, clean report).
func TestFleetFaults(t *testing.T) {
	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	var keys []*provision.Key
	for range 6 {
		keys = append(keys, createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)))
	}
	baseline, base, _ := fleetFaultRun(t, behind(tg, newProxy(t, tg)), p)
	require.Equal(t, checks.Ready, baseline.Verdict())
	require.Len(t, base.keys, len(keys))
	want := map[string][]string{}
	for id, k := range base.byKeyID() {
		want[id] = statusLines(k.Run.Results)
	}

	// assertOthers: every key but the struck ones judges as without faults.
	assertOthers := func(t *testing.T, mem *keep, struck ...string) {
		got := mem.byKeyID()
		for _, k := range keys {
			if !slices.Contains(struck, k.KeyID) {
				require.Contains(t, got, k.KeyID, "key %s is in the run", k.KeyID)
				assert.Equal(t, want[k.KeyID], statusLines(got[k.KeyID].Run.Results), "key %s was not struck", k.KeyID)
			}
		}
	}

	// KMS throttles an account and region, so the adaptive retry mode slows
	// the whole place's client after a throttle: keys that were not
	// throttled may then run out of time. They are ERROR saying so, never a
	// PASS they would not have had, never missing.
	t.Run("a throttled key", func(t *testing.T) {
		t.Parallel() // mostly asleep in the retries' backoff
		slow := keys[0].KeyID
		proxy := newProxy(t, tg, faultproxy.Rule{Operation: "GetKeyPolicy", Match: slow, Fault: faultproxy.Throttling})
		sum, mem, paths := fleetFaultRun(t, behind(tg, proxy), p)
		got := mem.byKeyID()
		require.Len(t, got, len(keys), "every key is in the run")
		k := got[slow]
		for _, id := range hitBy(keystate.GetKeyPolicy) {
			r := byID(k.Run.Results)[id]
			assert.Equal(t, checks.Error, r.Status, "%s of the throttled key", id)
			assert.Contains(t, r.Observed, "ThrottlingException")
		}
		assert.Equal(t, checks.NotReady, k.Verdict())
		for id, other := range got {
			was := byID(base.byKeyID()[id].Run.Results)
			for _, r := range other.Run.Results {
				if r.Status != was[r.ID].Status {
					assert.Equal(t, checks.Error, r.Status, "%s of %s changed, and only to ERROR: %s", r.ID, id, r.Observed)
				}
			}
		}
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Len(t, readIndex(t, paths).Keys, len(keys))
	})

	t.Run("throttling that passes", func(t *testing.T) {
		t.Parallel()
		var rules []faultproxy.Rule
		for _, k := range keys {
			rules = append(rules, faultproxy.Rule{Operation: "GetKeyPolicy", Match: k.KeyID, Fault: faultproxy.Throttling, Times: 1})
		}
		proxy := newProxy(t, tg, rules...)
		start := time.Now()
		sum, mem, _ := fleetFaultRunFor(t, behind(tg, proxy), p, time.Minute)
		t.Logf("%d throttles: the run took %s", len(keys), time.Since(start))
		assertOthers(t, mem)
		assert.Equal(t, 2*len(keys), proxy.Calls("GetKeyPolicy"), "each key's GetKeyPolicy throttled once, then answered")
		assert.Equal(t, checks.Ready, sum.Verdict())
	})

	t.Run("a key whose answers fail", func(t *testing.T) {
		bad := keys[2].KeyID
		proxy := newProxy(t, tg, faultproxy.Rule{Operation: "DescribeKey", Match: bad, Fault: faultproxy.Internal})
		sum, mem, paths := fleetFaultRun(t, behind(tg, proxy), p)
		k := mem.byKeyID()[bad]
		if k == nil { // DescribeKey failed: the key is known by its selection
			for _, kk := range mem.keys {
				if kk.Selected == bad {
					k = kk
				}
			}
		}
		require.NotNil(t, k, "the failing key is in the run")
		assert.Equal(t, checks.NotReady, k.Verdict())
		for _, id := range hitBy(keystate.DescribeKey) {
			assert.Equal(t, checks.Error, byID(k.Run.Results)[id].Status, "%s rests on DescribeKey", id)
		}
		for _, r := range k.Run.Results {
			if r.Status == checks.Pass {
				assert.NotContains(t, hitBy(keystate.DescribeKey), r.ID, "%s is PASS without DescribeKey", r.ID)
			}
		}
		assert.Equal(t, len(keys)-1+targets.MaxAttempts, proxy.Calls("DescribeKey"), "the failing DescribeKey was tried MaxAttempts times")
		idx := readIndex(t, paths)
		assert.Len(t, idx.Keys, len(keys), "every key is in the index")
		assert.Equal(t, 1, sum.KeyErrors)
		for _, other := range keys {
			if other.KeyID != bad {
				assert.Equal(t, want[other.KeyID], statusLines(mem.byKeyID()[other.KeyID].Run.Results))
			}
		}
	})

	t.Run("a panic while auditing a key", func(t *testing.T) {
		victim := keys[3].KeyID
		conn := behind(tg, newProxy(t, tg))
		conn.Config.HTTPClient = panickingFor{match: victim, op: "GetKeyPolicy", next: conn.Config.HTTPClient}
		_, mem, paths := fleetFaultRun(t, conn, p)
		var k *fleet.Key
		for _, kk := range mem.keys {
			if kk.Selected == victim {
				k = kk
			}
		}
		require.NotNil(t, k, "the key whose audit panicked is in the run")
		assert.Nil(t, k.Run)
		assert.ErrorContains(t, k.Err, "deliberate panic")
		assert.Equal(t, "ERROR", k.Verdict())
		assertOthers(t, mem, victim)
		assert.Len(t, readIndex(t, paths).Keys, len(keys))
	})

	t.Run("ListKeys denied", func(t *testing.T) {
		proxy := newProxy(t, tg, faultproxy.Rule{Operation: "ListKeys", Fault: faultproxy.AccessDenied})
		sum, mem, paths := fleetFaultRun(t, behind(tg, proxy), p)
		assert.Empty(t, mem.keys, "no key is known")
		require.Len(t, mem.places, 1)
		assert.ErrorContains(t, mem.places[0].Err, "AccessDeniedException")
		assert.Equal(t, checks.NotReady, sum.Verdict(), "an empty region that could not be listed is not READY")
		idx := readIndex(t, paths)
		require.Len(t, idx.Places, 1)
		assert.Contains(t, idx.Places[0].Error, "kms:ListKeys")
		md, err := os.ReadFile(paths.Markdown)
		require.NoError(t, err)
		assert.Contains(t, string(md), "(not listed) | | | **ERROR** |", "the region is an ERROR row of the key table")
		junit, err := os.ReadFile(paths.JUnit)
		require.NoError(t, err)
		assert.Contains(t, string(junit), `<error message=`, "CI fails on it")
	})

	t.Run("ListAliases denied", func(t *testing.T) {
		proxy := newProxy(t, tg, faultproxy.Rule{Operation: "ListAliases", Fault: faultproxy.AccessDenied})
		sum, mem, _ := fleetFaultRun(t, behind(tg, proxy), p)
		require.Len(t, mem.keys, len(keys), "the keys are still audited")
		for _, k := range mem.keys {
			for _, id := range hitBy(keystate.ListAliases) {
				assert.Equal(t, checks.Error, byID(k.Run.Results)[id].Status, "%s of %s", id, k.Selected)
			}
		}
		assert.Equal(t, 1, proxy.Calls("ListAliases"), "asked once for the region, not per key")
		assert.Equal(t, 1, sum.PlaceErrors)
		assert.Equal(t, checks.NotReady, sum.Verdict())
	})

	t.Run("the organization's accounts denied", func(t *testing.T) {
		proxy := newProxy(t, tg, faultproxy.Rule{Operation: "ListAccounts", Fault: faultproxy.AccessDenied})
		o := fleet.Options{Conn: multiRegion(tg, proxy), Profile: p, Timeout: faultDeadline,
			Selection: fleet.Selection{All: true, Organization: true, RoleTemplate: "arn:aws:iam::{account}:role/CmkAudit"}}
		mem := &keep{next: discard{}}
		o.Sink = mem
		sum, err := fleet.Run(context.Background(), o)
		require.NoError(t, err)
		require.Len(t, mem.places, 1, "no account is known: one ERROR entry says why")
		assert.Equal(t, "(organization)", mem.places[0].Account)
		assert.ErrorContains(t, mem.places[0].Err, "organizations:ListAccounts failed")
		assert.ErrorContains(t, mem.places[0].Err, "AccessDeniedException")
		assert.Empty(t, mem.keys)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		assert.Equal(t, 1, sum.Calls[collect.OpListAccounts], "through the account guard")
	})

	t.Run("a region that does not answer", func(t *testing.T) {
		proxy := newProxy(t, tg, faultproxy.Rule{Region: "eu-west-1", Fault: faultproxy.Reset})
		sum, mem, paths := fleetFaultRun(t, multiRegion(tg, proxy), p, "us-east-1", "eu-west-1")
		require.Len(t, mem.places, 2)
		byRegion := map[string]*fleet.Place{}
		for _, pl := range mem.places {
			byRegion[pl.Region] = pl
		}
		assert.NoError(t, byRegion["us-east-1"].Err)
		assert.ErrorContains(t, byRegion["eu-west-1"].Err, "reset")
		assert.Len(t, mem.keys, len(keys), "the answering region's keys are audited")
		for _, k := range mem.keys {
			assert.Equal(t, "us-east-1", k.Region)
		}
		assert.Equal(t, 1, sum.PlaceErrors)
		assert.Equal(t, checks.NotReady, sum.Verdict())
		idx := readIndex(t, paths)
		require.Len(t, idx.Places, 2)
		assert.Equal(t, "eu-west-1", idx.Places[1].Region)
		assert.NotEmpty(t, idx.Places[1].Error)
	})
}

// panickingFor panics on one operation for one key: a bug deep in one
// key's audit.
type panickingFor struct {
	match, op string
	next      aws.HTTPClient
}

func (p panickingFor) Do(r *http.Request) (*http.Response, error) {
	if faultproxy.Operation(r) == p.op && r.Body != nil {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return nil, err
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		if bytes.Contains(body, []byte(p.match)) {
			panic("deliberate panic on " + p.op + " for " + p.match)
		}
	}
	return p.next.Do(r)
}

// statusLines is what a reader compares: each check's status and observation.
func statusLines(rs []checks.Result) []string {
	var out []string
	for _, r := range rs {
		out = append(out, r.ID+" "+string(r.Status)+": "+r.Observed)
	}
	return out
}

// TestFleetIsReadOnly: a fleet run sends only the fleet's reads (the
// guard's records and the proxy, an independent witness, agree), and
// leaves every key as it was.
func TestFleetIsReadOnly(t *testing.T) {
	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	var keys []*provision.Key
	for _, v := range []provision.Variant{provision.Correct, provision.Disabled, provision.RotationOff} {
		spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
		spec.Variant = v
		keys = append(keys, createKey(t, tg, spec))
	}
	before := keyStates(t, tg)
	proxy := newProxy(t, tg)
	sum, mem, _ := fleetFaultRun(t, behind(tg, proxy), p)
	require.Len(t, mem.keys, len(keys))

	allowed := append(collect.FleetReadOnly(p.Profile().Roundtrip), collect.AccountReadOnly()...)
	sent := map[string]int{}
	for op, n := range sum.Calls {
		assert.Contains(t, allowed, op, "the fleet sent %s", op)
		sent[strings.TrimPrefix(op, "kms:")] += n
	}
	assert.Equal(t, sent, proxy.Seen(), "the proxy saw exactly what the guards recorded")
	for _, k := range mem.keys {
		assert.Empty(t, k.Record.Refused, "nothing had to be refused")
	}
	assert.Equal(t, before, keyStates(t, tg), "no key changed state")
	c := kms.NewFromConfig(tg.Config)
	for _, k := range keys {
		pol, err := c.GetKeyPolicy(context.Background(), &kms.GetKeyPolicyInput{KeyId: aws.String(k.KeyID), PolicyName: aws.String("default")})
		require.NoError(t, err)
		assert.JSONEq(t, k.Policy, aws.ToString(pol.Policy))
	}
	assert.Contains(t, before, keys[1].KeyID)
	assert.Equal(t, types.KeyStateDisabled, before[keys[1].KeyID])
}

// TestFleetAccounts reaches a second account through the role template:
// sts:AssumeRole and GetCallerIdentity once per account, the region's
// lists once per account and region, each account's keys in its own
// place. LocalStack only: it acts in the account a role's credentials name.
func TestFleetAccounts(t *testing.T) {
	if targetKind(t) != keystate.KindLocalStack {
		t.Skip("LocalStack only: the embedded target has one account and no STS")
	}
	ctx := t.Context()
	tg, err := opener().Open(ctx, keystate.KindLocalStack, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	const other = "111111111111"
	second, err := opener().Open(ctx, keystate.KindLocalStack, tg.Region, other)
	require.NoError(t, err)
	t.Cleanup(second.Close)
	p := selfProfile(t, tg)
	mine := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
	theirs := createKey(t, second, provision.SpecFromProfile(p.Profile(), other, second.Kind))

	accounts := filepath.Join(t.TempDir(), "accounts.txt")
	require.NoError(t, os.WriteFile(accounts, []byte(tg.Account+"\n"+other+"\n"), 0o644))
	keysFile := filepath.Join(t.TempDir(), "keys.txt")
	require.NoError(t, os.WriteFile(keysFile, []byte(mine.Arn+"\n"+theirs.Arn+"\n"), 0o644))
	sel, err := fleet.Input{KeysFile: keysFile, AccountsFile: accounts, RoleTemplate: "arn:aws:iam::{account}:role/CmkAudit"}.Load()
	require.NoError(t, err)
	mem := &keep{next: discard{}}
	sum, err := fleet.Run(ctx, fleet.Options{Conn: tg, Profile: p, Selection: sel, Sink: mem})
	require.NoError(t, err)
	require.Len(t, mem.places, 2)
	for _, pl := range mem.places {
		assert.NoError(t, pl.Err)
		assert.Equal(t, 1, pl.Keys, "%s: the key file's key of this account", pl.Account)
	}
	got := mem.byKeyID()
	require.Contains(t, got, mine.KeyID)
	require.Contains(t, got, theirs.KeyID)
	assert.Equal(t, other, got[theirs.KeyID].Account)
	assert.Equal(t, other, got[theirs.KeyID].Run.Account, "judged in its own account")
	assert.Equal(t, 2, sum.Calls[collect.OpAssumeRole], "one role per account")
	assert.Equal(t, 2, sum.Calls[collect.OpGetCallerIdentity], "the caller once per account")
	assert.Zero(t, sum.PlaceErrors)
}

// discard is a Sink that writes nothing.
type discard struct{}

func (discard) Place(*fleet.Place) error          { return nil }
func (discard) Key(*fleet.Key) error              { return nil }
func (discard) AWSManaged(int, int, string) error { return nil }

// TestFleetEqualsSingleAudits: on the suites' target (embedded, or
// LocalStack with its multi-Region keys), every key of the mix judges in a
// fleet as its own single audit judges it.
func TestFleetEqualsSingleAudits(t *testing.T) {
	kind := targetKind(t)
	if kind == keystate.KindAWS {
		t.Skip("makes keys of every wrong kind: emulators only")
	}
	tg, err := opener().Open(t.Context(), kind, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	p := selfProfile(t, tg)
	var arns []string
	for i := range fleetmix.Mix {
		spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
		spec.Variant = fleetmix.VariantOf(i, tg.Kind)
		arns = append(arns, createKey(t, tg, spec).Arn)
	}
	keysFile := filepath.Join(t.TempDir(), "keys.txt")
	require.NoError(t, os.WriteFile(keysFile, []byte(strings.Join(arns, "\n")), 0o644))
	sel, err := fleet.Input{KeysFile: keysFile}.Load()
	require.NoError(t, err)
	mem := &keep{next: discard{}}
	sum, err := fleet.Run(t.Context(), fleet.Options{Conn: tg, Profile: p, Selection: sel, Sink: mem})
	require.NoError(t, err)
	require.Len(t, mem.keys, len(arns))
	for _, m := range keystate.Members {
		want := len(arns)
		if m == keystate.ListAliases {
			want = 1 // the region's, shared
		}
		assert.Equal(t, want, sum.Calls["kms:"+m], "kms:%s", m)
	}
	// What does not depend on the key is asked once for all of them: the
	// monitoring answers once per account and region, IAM once per account.
	shared := []string{collect.OpListRules, collect.OpDescribeLogGroups, collect.OpDescribeMetricFilters,
		collect.OpDescribeAlarms, collect.OpGetAccountAuthorizationDetails}
	if kind == keystate.KindLocalStack {
		for _, op := range shared {
			assert.Equal(t, 1, sum.Calls[op], "%s once for the fleet's one account and region, not once a key", op)
		}
	}
	for _, k := range mem.keys {
		alone, err := audit.Run(t.Context(), audit.Options{Conn: tg, Profile: p, Key: k.Selected})
		require.NoError(t, err)
		require.NotNil(t, k.Run, "%s: %v", k.Selected, k.Err)
		assert.Equal(t, statusLines(alone.Run.Results), statusLines(k.Run.Results), "%s judges as its own audit", k.Selected)
		// Each key's snapshot still holds the shared answers itself, as
		// its own audit's does.
		for _, m := range append(slices.Clone(keystate.MonitoringMembers), keystate.GetAccountAuthorizationDetails) {
			assert.Equal(t, alone.State.Has(m), k.State.Has(m), "%s: %s", k.Selected, m)
			assert.Equal(t, alone.State.Problems[m], k.State.Problems[m], "%s: %s", k.Selected, m)
		}
	}
}

// TestFleetKeepsConnectionsAlive: with more keys in flight than the SDK's
// client keeps idle connections to a host (10), each place's client keeps
// one for every key in flight, as a client of AWS's endpoints would:
// none is dialled again for the next call. The proxy delays each call a
// little so the keys' calls overlap, and counts the connections opened to it.
func TestFleetKeepsConnectionsAlive(t *testing.T) {
	const parallel = 16
	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	for range 3 * parallel {
		createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
	}
	proxy := newProxy(t, tg, faultproxy.Rule{Fault: faultproxy.Latency, Delay: 10 * time.Millisecond})
	sum, err := fleet.Run(t.Context(), fleet.Options{Conn: behind(tg, proxy), Profile: p, Selection: fleet.Selection{All: true},
		Parallel: parallel, Sink: &keep{next: discard{}}})
	require.NoError(t, err)
	require.Equal(t, 3*parallel, sum.Keys)
	st := proxy.Stats()
	assert.Equal(t, sum.KeyCalls+2, st.Requests, "the keys' calls, ListKeys and ListAliases")
	assert.LessOrEqual(t, st.ClientConns, parallel, "connections opened for %d keys in flight", parallel)
}

// holdFirst holds the first key it is given to prepare until the proxy has
// seen DescribeKey for the keys after it (or a generous deadline passes).
type holdFirst struct {
	discard
	proxy *faultproxy.Proxy
	keys  int
	once  sync.Once
	saw   int // DescribeKey calls the proxy had seen when the first key was let go
}

func (h *holdFirst) Prepare(*fleet.Key) error {
	h.once.Do(func() {
		deadline := time.Now().Add(20 * time.Second) // a liveness bound, not a measurement
		for h.proxy.Calls("DescribeKey") < h.keys && time.Now().Before(deadline) {
			time.Sleep(5 * time.Millisecond)
		}
		h.saw = h.proxy.Calls("DescribeKey")
	})
	return nil
}

// TestFleetCollectsWhileJudging: what a key costs after its calls
// (judging, rendering and writing its reports) does not hold up the next
// keys' calls. With one key in flight, the keys after it are collected
// while the first one's reports are still being written.
func TestFleetCollectsWhileJudging(t *testing.T) {
	const keys = 3
	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	for range keys {
		createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
	}
	proxy := newProxy(t, tg)
	sink := &holdFirst{proxy: proxy, keys: keys}
	sum, err := fleet.Run(t.Context(), fleet.Options{Conn: behind(tg, proxy), Profile: p, Selection: fleet.Selection{All: true},
		Parallel: 1, Sink: sink})
	require.NoError(t, err)
	require.Equal(t, keys, sum.Keys)
	assert.Equal(t, keys, sink.saw, "keys collected while the first was being prepared")
}
