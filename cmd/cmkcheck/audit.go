package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// auditFlags are audit's flags: of one key, of a fleet (fleet.go), and of
// both.
type auditFlags struct {
	out         outputs
	target      string
	profilePath string
	timeout     time.Duration
	one         keyFlags
	fleet       fleetFlags
}

// keyFlags apply to the audit of one key only.
type keyFlags struct {
	key, baseline, saveSnapshot string
	watch, noIAM                bool
}

func (f *keyFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.key, "key", "", "the `KEY` to inspect: ID, ARN or alias/NAME (default: the profile's key or CMK_KEY_ID)")
	fs.BoolVar(&f.watch, "watch", false, "with a provisioned key, also make the EventBridge rule (DisableKey, ScheduleKeyDeletion, PutKeyPolicy) and its SNS topic a team sets up, deleted with the key")
	fs.StringVar(&f.baseline, "baseline", "", "judge drift (CMK-DRF-1) against `FILE`: the results file of an earlier run, or a snapshot")
	fs.BoolVar(&f.noIAM, "no-iam", false, "do not read the account's IAM side: the access checks judge the key policy and grants alone, saying so (default: CMK_NO_IAM)")
	fs.StringVar(&f.saveSnapshot, "save-snapshot", "", "write the evidence the checks judged, as a snapshot, to `FILE` (cmkcheck evaluate --snapshot FILE re-judges it)")
}

func (f *auditFlags) define(fs *flag.FlagSet) {
	f.out.formatFlag(fs)
	f.out.formatFlags(fs)
	f.out.failOn.define(fs)
	fs.StringVar(&f.out.dir, "out", "out", "write the results file, JUnit and Markdown reports (a fleet: every key's, and the index) into `DIR`")
	fs.StringVar(&f.target, "target", "", "where the key is: `embedded|localstack|aws` (default: CMK_TARGET, else embedded)")
	fs.StringVar(&f.profilePath, "profile", "", "the profile `FILE` (default: CMK_PROFILE)")
	fs.DurationVar(&f.timeout, "timeout", 0, "bound on the whole collection, a `DURATION` such as 90s (default: 60s)")
	f.one.define(fs)
	f.fleet.define(fs)
}

// run audits a fleet when a selection of keys is given (flags or
// environment), else one key.
func (f *auditFlags) run(fs *flag.FlagSet) action {
	return func(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string) int {
		if code, fleet := fleetAudit(ctx, f, fs, stdout, stderr, getenv); fleet {
			return code
		}
		run, out, err := auditCommand(ctx, f, fs, stderr, getenv)
		out.summary = env.Vars(getenv)(env.StepSummary)
		return finish(run, out, err, stdout, stderr)
	}
}

// auditCommand inspects a live key, or provisions one the way the guide's console
// steps do when none is named (emulators; aws only with CMK_PROVISION=1),
// and writes the three reports to --out.
func auditCommand(ctx context.Context, f *auditFlags, fs *flag.FlagSet, stderr io.Writer, getenv func(string) string) (*reports.Run, outputs, error) {
	out := f.out
	if n := misplaced(given(fs), flagNames(new(fleetFlags).define)); n != "" {
		return nil, out, usagef("audit: --%s is for a fleet: select its keys with --all or --keys FILE (or CMK_ALL / CMK_KEYS_FILE)", n)
	}
	if err := out.check(); err != nil {
		return nil, out, err
	}
	if f.target != "" && !keystate.IsLiveKind(f.target) {
		return nil, out, usagef("--target %q: want one of %v", f.target, keystate.LiveKinds)
	}
	baseline, err := readBaseline(f.one.baseline)
	if err != nil {
		return nil, out, err
	}
	vars := env.Vars(getenv)
	if f.profilePath == "" {
		f.profilePath = vars(env.Profile)
	}
	p, err := profile.Load(f.profilePath, getenv)
	if err != nil {
		return nil, out, err
	}
	kind, err := vars.Target(f.target)
	if err != nil {
		return nil, out, err
	}
	provisionOK, err := vars.Provision()
	if err != nil {
		return nil, out, err
	}
	skipIAM, err := vars.NoIAM(f.one.noIAM)
	if err != nil {
		return nil, out, err
	}
	opener := vars.Opener()
	opener.StartLocalStack = localStackStarter(vars)
	o, err := audit.Run(ctx, audit.Options{Target: kind, Profile: p, Key: f.one.key, Timeout: f.timeout, Provision: provisionOK, Opener: opener, Baseline: baseline, Watch: f.one.watch, NoIAM: skipIAM})
	if err != nil && !errors.Is(err, audit.ErrCleanup) {
		return nil, out, err
	}
	if o.Provisioned != nil {
		fmt.Fprintf(stderr, "provisioned %s on %s for this audit; scheduled for deletion\n", o.Provisioned.KeyID, o.Target.Kind)
	}
	if o.Watch != nil {
		fmt.Fprintf(stderr, "made EventBridge rule %s with SNS topic %s for this audit; deleted with the key\n", o.Watch.Rule, o.Watch.TopicArn)
	}
	if f.one.saveSnapshot != "" {
		data, serr := o.State.Snapshot()
		if serr == nil {
			serr = reports.WriteFiles(reports.File{Path: f.one.saveSnapshot, Write: func(w io.Writer) error { _, werr := w.Write(data); return werr }})
		}
		if serr != nil {
			return nil, out, errors.Join(err, fmt.Errorf("--save-snapshot: %w", serr))
		}
		fmt.Fprintln(stderr, "wrote", f.one.saveSnapshot)
	}
	if err != nil {
		// The results are complete but a key was left behind: say so loudly,
		// write the evidence, and still end with a configuration error.
		if werr := out.write(o.Run, io.Discard, stderr); werr != nil {
			return nil, out, errors.Join(err, werr)
		}
		return nil, out, err
	}
	return o.Run, out, nil
}
