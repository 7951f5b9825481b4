// Package audit is one audit of one key, as the suites and the command line
// both run it: open the target, inspect the named key (or provision one),
// collect its state read-only, evaluate it, and fill the run record.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/buildinfo"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// provisionVariable is how a user allows provisioning on aws, for the
// messages that say so (the edges read it into Options.Provision).
const provisionVariable = "CMK_PROVISION"

// ErrCleanup marks a run whose results are complete but whose provisioned
// key could not be scheduled for deletion.
var ErrCleanup = errors.New("cleanup of the provisioned key failed")

// Options say what to audit. They are values: the edges (cmd/cmkcheck,
// the suites) fill them from flags and the environment.
type Options struct {
	Target  string        // a live kind (keystate.LiveKinds); "" is embedded
	Profile profile.Valid // what the customer expects; the zero Valid is the default profile
	// Key to inspect (ID, ARN, alias/NAME); "" means the profile's key
	// (which CMK_KEY_ID overrides when the profile is loaded).
	Key string
	// Provision a key when none is named. On emulators that is the default;
	// on aws only with Provision (the edges: CMK_PROVISION=1).
	Provision bool
	// Variant provisions a deliberately wrong key (the self-test); it
	// implies provisioning, whatever key the profile names. With Key also
	// set the two conflict, and Run refuses.
	Variant provision.Variant
	// Region and Account for the target; "" takes the profile's region, and
	// on emulators the account a key ARN names, else (LocalStack) the
	// credentials' account, else the account the profile's principals name.
	Region, Account string
	Timeout         time.Duration // bounds the collection; 0 means collect.DefaultTimeout
	Conn            *targets.Conn // an already open target to reuse (left open)
	// Opener opens the target when Conn is nil: the LocalStack endpoint,
	// the role to assume, AWS_REGION's default, how to start a LocalStack.
	Opener targets.Opener
	// Watch, with a provisioned key, also makes the monitoring a team sets
	// up for it (an EventBridge rule for DisableKey, ScheduleKeyDeletion
	// and PutKeyPolicy with an SNS topic as its target), deleted with it.
	Watch bool
	// Baseline is the keystate.Baseline member (LoadBaseline) that
	// CMK-DRF-1 judges drift against; nil: no baseline, DRF-1 is SKIP.
	Baseline json.RawMessage
	NoIAM    bool // do not read the account's IAM side (--no-iam): CMK-ADM-4 is SKIP
}

// Outcome is what one audit produced.
type Outcome struct {
	Run         *reports.Run
	State       *keystate.State
	Record      *collect.Record  // the operations sent while inspecting
	Provisioned *provision.Key   // nil when an existing key was inspected
	Watch       *provision.Watch // the monitoring made with Options.Watch, nil otherwise
	Target      keystate.TargetFacts
}

// Run performs one audit. A provisioned key is scheduled for deletion before
// Run returns, always: an error wrapping ErrCleanup comes with a
// complete outcome. Any other error means there is no outcome.
func Run(ctx context.Context, opts Options) (_ *Outcome, err error) {
	p := opts.Profile.Profile()
	kind := opts.Target
	if kind == "" {
		kind = keystate.KindEmbedded
	}
	provisionOnAWS := opts.Provision

	key := strings.TrimSpace(opts.Key)
	if key != "" && opts.Variant != provision.Correct {
		// Inspecting one key and provisioning another cannot both be meant.
		return nil, fmt.Errorf("audit: the key %s and the %s variant conflict: a variant provisions its own key; name a key to inspect it, or a variant to provision one",
			key, opts.Variant.Name())
	}
	if key == "" {
		key = p.Key
	}
	onAWS := kind == keystate.KindAWS || (opts.Conn != nil && !opts.Conn.Emulated())
	switch {
	case opts.Watch && key != "" && opts.Variant == provision.Correct:
		return nil, fmt.Errorf("audit: the watch (EventBridge rule and SNS topic) is made only for a key the audit provisions, not for %s", key)
	case opts.Watch && (kind == keystate.KindEmbedded && opts.Conn == nil || opts.Conn != nil && opts.Conn.Kind == keystate.KindEmbedded):
		return nil, errors.New("audit: the embedded target serves KMS only: it has no EventBridge or SNS to make the watch in")
	case onAWS && opts.Variant != provision.Correct && !provisionOnAWS:
		return nil, fmt.Errorf("audit: provisioning the %s variant on the aws target creates a real key: set %s=1 to allow it (it is scheduled for deletion afterwards)",
			opts.Variant.Name(), provisionVariable)
	case onAWS && key == "" && !provisionOnAWS:
		return nil, fmt.Errorf("audit: no key named for the aws target: set key in the profile or %s, or set %s=1 to provision one (it is scheduled for deletion afterwards)",
			profile.EnvName("key"), provisionVariable)
	}

	start := time.Now()
	tg := opts.Conn
	if tg == nil {
		region := opts.Region
		if region == "" {
			region = p.Region
		}
		account := opts.Account
		if account == "" {
			account = targetAccount(kind, key, p, opts.Opener)
		}
		tg, err = opts.Opener.Open(ctx, kind, region, account)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		defer tg.Close()
	}

	out := &Outcome{}
	out.Target = tg.TargetFacts

	if key == "" || opts.Variant != provision.Correct {
		spec := provision.SpecFromProfile(p, tg.Account, tg.Kind)
		spec.Variant = opts.Variant
		pctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
		made, err := provision.CreateKeyE(pctx, tg.Config, spec)
		cancel()
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		out.Provisioned = made
		key = made.KeyID
		defer func() {
			if derr := provision.DeleteKeyE(context.WithoutCancel(ctx), tg.Config, made); derr != nil {
				err = errors.Join(err, fmt.Errorf("audit: %w: key %s: %w", ErrCleanup, made.KeyID, derr))
			}
		}()
		if opts.Watch {
			wctx, cancel := context.WithTimeout(ctx, 2*time.Minute)
			watch, werr := provision.CreateWatchE(wctx, tg.Config, made, provision.WatchSpec{})
			cancel()
			if werr != nil {
				return nil, fmt.Errorf("audit: %w", werr)
			}
			out.Watch = watch
			defer func() {
				if derr := provision.DeleteWatchE(context.WithoutCancel(ctx), tg.Config, watch); derr != nil {
					err = errors.Join(err, fmt.Errorf("audit: %w: watch of key %s: %w", ErrCleanup, made.KeyID, derr))
				}
			}()
		}
	}

	state, rec, err := collect.Key(ctx, tg, key, collect.Options{Roundtrip: p.Roundtrip, Timeout: opts.Timeout, NoIAM: opts.NoIAM})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	if rec.Unreadable != nil {
		// Every check would be the same ERROR: say it once, judge nothing.
		return nil, &UnreadableKeyError{Key: key, Account: tg.Account, Region: tg.Region, Answer: rec.Unreadable}
	}
	run, err := Evaluate(state, opts.Profile, Source{
		Target:   keystate.TargetFacts{Kind: tg.Kind, Endpoint: tg.Endpoint},
		Account:  tg.Account,
		Region:   tg.Region,
		Key:      key,
		Start:    start,
		Baseline: opts.Baseline,
	})
	if err != nil {
		return nil, err
	}
	out.State, out.Record, out.Run = state, rec, run
	return out, nil
}

// UnreadableKeyError is a key the audit cannot find or read at all:
// DescribeKey answered NotFoundException or AccessDeniedException in the
// account and region the audit looked in. Nothing was judged.
type UnreadableKeyError struct {
	Key, Account, Region string
	Answer               *keystate.CallError
}

func (e *UnreadableKeyError) Error() string {
	why := e.Answer.Detail
	if e.Answer.Code != "" {
		why = e.Answer.Code + ": " + e.Answer.Message
	}
	return fmt.Sprintf("audit: key %q cannot be found or read in account %s, region %s: %s answered %s",
		e.Key, orUnknown(e.Account), orUnknown(e.Region), e.Answer.Operation, oneLine(why))
}

func orUnknown(s string) string {
	if s == "" {
		return "(unknown)"
	}
	return s
}

// oneLine keeps a service's message from breaking the one line.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

// Source says where a key state came from, for the run record.
type Source struct {
	Target keystate.TargetFacts // a live target's kind and endpoint, or keystate.KindSnapshot and the file
	// Account and Region are the live target's. The key's own ARN names
	// the account when the state has the key; a snapshot, which has no
	// target, takes the region from the key ARN too (else the profile's).
	Account, Region string
	Key             string    // the key asked for, when the state names none
	Start           time.Time // when the run began
	// Baseline, when set, is the keystate.Baseline member the state is
	// judged against for drift (CMK-DRF-1).
	Baseline json.RawMessage
}

// Evaluate judges a key state against a profile and returns the run
// record. It is the part a live audit (Run) and an offline evaluation of a
// snapshot (cmkcheck evaluate) share, so both get one run-ID scheme, the
// same record fields, and a panic in the checks as an error rather than a
// crash. They differ only in where the state comes from.
func Evaluate(state *keystate.State, v profile.Valid, src Source) (*reports.Run, error) {
	if state == nil {
		return nil, errors.New("audit: no key state to evaluate")
	}
	p := v.Profile()
	// A hand-assembled snapshot about two keys, or about another key than
	// the profile names, is refused before anything is judged: it would
	// pass one key on another's evidence. (A live collection holds its
	// answers to the key it asked for itself; see collect.)
	if src.Target.Kind == keystate.KindSnapshot {
		if err := state.SameKey(p.Key); err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
	}
	if len(src.Baseline) > 0 {
		if err := state.SetBaseline(src.Baseline); err != nil {
			return nil, fmt.Errorf("audit: --baseline: %w", err)
		}
	}
	results, matrix, err := judgeKey(state, v, "this key state")
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	build := buildinfo.Read()
	d := derive(state, p, src.Account, src.Region, src.Key)
	run := &reports.Run{
		RunID:        runID(src.Start),
		Start:        src.Start.UTC(),
		End:          time.Now().UTC(),
		ToolVersion:  build.Version,
		Commit:       build.Commit,
		Target:       src.Target,
		Account:      d.Account,
		Region:       d.Region,
		Caller:       d.Caller,
		KeyARN:       d.KeyARN,
		Profile:      reports.NewProfileRecord(p.Source, p.Content),
		Verdict:      checks.Verdict(results),
		Results:      results,
		AccessMatrix: matrix,
	}
	// The results file carries its evidence, so it can be judged again
	// (cmkcheck verify), by judgeKey and derive as here.
	if err := embed(run, state, v); err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	return run, nil
}

// derived are the run's fields that follow from the evidence: the key ARN
// and account from DescribeKey, the caller from GetCallerIdentity, the
// region from where it was judged.
type derived struct{ KeyARN, Account, Region, Caller string }

// derive is the one rule for those fields, which Evaluate fills and Verify
// holds a file to. account and region are the live target's ("" offline),
// key the key asked for. The key's own ARN names the account; without a
// live target the region is the key ARN's, else the profile's.
func derive(s *keystate.State, p *profile.Profile, account, region, key string) derived {
	d := derived{KeyARN: key, Account: account, Region: region}
	if s.Key != nil {
		d.KeyARN, d.Account = s.Key.Arn, s.Key.Account()
	}
	if d.Region == "" {
		d.Region = p.Region
		if s.Key != nil {
			d.Region = s.Key.Region()
		}
	}
	if s.Identity != nil && s.Identity.Caller != nil {
		d.Caller = s.Identity.Caller.Arn
	}
	return d
}

// judge is checks.Judge: the only call to it in production code (a test
// holds that). Tests swap it to count the calls, or for one that panics.
var judge = checks.Judge

// judgeKey is the one function that judges a key from its evidence:
// Evaluate (audit, evaluate, fleet) and Verify (verify, report, a results
// file given as --baseline) both call it. A panic in the checks is an
// error, not a crash.
// what names the evidence for the error.
// It gives the results and the access matrix, from one model.
func judgeKey(s *keystate.State, p profile.Valid, what string) (results []checks.Result, matrix []checks.AccessRow, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("the checks failed on %s: %v", what, r)
		}
	}()
	results, matrix = judge(s, p)
	return results, matrix, nil
}

// EmulatorAccount is the account an emulator acts in for a key: the
// account of the key when it is named by an ARN (a key made under another
// access key is found only there), else the account the profile's own
// principals name. "" leaves the emulator's default.
func EmulatorAccount(key string, p *profile.Profile) string {
	if a, err := awsid.ParseARN(strings.TrimSpace(key)); err == nil && a.Service == "kms" && awsid.IsAccountID(a.Account) {
		return a.Account
	}
	if p == nil {
		return ""
	}
	return ProfileAccount(p)
}

// targetAccount is the account to open an emulator in when none is asked
// for: a key ARN's own; on LocalStack then the account the credentials
// name (they decide there, not the profile's guess); then the profile's.
// "" on aws, whose credentials say it, and where nothing names one.
func targetAccount(kind, key string, p *profile.Profile, o targets.Opener) string {
	if kind == keystate.KindAWS {
		return ""
	}
	if a := EmulatorAccount(key, nil); a != "" {
		return a
	}
	if kind == keystate.KindLocalStack && o.LocalStackAccount != "" {
		return o.LocalStackAccount
	}
	return EmulatorAccount(key, p)
}

// ProfileAccount is the account the profile's own principals (or key ARN)
// name, when they agree: an emulator then acts in the customer's account,
// and a key not made yet is judged in it.
func ProfileAccount(p *profile.Profile) string {
	found := ""
	for _, s := range append(append([]string{p.Key}, p.KeyAdministrators...), p.KeyUsers...) {
		a, err := awsid.ParseARN(s)
		if err != nil || !awsid.IsPartition(a.Partition) || (a.Service != "iam" && a.Service != "kms") || !awsid.IsAccountID(a.Account) {
			continue // a key ID or alias names no account
		}
		if found != "" && found != a.Account {
			return ""
		}
		found = a.Account
	}
	return found
}

// runID is the time the run began and 8 random hex digits: sortable, and
// unique across processes and machines (a process ID is neither).
func runID(t time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
