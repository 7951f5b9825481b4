package main

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/fleet"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// fleetFlags are the flags that make `cmkcheck audit` a fleet audit.
type fleetFlags struct {
	in       fleet.Input
	parallel int
	progress bool
	shard    string
}

func (f *fleetFlags) define(fs *flag.FlagSet) {
	fs.BoolVar(&f.in.All, "all", false, "audit every customer managed key the caller can list (default: CMK_ALL)")
	fs.StringVar(&f.in.KeysFile, "keys", "", "audit the keys of `FILE`: key IDs, key ARNs or alias/NAME, one a line (default: CMK_KEYS_FILE)")
	fs.StringVar(&f.in.Regions, "regions", "", "comma-separated `REGIONS` to audit (default: CMK_REGIONS, else the profile's region)")
	fs.StringVar(&f.in.AccountsFile, "accounts", "", "audit the accounts of `FILE`, one account ID a line, through --role-arn-template (default: CMK_ACCOUNTS_FILE)")
	fs.BoolVar(&f.in.Organization, "organization", false, "audit the ACTIVE accounts of the caller's AWS Organization (organizations:ListAccounts) through --role-arn-template (default: CMK_ORGANIZATION)")
	fs.StringVar(&f.in.RoleTemplate, "role-arn-template", "", "role assumed in each account: `ARN` with {account}, e.g. arn:aws:iam::{account}:role/CmkAudit (default: CMK_ROLE_ARN_TEMPLATE)")
	fs.BoolVar(&f.in.PlatformOnly, "platform-keys-only", false, "report only the keys that carry the platform's statements (default: CMK_PLATFORM_KEYS_ONLY)")
	fs.IntVar(&f.parallel, "parallel", 0, fmt.Sprintf("`N` keys audited at once, 1 to %d (default: CMK_PARALLEL, else %d)", fleet.MaxParallel, fleet.DefaultParallel))
	fs.BoolVar(&f.progress, "progress", false, "print the progress line on stderr even when it is not a terminal")
	fs.StringVar(&f.shard, "shard", "", "audit only shard `K/N` of the run's accounts x regions, a split fixed by their names (a CI matrix's part of a run; cmkcheck merge joins the shards' --out directories)")
}

// fleetAudit runs `cmkcheck audit` as a fleet audit when a selection of
// keys is given (flags or environment); handled is false otherwise, and
// the single-key audit runs.
func fleetAudit(ctx context.Context, f *auditFlags, fs *flag.FlagSet, stdout, stderr io.Writer, getenv func(string) string) (code int, handled bool) {
	ff, out := &f.fleet, f.out
	vars := env.Vars(getenv)
	fail := func(err error) (int, bool) { return failed(stderr, err), true }
	envIn, envParallel, envErr := vars.FleetInput()
	in := envIn.Merge(ff.in)
	if !in.Given() && envErr == nil {
		return 0, false
	}
	if envErr != nil {
		return fail(envErr)
	}
	if err := out.check(); err != nil {
		return fail(err)
	}
	oneKey := misplaced(given(fs), flagNames(new(keyFlags).define))
	switch {
	case f.one.key != "":
		return fail(usagef("audit: --key names one key and the fleet selection (--all, --keys, or CMK_ALL / CMK_KEYS_FILE) names many: give one of them"))
	case f.one.saveSnapshot != "":
		return fail(usagef("audit: --save-snapshot is for one key; a fleet run writes each key's snapshot beside its results in --out"))
	case oneKey != "":
		return fail(usagef("audit: --%s is for one key; the fleet selection (--all, --keys, or CMK_ALL / CMK_KEYS_FILE) names many", oneKey))
	case f.target != "" && !keystate.IsLiveKind(f.target):
		return fail(usagef("--target %q: want one of %v", f.target, keystate.LiveKinds))
	case ff.parallel < 0 || ff.parallel > fleet.MaxParallel:
		return fail(usagef("--parallel %d: want 1 to %d", ff.parallel, fleet.MaxParallel))
	}
	parallel := ff.parallel
	if parallel == 0 {
		parallel = envParallel
	}
	var shard fleet.Shard
	if ff.shard != "" {
		var err error
		if shard, err = fleet.ParseShard(ff.shard); err != nil {
			return fail(usageError{"audit: " + err.Error()})
		}
	}
	sel, err := in.Load()
	if err != nil {
		return fail(usageError{err.Error()})
	}
	if f.profilePath == "" {
		f.profilePath = vars(env.Profile)
	}
	p, err := profile.Load(f.profilePath, getenv)
	if err != nil {
		return fail(err)
	}
	if k := p.Profile().Key; k != "" {
		fmt.Fprintf(stderr, "cmkcheck: the profile's key %s is not used: the fleet selection names the keys\n", k)
	}
	kind, err := vars.Target(f.target)
	if err != nil {
		return fail(err)
	}
	opener := vars.Opener()
	opener.StartLocalStack = localStackStarter(vars)

	start := time.Now()
	runID := newRunID(start, "fleet")
	o := fleet.Options{Target: kind, Opener: opener, Profile: p, Selection: sel, Shard: shard, Parallel: parallel, Timeout: f.timeout, Start: start}
	if kind == "" {
		kind = keystate.KindEmbedded
	}
	meta := fleet.Meta(runID, o, in.KeysFile, keystate.TargetFacts{Kind: kind, Endpoint: opener.LocalStackEndpoint})
	meta.Formats = out.formats // one file per format for the whole fleet
	w, err := fleet.NewReports(out.dir, meta)
	if err != nil {
		return fail(err)
	}
	warns := &warnSink{Reports: w}
	o.Sink = warns
	prog := newProgressLine(stderr, ff.progress)
	o.Progress = prog.update
	sum, err := fleet.Run(ctx, o)
	prog.done()
	var nothing *fleet.NothingJudgedError
	if errors.As(err, &nothing) {
		// Nothing judged is never READY, and no index is left to say so.
		w.Abort()
		return fail(err)
	}
	if err != nil {
		if sum == nil {
			// Nothing was audited: the index would say nothing either.
			w.Abort()
			return fail(err)
		}
		fmt.Fprintln(stderr, "cmkcheck:", err)
	}
	paths, cerr := w.Close(sum)
	if cerr != nil {
		return fail(cerr)
	}
	if err != nil {
		return exitUsage, true
	}
	fmt.Fprintf(stderr, "index:    %s\njson:     %s\njunit:    %s\n", paths.Markdown, paths.JSON, paths.JUnit)
	for _, p := range []string{out.formats.SARIF, out.formats.OCSF, out.formats.OSCAL} {
		if p != "" {
			fmt.Fprintln(stderr, "wrote", p)
		}
	}
	if sh := sum.Shard; sh != nil && sum.Keys == 0 && sum.PlaceErrors == 0 {
		// Normal in a matrix with more shards than places: not a misuse,
		// and never READY by itself; merge judges the run.
		fmt.Fprintf(stderr, "cmkcheck: shard %s judged no key (it owns %d of the run's %d accounts x regions): its index is NOT READY by itself; cmkcheck merge joins the shards and gives the run's verdict\n",
			sh.Shard, len(sh.Owns), len(sh.Plan))
	}
	printFleet(stdout, out.format, sum, paths)
	return warns.exit(out.failOn, sum, stderr), true
}

// newRunID names a fleet run or a merge: when, what, and a random part.
func newRunID(t time.Time, what string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + what + "-" + hex.EncodeToString(b)
}

// printFleet prints the run's counts and verdict.
func printFleet(w io.Writer, format string, s *fleet.Summary, paths reports.IndexPaths) {
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(struct {
			Verdict string         `json:"verdict"`
			Rule    string         `json:"rule"`
			Summary *fleet.Summary `json:"summary"`
			Index   string         `json:"index"`
		}{s.Verdict(), s.Rule(), s, paths.JSON})
		return
	}
	fmt.Fprintf(w, "keys: %d audited, %d READY, %d NOT READY (%d with errors)\n", s.Keys, s.Ready, s.NotReady, s.KeyErrors)
	fmt.Fprintf(w, "platform keys: %d (%d undecided), %d NOT READY; left out: %d; AWS managed, not audited: %d\n",
		s.Platform, s.PlatformUnknown, s.PlatformNotReady, s.LeftOut, s.AWSManaged)
	fmt.Fprintf(w, "accounts and regions: %d, %d in error\n", s.Places, s.PlaceErrors)
	if sh := s.Shard; sh != nil {
		fmt.Fprintf(w, "shard %s: owns %d of the run's %d accounts x regions; its verdict covers its own keys only\n", sh.Shard, len(sh.Owns), len(sh.Plan))
	}
	if s.Keys > 0 && s.KeyCalls > 0 { // a merge counts no calls
		fmt.Fprintf(w, "KMS calls per key: %.2f; %d keys in %.2fs\n", float64(s.KeyCalls)/float64(s.Keys+s.LeftOut+s.AWSManaged),
			s.Keys+s.LeftOut, s.End.Sub(s.Start).Seconds())
	}
	fmt.Fprintf(w, "\n%s\nverdict: %s\n", s.Rule(), s.Verdict())
}

// progressLine is the line on stderr that says how far a run is: redrawn
// in place on a terminal, a line at most every second when asked for
// elsewhere, nothing otherwise.
type progressLine struct {
	mu       sync.Mutex
	w        io.Writer
	terminal bool
	on       bool
	last     time.Time
	text     string
}

func newProgressLine(w io.Writer, asked bool) *progressLine {
	terminal := isTerminal(w)
	return &progressLine{w: w, terminal: terminal, on: terminal || asked}
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

func (p *progressLine) update(pr fleet.Progress) {
	if !p.on {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.text = fmt.Sprintf("cmkcheck: %d/%d keys done, %d/%d account-regions listed, %d errors", pr.KeysDone, pr.Keys, pr.PlacesDone, pr.Places, pr.Errors)
	every := time.Second
	if p.terminal {
		every = 100 * time.Millisecond
	}
	if time.Since(p.last) < every {
		return
	}
	p.last = time.Now()
	p.print()
}

func (p *progressLine) print() {
	if p.terminal {
		fmt.Fprintf(p.w, "\r\033[K%s", p.text)
	} else {
		fmt.Fprintln(p.w, p.text)
	}
}

// done prints the final state and ends the line.
func (p *progressLine) done() {
	if !p.on || p.text == "" {
		return
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	p.print()
	if p.terminal {
		fmt.Fprintln(p.w)
	}
}
