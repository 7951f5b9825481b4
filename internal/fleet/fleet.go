package fleet

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"slices"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/organizations"
	orgtypes "github.com/aws/aws-sdk-go-v2/service/organizations/types"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// DefaultParallel is how many keys are audited at once by default: each
// key's calls go one after the other, so a few keys in flight keep one
// account and region busy without coming near its quotas (the limiter
// holds them below on AWS). Measured with internal/testkit/floorbench
// (docs/fleet.md): at 8 the fleet stays nearest the bare client's time,
// with and without 25 ms a call; past 8, on 2 cores, it is bound by its
// own CPU (judging, writing reports) and gains only with latency.
const DefaultParallel = 8

// MaxParallel bounds --parallel: more keys in flight only queue at the
// limiter or the emulator.
const MaxParallel = 256

// Options say what a fleet run audits and where. They are values: the
// edges fill them from flags and the environment.
type Options struct {
	Target    string         // a live kind (keystate.LiveKinds); "" is embedded
	Opener    targets.Opener // opens the target when Conn is nil
	Conn      *targets.Conn  // an open target to start from (left open)
	Profile   profile.Valid  // every key is judged against it
	Selection Selection
	// Shard, when set, audits only the accounts x regions it owns (a CI
	// matrix's part of a run; cmkcheck merge joins the parts).
	Shard    Shard
	Parallel int           // keys audited at once; 0 means DefaultParallel
	Timeout  time.Duration // bounds each key's collection and each listing; 0 means collect.DefaultTimeout
	// Start is when the run began, as its index says; zero means when Run
	// is called. An edge that names the run before Run sets it.
	Start time.Time
	// Sink receives each account and region and each key as it finishes,
	// from one goroutine.
	Sink Sink
	// Progress, when set, is told after each place and key.
	Progress func(Progress)
}

// Sink receives a fleet run's results as they come: a place before its
// keys, each key once (in the order keys finish). An error from the sink
// ends the run (the keys in flight finish first).
type Sink interface {
	Place(*Place) error
	Key(*Key) error
	// AWSManaged is a key --all listed that DescribeKey or an alias/aws/
	// alias shows AWS manages: not audited, but accounted for.
	AWSManaged(place, seq int, keyID string) error
}

// Preparer is a Sink that does a key's own share of the work (rendering
// and writing its reports) in the worker that audited it, side by side
// with the other keys; Key then only records it, in one goroutine.
type Preparer interface {
	Prepare(*Key) error
}

// Place is one account and region of the run.
type Place struct {
	Seq             int
	Account, Region string
	Role            string // the role assumed to reach the account, "" for the caller's own
	Keys            int    // keys selected here; each comes to the sink as a Key or AWSManaged
	Listings        []collect.Listing
	// Err says why the place could not be reached or listed (then Keys is
	// 0), or which of its lists failed while its keys are still audited.
	Err error
	// Note says why a place was not audited on purpose (an organization's
	// suspended account).
	Note  string
	Calls []string // the listing's requests
}

// Key is one audited key.
type Key struct {
	Place, Seq      int
	Account, Region string
	Selected        string // how the selection named it
	Run             *reports.Run
	State           *keystate.State
	Record          *collect.Record
	Platform        Platform
	Alias           string // the key's own aliases, comma-separated
	// Err says why the key could not be judged (no Run): evidence about
	// another key, or a failure of this tool.
	Err error
	// LeftOut: judged, but not the platform's, and only those are kept.
	LeftOut bool
	// Prepared is what a Preparer made of the key, for its Key.
	Prepared any
}

// Verdict is the key's verdict, ERROR when it could not be judged.
func (k *Key) Verdict() string {
	if k.Run == nil {
		return "ERROR"
	}
	return k.Run.Verdict
}

// Failed are the IDs that are FAIL or ERROR.
func (k *Key) Failed() []string {
	var ids []string
	if k.Run != nil {
		for _, r := range k.Run.Results {
			if r.Status == checks.Fail || r.Status == checks.Error {
				ids = append(ids, r.ID)
			}
		}
	}
	return ids
}

// Progress is how far a run is.
type Progress struct {
	Places, PlacesDone int
	Keys, KeysDone     int // keys selected so far, and finished
	Errors             int // keys and places in error
}

// Summary is what a run found, and its verdict.
type Summary struct {
	Places, PlaceErrors                         int
	Keys, Ready, NotReady, KeyErrors            int
	Platform, PlatformUnknown, PlatformNotReady int
	LeftOut, AWSManaged                         int
	Calls                                       map[string]int // every request sent, by operation
	KeyCalls                                    int            // requests sent for keys (not lists, not accounts)
	Regions                                     []string       // the regions audited (the default one when none was given)
	Start, End                                  time.Time
	// Shard is what a shard of a split run covered; nil for a whole run.
	Shard *ShardPlan
}

// Verdict is NOT READY when any place is in error, or when any selected
// platform key (one that cannot be told apart included) is NOT READY; a
// run without platform keys is NOT READY when any key is. A run that
// judged no key is never READY (Run also ends it with a
// *NothingJudgedError).
func (s *Summary) Verdict() string {
	switch {
	case s.PlaceErrors > 0:
		return checks.NotReady
	case s.Keys == 0:
		return checks.NotReady
	case s.PlatformKeysCount() && s.PlatformNotReady > 0:
		return checks.NotReady
	case !s.PlatformKeysCount() && s.NotReady > 0:
		return checks.NotReady
	}
	return checks.Ready
}

// PlatformKeysCount says whose statuses the verdict counts: the
// platform's keys (and the undecided) when the run has any, else every key.
func (s *Summary) PlatformKeysCount() bool { return s.Platform+s.PlatformUnknown > 0 }

// Rule words how Verdict decided, for the index.
func (s *Summary) Rule() string {
	switch {
	case s.PlaceErrors > 0:
		return fmt.Sprintf("NOT READY: %d account/region entries could not be reached or listed, so keys may be missing.", s.PlaceErrors)
	case s.Keys == 0:
		return "NOT READY: no key was judged, and a run that judged nothing is never READY."
	case s.PlatformKeysCount():
		return fmt.Sprintf("The verdict is the platform keys': %d of %d platform keys (%d of them undecided) are NOT READY.",
			s.PlatformNotReady, s.Platform+s.PlatformUnknown, s.PlatformUnknown)
	}
	return fmt.Sprintf("No platform keys were selected: the verdict is every key's: %d of %d are NOT READY.", s.NotReady, s.Keys)
}

func (s *Summary) countCalls(rec *collect.Record) {
	if rec == nil {
		return
	}
	for _, op := range rec.Calls {
		s.Calls[op]++
		s.KeyCalls++
	}
}

func (s *Summary) count(k *Key) {
	s.countCalls(k.Record)
	if k.LeftOut {
		s.LeftOut++
		return
	}
	s.Keys++
	ready := k.Verdict() == checks.Ready
	if ready {
		s.Ready++
	} else {
		s.NotReady++
	}
	if hasError(k.Run) {
		s.KeyErrors++
	}
	switch k.Platform {
	case PlatformYes, PlatformUnknown:
		if k.Platform == PlatformYes {
			s.Platform++
		} else {
			s.PlatformUnknown++
		}
		if !ready {
			s.PlatformNotReady++
		}
	}
}

// job is one key to audit.
type job struct {
	place        *placeRun
	seq          int
	ref          string
	customerOnly bool // --all: AWS managed keys are skipped after DescribeKey
}

// placeRun is a place being audited: its collector, shared by its keys.
type placeRun struct {
	Place
	acct   *account
	target *targets.Conn
	coll   *collect.Collector
}

// event is what the workers hand the writer.
type event struct {
	place      *Place
	key        *Key
	awsManaged *job
	keyID      string
	record     *collect.Record // an AWS managed key's DescribeKey
	sinkErr    error           // the sink could not prepare a key
}

// account is one account of the run, reached once.
type account struct {
	id, role string
	once     sync.Once
	target   *targets.Conn
	err      error
	facts    *collect.AccountFacts
	note     string
}

type runner struct {
	o         Options
	base      *targets.Conn
	guard     *collect.Guard // sts and organizations requests
	limit     bool
	roundtrip bool
}

// Run audits the selected keys. The error is for what stops the whole run
// before any key (bad options, a target that cannot be opened, a keys file
// that cannot be placed); everything after that is in the sink: a key,
// region or account that fails is its own ERROR entry.
func Run(ctx context.Context, o Options) (*Summary, error) {
	sel := o.Selection
	if !sel.Active() {
		return nil, errors.New("fleet: no keys selected: --all or --keys FILE")
	}
	if err := sel.Check(); err != nil {
		return nil, err
	}
	if o.Sink == nil {
		return nil, errors.New("fleet: no sink for the results")
	}
	if o.Parallel == 0 {
		o.Parallel = DefaultParallel
	}
	if o.Parallel < 1 || o.Parallel > MaxParallel {
		return nil, fmt.Errorf("fleet: --parallel %d: want 1 to %d", o.Parallel, MaxParallel)
	}
	if o.Shard != (Shard{}) {
		if _, err := ParseShard(o.Shard.String()); err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
	}
	if o.Timeout <= 0 {
		o.Timeout = collect.DefaultTimeout
	}
	p := o.Profile.Profile()
	if o.Start.IsZero() {
		o.Start = time.Now()
	}
	sum := &Summary{Calls: map[string]int{}, Start: o.Start}

	base := o.Conn
	if base == nil {
		region := p.Region
		if len(sel.Regions) > 0 {
			region = sel.Regions[0]
		}
		kind := o.Target
		if kind == "" {
			kind = keystate.KindEmbedded
		}
		var err error
		if base, err = o.Opener.Open(ctx, kind, region, ""); err != nil {
			return nil, fmt.Errorf("fleet: %w", err)
		}
		defer base.Close()
	}
	if base.Kind == keystate.KindEmbedded && (len(sel.Accounts) > 0 || sel.Organization || sel.RoleTemplate != "") {
		return nil, errors.New("fleet: the embedded target has one account and no STS: --accounts, --organization and --role-arn-template need localstack or aws")
	}
	regions := sel.Regions
	if len(regions) == 0 {
		regions = []string{base.Region}
	}
	sum.Regions = regions
	r := &runner{o: o, base: base, limit: base.Kind == keystate.KindAWS, roundtrip: p.Roundtrip}
	r.guard = collect.NewGuard(base.Config.HTTPClient, collect.AccountReadOnly())
	defer func() {
		for _, op := range r.guard.Calls() {
			sum.Calls[op]++
		}
	}()

	accounts, orgErr := r.accounts(ctx)
	places, err := r.plan(accounts, regions)
	if err != nil {
		return nil, err
	}
	if o.Shard.Sharded() {
		places, sum.Shard = shardPlaces(places, o.Shard)
	}
	if orgErr != nil {
		// The organization could not be listed (in every shard: none
		// knows its accounts): no account is known, and
		// that is an entry of its own, never an empty report.
		places = append(places, &placeRun{Place: Place{Account: "(organization)", Region: "-", Err: orgErr}})
	}
	for i, pl := range places {
		pl.Seq = i
	}
	sum.Places = len(places)
	if err := r.run(ctx, places, sum); err != nil {
		return sum, err
	}
	if sum.Keys == 0 && sum.PlaceErrors == 0 && !o.Shard.Sharded() {
		// A shard that judged nothing is normal (its places hold no key, or
		// it owns none): its index says so, and merge decides the run.
		return sum, nothingJudged(places, sum)
	}
	return sum, nil
}

// shardPlaces keeps the places the shard owns, and records the whole plan:
// every shard of a run plans the same places, in the same order, and
// merge checks that they did.
func shardPlaces(places []*placeRun, s Shard) ([]*placeRun, *ShardPlan) {
	sp := &ShardPlan{Shard: s, Plan: []string{}, Owns: []string{}}
	var kept []*placeRun
	for _, pl := range places {
		name := PlaceName(pl.Account, pl.Region)
		sp.Plan = append(sp.Plan, name)
		if s.Owns(pl.Account, pl.Region) {
			sp.Owns = append(sp.Owns, name)
			kept = append(kept, pl)
		}
	}
	return kept, sp
}

// NothingJudgedError ends a run that judged no key and met no error: an
// --all that listed none, or only keys it does not judge (AWS managed,
// or not the platform's with --platform-keys-only). Such a run is never
// READY; the command makes it a usage error (exit 2). A run whose keys
// could not be read is not this: each key is its ERROR entry.
type NothingJudgedError struct {
	// Places are where the run looked, "ACCOUNT REGION" each, in order.
	Places []string
	// Notes say why an account was not looked in (a suspended one).
	Notes               []string
	LeftOut, AWSManaged int
}

func nothingJudged(places []*placeRun, sum *Summary) *NothingJudgedError {
	e := &NothingJudgedError{LeftOut: sum.LeftOut, AWSManaged: sum.AWSManaged}
	for _, pl := range places {
		e.Places = append(e.Places, pl.Account+" "+pl.Region)
		if pl.Note != "" {
			e.Notes = append(e.Notes, fmt.Sprintf("account %s: %s", pl.Account, pl.Note))
		}
	}
	return e
}

func (e *NothingJudgedError) Error() string {
	// The places, grouped by account: "account A in r1, r2; account B in r1".
	var groups []string
	var last string
	for _, pl := range e.Places {
		account, region, _ := strings.Cut(pl, " ")
		if account == last {
			groups[len(groups)-1] += ", " + region
			continue
		}
		groups = append(groups, fmt.Sprintf("account %s in %s", account, region))
		last = account
	}
	msg := "nothing was judged: no customer managed key to audit in " + strings.Join(groups, "; ")
	var found []string
	if e.AWSManaged > 0 {
		found = append(found, fmt.Sprintf("%d AWS managed key(s), which are not audited", e.AWSManaged))
	}
	if e.LeftOut > 0 {
		found = append(found, fmt.Sprintf("%d key(s) left out by --platform-keys-only as not the platform's", e.LeftOut))
	}
	found = append(found, e.Notes...)
	if len(found) > 0 {
		msg += " (found: " + strings.Join(found, "; ") + ")"
	}
	return msg + "; a run that judges no key is never READY: check the accounts, regions and selection"
}

// accounts are the run's accounts in order: the organization's, the
// accounts file's, or the caller's own.
func (r *runner) accounts(ctx context.Context) ([]*account, error) {
	sel := r.o.Selection
	var ids []string
	notes := map[string]string{}
	switch {
	case sel.Organization:
		listed, skipped, err := r.organization(ctx)
		if err != nil {
			return nil, err
		}
		ids, notes = listed, skipped
	case len(sel.Accounts) > 0:
		ids = sel.Accounts
	default:
		return []*account{{id: r.base.Account, target: r.base, facts: collect.NewAccountFacts()}}, nil
	}
	var out []*account
	for _, id := range ids {
		role, err := RoleARN(sel.RoleTemplate, id)
		if err != nil {
			return nil, err
		}
		out = append(out, &account{id: id, role: role, facts: collect.NewAccountFacts(), note: notes[id]})
	}
	return out, nil
}

// organization lists the organization's accounts (every page): the ACTIVE
// ones to audit, and why each other one is not.
func (r *runner) organization(ctx context.Context) (active []string, notes map[string]string, err error) {
	cfg := r.base.Config.Copy()
	cfg.HTTPClient = r.guard
	ctx, cancel := context.WithTimeout(ctx, r.o.Timeout)
	defer cancel()
	notes = map[string]string{}
	pages := organizations.NewListAccountsPaginator(organizations.NewFromConfig(cfg), &organizations.ListAccountsInput{})
	for n := 0; pages.HasMorePages(); n++ {
		if n >= 1000 {
			return nil, nil, errors.New("organizations:ListAccounts still truncated after 1000 pages")
		}
		page, err := pages.NextPage(ctx)
		if err != nil {
			return nil, nil, fmt.Errorf("%s failed, so the organization's accounts are unknown: %w", collect.OpListAccounts, err)
		}
		for _, a := range page.Accounts {
			id := aws.ToString(a.Id)
			state := string(a.State)
			if state == "" {
				state = string(a.Status)
			}
			active = append(active, id)
			if state != string(orgtypes.AccountStateActive) {
				notes[id] = fmt.Sprintf("the organization says the account is %s: not audited", state)
			}
		}
	}
	if len(active) == 0 {
		return nil, nil, errors.New("organizations:ListAccounts answered no account at all")
	}
	return active, notes, nil
}

// plan makes the places: each account in each region, in that order, then
// the places key ARNs name that are not among them. Bare key IDs name no
// place: with more than one, they must be ARNs.
func (r *runner) plan(accounts []*account, regions []string) ([]*placeRun, error) {
	var places []*placeRun
	byID := map[string]*account{}
	have := map[[2]string]bool{}
	for _, a := range accounts {
		byID[a.id] = a
		for _, region := range regions {
			places = append(places, &placeRun{Place: Place{Account: a.id, Region: region, Role: a.role, Note: a.note}})
			have[[2]string{a.id, region}] = true
		}
	}
	for _, k := range r.o.Selection.Keys {
		if k.Account == "" {
			continue
		}
		if _, ok := byID[k.Account]; !ok {
			a := &account{id: k.Account, facts: collect.NewAccountFacts()}
			if tmpl := r.o.Selection.RoleTemplate; tmpl != "" {
				a.role, _ = RoleARN(tmpl, k.Account) // checked with the selection
			} else if r.base.Kind != keystate.KindLocalStack {
				// Without a role the caller's own credentials are used; for
				// another account's key KMS answers what they may see, and
				// the key's checks say what it did not. (On LocalStack the
				// key ARN's account is reached when the place is: reach.)
				a.target = r.base
			}
			byID[k.Account] = a
		}
		if !have[[2]string{k.Account, k.Region}] {
			a := byID[k.Account]
			places = append(places, &placeRun{Place: Place{Account: a.id, Region: k.Region, Role: a.role}})
			have[[2]string{k.Account, k.Region}] = true
		}
	}
	for _, pl := range places {
		pl.acct = byID[pl.Account]
	}
	if len(places) > 1 {
		for _, k := range r.o.Selection.Keys {
			if k.Account == "" && !k.Alias {
				return nil, fmt.Errorf("fleet: keys file line %d: key ID %s names no account or region, and the run spans %d accounts and regions: give its key ARN",
					k.Line, k.Text, len(places))
			}
		}
	}
	return places, nil
}

// reach is the account's target, reached once for all its regions.
func (r *runner) reach(ctx context.Context, a *account) (*targets.Conn, error) {
	a.once.Do(func() {
		if a.target != nil {
			return
		}
		if a.role == "" && a.id != r.base.Account && r.base.Kind == keystate.KindLocalStack {
			// LocalStack acts in the account the access key names: a key
			// ARN's account is reached by naming it.
			a.target, a.err = r.base.InAccount(ctx, a.id, r.guard)
			return
		}
		if a.role == "" {
			a.target = r.base
			return
		}
		a.target, a.err = r.base.AssumeRole(ctx, a.role, r.guard)
	})
	return a.target, a.err
}

func (r *runner) run(ctx context.Context, places []*placeRun, sum *Summary) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	par := r.o.Parallel
	events := make(chan event, par)
	jobs := make(chan job, par)

	var setups sync.WaitGroup
	slots := make(chan struct{}, par)
	for _, pl := range places {
		setups.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			r.setup(ctx, pl, jobs, events)
		})
	}
	go func() { setups.Wait(); close(jobs) }()

	// The workers keep par keys' calls in flight. What a key costs after
	// its calls (judging, rendering and writing its reports: CPU and
	// files) is done beside them, by a judge per CPU, so a worker goes on
	// to its next key at once: done in the worker, it left fewer calls in
	// flight than keys (6.4 of 8 with 25 ms a call, internal/testkit/floorbench).
	collected := make(chan *collected, par)
	var workers sync.WaitGroup
	for range par {
		workers.Go(func() {
			for j := range jobs {
				if c, ev := r.collect(ctx, j); ev != nil {
					events <- *ev
				} else {
					collected <- c
				}
			}
		})
	}
	go func() { setups.Wait(); workers.Wait(); close(collected) }()
	var judges sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		judges.Go(func() {
			for c := range collected {
				ev := r.judge(c)
				if pr, ok := r.o.Sink.(Preparer); ok && ev.key != nil {
					if err := pr.Prepare(ev.key); err != nil {
						ev = &event{sinkErr: err}
					}
				}
				events <- *ev
			}
		})
	}
	go func() { setups.Wait(); workers.Wait(); judges.Wait(); close(events) }()

	var sinkErr error
	prog := Progress{Places: len(places)}
	for ev := range events {
		if sinkErr != nil {
			continue // drain: the workers must not block
		}
		switch {
		case ev.sinkErr != nil:
			sinkErr = ev.sinkErr
		case ev.place != nil:
			prog.PlacesDone++
			prog.Keys += ev.place.Keys
			if ev.place.Err != nil {
				sum.PlaceErrors++
				prog.Errors++
			}
			for _, op := range ev.place.Calls {
				sum.Calls[op]++
			}
			sinkErr = r.o.Sink.Place(ev.place)
		case ev.key != nil:
			prog.KeysDone++
			sum.count(ev.key)
			if hasError(ev.key.Run) {
				prog.Errors++
			}
			sinkErr = r.o.Sink.Key(ev.key)
		case ev.awsManaged != nil:
			prog.KeysDone++
			sum.AWSManaged++
			sum.countCalls(ev.record)
			sinkErr = r.o.Sink.AWSManaged(ev.awsManaged.place.Seq, ev.awsManaged.seq, ev.keyID)
		}
		if sinkErr != nil {
			cancel()
		}
		if r.o.Progress != nil {
			r.o.Progress(prog)
		}
	}
	sum.End = time.Now()
	return sinkErr
}

func hasError(run *reports.Run) bool {
	if run == nil {
		return true
	}
	for _, res := range run.Results {
		if res.Status == checks.Error {
			return true
		}
	}
	return false
}

// setup reaches and lists one place, hands the writer its entry, then its
// keys to the workers.
func (r *runner) setup(ctx context.Context, pl *placeRun, jobs chan<- job, events chan<- event) {
	var refs []ref
	if pl.Err == nil { // a place planned in error (the organization) is only reported
		var err error
		if refs, err = r.list(ctx, pl); err != nil {
			pl.Err = err
		}
	}
	pl.Keys = len(refs)
	entry := pl.Place
	events <- event{place: &entry}
	for i, ref := range refs {
		if ref.awsManaged {
			events <- event{awsManaged: &job{place: pl, seq: i}, keyID: ref.text}
			continue
		}
		select {
		case jobs <- job{place: pl, seq: i, ref: ref.text, customerOnly: r.o.Selection.All}:
		case <-ctx.Done():
			// The run was stopped: the key is still accounted for.
			events <- event{key: &Key{Place: pl.Seq, Seq: i, Account: pl.Account, Region: pl.Region, Selected: ref.text,
				Platform: PlatformUnknown, Err: fmt.Errorf("not audited: the run was stopped: %w", context.Cause(ctx))}}
		}
	}
}

type ref struct {
	text       string
	awsManaged bool
}

// list reaches the place's account and region and finds its keys: ListKeys
// for --all, the keys file's entries for --keys; and the region's aliases,
// asked once.
func (r *runner) list(ctx context.Context, pl *placeRun) ([]ref, error) {
	if pl.Note != "" {
		return nil, nil
	}
	at, err := r.reach(ctx, pl.acct)
	if err != nil {
		return nil, fmt.Errorf("account %s could not be reached: %w", pl.Account, err)
	}
	t, err := at.InRegion(pl.Region)
	if err != nil {
		return nil, err
	}
	fleetConfig(t, r.limit, r.o.Parallel)
	coll, err := collect.NewFleet(t, collect.Options{Roundtrip: r.roundtrip, Timeout: r.o.Timeout})
	if err != nil {
		return nil, err
	}
	pl.target = t
	aliases := coll.ListRegionAliases(ctx)
	pl.Calls = append(pl.Calls, aliases.Record.Calls...)
	pl.Listings = append(pl.Listings, aliases.Listing)
	pl.coll = coll.WithScope(aliases, pl.acct.facts)
	var listErr error
	if aliases.Problem != "" {
		listErr = errors.New(aliases.Problem + "; the keys are audited, their alias checks are ERROR")
	}

	var refs []ref
	if r.o.Selection.All {
		ids, listing, rec, err := coll.ListKeys(ctx)
		pl.Calls = append(pl.Calls, rec.Calls...)
		pl.Listings = append(pl.Listings, *listing)
		if err != nil {
			return nil, errors.Join(fmt.Errorf("the keys of account %s in %s are unknown: %w", pl.Account, pl.Region, err), listErr)
		}
		for _, id := range ids {
			refs = append(refs, ref{text: id, awsManaged: aliases.Problem == "" && aliases.AWSManaged(id)})
		}
		return refs, listErr
	}
	for _, k := range r.o.Selection.Keys {
		if k.Account == "" || k.Account == pl.Account && k.Region == pl.Region {
			refs = append(refs, ref{text: k.Text})
		}
	}
	return refs, listErr
}

// collected is a key whose calls are done, to be judged.
type collected struct {
	key   *Key
	place *placeRun
	start time.Time
}

// collect makes one key's calls: the key to judge, or the event that
// ends it here (an AWS managed key, a collection that failed). A panic
// in this tool is the key's ERROR, not the run's end.
func (r *runner) collect(ctx context.Context, j job) (c *collected, ev *event) {
	pl := j.place
	k := &Key{Place: pl.Seq, Seq: j.seq, Account: pl.Account, Region: pl.Region, Selected: j.ref, Platform: PlatformUnknown}
	defer func() {
		if p := recover(); p != nil {
			k.Err = fmt.Errorf("auditing %s failed inside cmkcheck: %v", j.ref, p)
			c, ev = nil, &event{key: k}
		}
	}()
	start := time.Now()
	var (
		state   *keystate.State
		skipped bool
		err     error
	)
	if j.customerOnly {
		state, k.Record, skipped, err = pl.coll.CustomerKey(ctx, j.ref)
	} else {
		state, k.Record, err = pl.coll.Key(ctx, j.ref)
	}
	if skipped {
		return nil, &event{awsManaged: &j, keyID: j.ref, record: k.Record}
	}
	if err != nil {
		k.Err = err
		return nil, &event{key: k}
	}
	k.State = state
	return &collected{key: k, place: pl, start: start}, nil
}

// judge judges a collected key as a single audit does; a panic in this
// tool is the key's ERROR, not the run's end.
func (r *runner) judge(c *collected) (ev *event) {
	k, pl := c.key, c.place
	defer func() {
		if p := recover(); p != nil {
			k.Run, k.Err = nil, fmt.Errorf("auditing %s failed inside cmkcheck: %v", k.Selected, p)
			ev = &event{key: k}
		}
	}()
	k.Alias = strings.Join(ownAliases(k.State), ", ")
	run, err := audit.Evaluate(k.State, r.o.Profile, audit.Source{
		Target:  keystate.TargetFacts{Kind: pl.target.Kind, Endpoint: pl.target.Endpoint},
		Account: pl.Account, Region: pl.Region, Key: k.Selected, Start: c.start,
	})
	if err != nil {
		k.Err = err
		return &event{key: k}
	}
	k.Run = run
	k.Platform = PlatformOf(k.State, r.o.Profile)
	k.LeftOut = r.o.Selection.PlatformOnly && k.Platform == PlatformNo
	return &event{key: k}
}

// ownAliases are the aliases in the key's evidence that target it, for
// the index (the checks select their own).
func ownAliases(s *keystate.State) []string {
	if s == nil || s.Key == nil {
		return nil
	}
	var out []string
	for _, a := range s.Aliases {
		if a.TargetKeyID == s.Key.KeyID || a.TargetKeyID == s.Key.Arn {
			out = append(out, a.Name)
		}
	}
	sort.Strings(out)
	return slices.Compact(out)
}
