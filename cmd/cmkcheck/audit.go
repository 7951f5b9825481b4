package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/aep-cmk/cmkcheck/audit"
	"github.com/aep-cmk/cmkcheck/internal/edge"
	"github.com/aep-cmk/cmkcheck/profile"
	"github.com/aep-cmk/cmkcheck/reports"
	"github.com/aep-cmk/cmkcheck/targetkind"
)

// auditCommand inspects a live key, or provisions one the way the guide's console
// steps do when none is named (emulators; aws only with CMK_PROVISION=1),
// and writes the three reports to --out.
func auditCommand(ctx context.Context, args []string, stderr io.Writer, getenv func(string) string) (*reports.Run, outputs, error) {
	fs := newFlagSet("audit")
	var out outputs
	fs.StringVar(&out.format, "format", "text", "stdout format: text or json")
	fs.StringVar(&out.dir, "out", "out", "write the results file, JUnit and Markdown reports into `DIR`")
	target := fs.String("target", "", "embedded, localstack or aws (default: CMK_TARGET, else embedded)")
	profilePath := fs.String("profile", "", "the profile `FILE` (default: CMK_PROFILE)")
	key := fs.String("key", "", "the key to inspect: ID, ARN or alias/NAME (default: the profile's key or CMK_KEY_ID)")
	timeout := fs.Duration("timeout", 0, "bound on the whole collection (default 60s)")
	watch := fs.Bool("watch", false, "with a provisioned key, also make the EventBridge rule (DisableKey, ScheduleKeyDeletion, PutKeyPolicy) and its SNS topic a team sets up, deleted with the key")
	baselinePath := fs.String("baseline", "", "judge drift (CMK-DRF-1) against `FILE`: the results file of an earlier run, or a snapshot")
	noIAM := fs.Bool("no-iam", false, "do not read the account's IAM side: CMK-ADM-4 is SKIP, saying so (default: CMK_NO_IAM)")
	saveSnapshot := fs.String("save-snapshot", "", "write the evidence the checks judged, as a snapshot, to `FILE` (cmkcheck evaluate --snapshot FILE re-judges it)")
	if err := parseFlags(fs, args); err != nil {
		return nil, out, err
	}
	if err := out.check(); err != nil {
		return nil, out, err
	}
	if *target != "" && !targetkind.IsLive(*target) {
		return nil, out, usagef("--target %q: want one of %v", *target, targetkind.Live)
	}
	baseline, err := readBaseline(*baselinePath)
	if err != nil {
		return nil, out, err
	}
	env := edge.Env(getenv)
	if *profilePath == "" {
		*profilePath = env(edge.Profile)
	}
	p, err := profile.Load(*profilePath, getenv)
	if err != nil {
		return nil, out, err
	}
	kind, err := env.Target(*target)
	if err != nil {
		return nil, out, err
	}
	provisionOK, err := env.Provision()
	if err != nil {
		return nil, out, err
	}
	skipIAM, err := env.NoIAM(*noIAM)
	if err != nil {
		return nil, out, err
	}
	opener := env.Opener()
	opener.StartLocalStack = localStackStarter(env)
	o, err := audit.Run(ctx, audit.Options{Target: kind, Profile: p, Key: *key, Timeout: *timeout, Provision: provisionOK, Opener: opener, Baseline: baseline, Watch: *watch, NoIAM: skipIAM})
	if err != nil && !errors.Is(err, audit.ErrCleanup) {
		return nil, out, err
	}
	if o.Provisioned != nil {
		fmt.Fprintf(stderr, "provisioned %s on %s for this audit; scheduled for deletion\n", o.Provisioned.KeyID, o.Target.Kind)
	}
	if o.Watch != nil {
		fmt.Fprintf(stderr, "made EventBridge rule %s with SNS topic %s for this audit; deleted with the key\n", o.Watch.Rule, o.Watch.TopicArn)
	}
	if *saveSnapshot != "" {
		data, serr := o.State.Snapshot()
		if serr == nil {
			serr = reports.WriteFiles(reports.File{Path: *saveSnapshot, Write: func(w io.Writer) error { _, werr := w.Write(data); return werr }})
		}
		if serr != nil {
			return nil, out, errors.Join(err, fmt.Errorf("--save-snapshot: %w", serr))
		}
		fmt.Fprintln(stderr, "wrote", *saveSnapshot)
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
