// Package audit is one audit of one key, as the suites and the command line
// both run it: open the target, inspect the named key (or provision one),
// collect its state read-only, evaluate it, and fill the run record.
package audit

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/collect"
	"github.com/aep-cmk/cmkcheck/keystate"
	"github.com/aep-cmk/cmkcheck/profile"
	"github.com/aep-cmk/cmkcheck/provision"
	"github.com/aep-cmk/cmkcheck/reports"
	"github.com/aep-cmk/cmkcheck/targets"
)

// Environment variables read by the audit.
const (
	EnvTarget    = "CMK_TARGET"    // embedded (default), localstack or aws
	EnvProvision = "CMK_PROVISION" // 1: provision a key on aws when none is named
)

// ErrCleanup marks a run whose results are complete but whose provisioned
// key could not be scheduled for deletion.
var ErrCleanup = errors.New("cleanup of the provisioned key failed")

// Options say what to audit.
type Options struct {
	Target  string        // target kind; "" reads CMK_TARGET, then embedded
	Profile profile.Valid // what the customer expects; the zero Valid is the default profile
	// Key to inspect (ID, ARN, alias/NAME); "" means the profile's key
	// (which CMK_KEY_ID overrides when the profile is loaded).
	Key string
	// Provision a key when none is named. On emulators that is the default;
	// on aws only with Provision (or CMK_PROVISION=1).
	Provision bool
	// Variant provisions a deliberately wrong key (the self-test); it
	// implies provisioning, whatever key the profile names. With Key also
	// set the two conflict, and Run refuses.
	Variant provision.Variant
	// Region and Account for the target; "" takes the profile's region, and
	// on emulators the account the profile's principals name.
	Region, Account string
	Timeout         time.Duration       // bounds the collection; 0 means collect.DefaultTimeout
	Conn            *targets.Target     // an already open target to reuse (left open)
	KeepKey         bool                // do not delete a provisioned key (SKIP_teardown)
	Getenv          func(string) string // nil means os.Getenv
}

// Outcome is what one audit produced.
type Outcome struct {
	Run         *reports.Run
	State       *keystate.State
	Record      *collect.Record // the operations sent while inspecting
	Provisioned *provision.Key  // nil when an existing key was inspected
	Target      struct{ Kind, Endpoint, Region, Account string }
}

// Run performs one audit. A provisioned key is scheduled for deletion before
// Run returns (unless KeepKey): an error wrapping ErrCleanup comes with a
// complete outcome. Any other error means there is no outcome.
func Run(ctx context.Context, opts Options) (_ *Outcome, err error) {
	getenv := opts.Getenv
	if getenv == nil {
		getenv = os.Getenv
	}
	p := opts.Profile.Profile()
	kind := opts.Target
	if kind == "" {
		kind = getenv(EnvTarget)
	}
	if kind == "" {
		kind = targets.Embedded
	}
	provisionOnAWS := opts.Provision
	if v := getenv(EnvProvision); v != "" {
		b, err := strconv.ParseBool(v)
		if err != nil {
			return nil, fmt.Errorf("audit: %s=%q is not true or false (1 or 0)", EnvProvision, v)
		}
		provisionOnAWS = provisionOnAWS || b
	}

	key := strings.TrimSpace(opts.Key)
	if key != "" && opts.Variant != provision.Correct {
		// Inspecting one key and provisioning another cannot both be meant.
		return nil, fmt.Errorf("audit: the key %s and the %s variant conflict: a variant provisions its own key; name a key to inspect it, or a variant to provision one",
			key, opts.Variant.Name())
	}
	if key == "" {
		key = p.Key
	}
	onAWS := kind == targets.AWS || (opts.Conn != nil && !opts.Conn.Emulated())
	switch {
	case onAWS && opts.Variant != provision.Correct && !provisionOnAWS:
		return nil, fmt.Errorf("audit: provisioning the %s variant on the aws target creates a real key: set %s=1 to allow it (it is scheduled for deletion afterwards)",
			opts.Variant.Name(), EnvProvision)
	case onAWS && key == "" && !provisionOnAWS:
		return nil, fmt.Errorf("audit: no key named for the aws target: set key in the profile or %s, or set %s=1 to provision one (it is scheduled for deletion afterwards)",
			profile.EnvName("key"), EnvProvision)
	}

	start := time.Now()
	tg := opts.Conn
	if tg == nil {
		region := opts.Region
		if region == "" {
			region = p.Region
		}
		account := opts.Account
		if account == "" && kind != targets.AWS {
			account = profileAccount(p)
		}
		tg, err = targets.Open(ctx, kind, region, account)
		if err != nil {
			return nil, fmt.Errorf("audit: %w", err)
		}
		defer tg.Close()
	}

	out := &Outcome{}
	out.Target.Kind, out.Target.Endpoint, out.Target.Region, out.Target.Account = tg.Kind, tg.Endpoint, tg.Region, tg.Account

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
		if !opts.KeepKey {
			defer func() {
				if derr := provision.DeleteKeyE(context.WithoutCancel(ctx), tg.Config, made); derr != nil {
					err = errors.Join(err, fmt.Errorf("audit: %w: key %s: %w", ErrCleanup, made.KeyID, derr))
				}
			}()
		}
	}

	state, rec, err := collect.Key(ctx, tg, key, collect.Options{Roundtrip: p.Roundtrip, Timeout: opts.Timeout})
	if err != nil {
		return nil, fmt.Errorf("audit: %w", err)
	}
	results, err := evaluate(state, opts.Profile)
	if err != nil {
		return nil, err
	}
	out.State, out.Record = state, rec

	version, commit := reports.BuildInfo()
	run := &reports.Run{
		RunID:       runID(start),
		Start:       start,
		End:         time.Now(),
		ToolVersion: version,
		Commit:      commit,
		Target:      reports.Target{Kind: tg.Kind, Endpoint: tg.Endpoint},
		Account:     tg.Account,
		Region:      tg.Region,
		KeyARN:      key,
		Profile:     reports.NewProfileRecord(p.Source, p.Content),
		Verdict:     checks.Verdict(results),
		Results:     results,
	}
	if state.Key != nil {
		run.KeyARN = state.Key.Arn
		run.Account = state.Key.Account()
	}
	if state.Identity != nil && state.Identity.Caller != nil {
		run.Caller = state.Identity.Caller.Arn
	}
	out.Run = run
	return out, nil
}

// evaluate runs the checks; a panic in them is an error, not a crash.
func evaluate(s *keystate.State, p profile.Valid) (results []checks.Result, err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("audit: the checks failed on this key state: %v", r)
		}
	}()
	return checks.Evaluate(s, p), nil
}

var principalAccountRE = regexp.MustCompile(`^arn:aws[a-z-]*:(?:iam|kms):[a-z0-9-]*:([0-9]{12}):`)

// profileAccount is the account the profile's own principals (or key ARN)
// name, when they agree: an emulator then acts in the customer's account.
func profileAccount(p *profile.Profile) string {
	found := ""
	for _, arn := range append(append([]string{p.Key}, p.KeyAdministrators...), p.KeyUsers...) {
		m := principalAccountRE.FindStringSubmatch(arn)
		if m == nil {
			continue
		}
		if found != "" && found != m[1] {
			return ""
		}
		found = m[1]
	}
	return found
}

func runID(t time.Time) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return t.UTC().Format("20060102T150405Z") + "-" + hex.EncodeToString(b)
}
