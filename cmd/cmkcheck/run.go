package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aep-cmk/cmkcheck/audit"
	"github.com/aep-cmk/cmkcheck/checks"
	"github.com/aep-cmk/cmkcheck/keystate"
	"github.com/aep-cmk/cmkcheck/profile"
	"github.com/aep-cmk/cmkcheck/reports"
	"github.com/aep-cmk/cmkcheck/targetkind"
)

// Exit statuses of the command-line contract.
const (
	exitReady    = 0
	exitNotReady = 1
	exitUsage    = 2
)

// usageError is bad input from the user: exit status 2.
type usageError struct{ msg string }

func (e usageError) Error() string { return e.msg }

func usagef(format string, a ...any) error { return usageError{fmt.Sprintf(format, a...)} }

const usage = `usage:
  cmkcheck evaluate --snapshot FILE [--profile FILE] [--baseline FILE] [--format text|json] [--junit FILE] [--markdown FILE] [--results FILE]
  cmkcheck evaluate --cloudformation TEMPLATE [--parameters FILE] [--parameter NAME=VALUE ...] [--account ID] [--region R]
                    [--profile FILE] [--format text|json] [--junit FILE] [--markdown FILE] [--results FILE] [--out DIR]
  cmkcheck evaluate --terraform-plan PLAN.json [--account ID] [--region R] [--profile FILE] [--format ...] [--out DIR] ...
  cmkcheck report   --results FILE [--format text|json] [--junit FILE] [--markdown FILE]
  cmkcheck verify   --results FILE [--format text|json]
  cmkcheck audit    [--target embedded|localstack|aws] [--profile FILE] [--key KEY] [--baseline FILE] [--watch] [--out DIR] [--format text|json] [--timeout D] [--save-snapshot FILE]
  cmkcheck audit    --all | --keys FILE [--regions R1,R2] [--accounts FILE | --organization] [--role-arn-template ARN]
                    [--platform-keys-only] [--parallel N] [--progress] [--target ...] [--profile FILE] [--out DIR] [--format text|json] [--timeout D]
exit status: 0 READY, 1 NOT READY, 2 usage or configuration error`

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage)
		return exitUsage
	}
	var (
		run *reports.Run
		out outputs
		err error
	)
	switch args[0] {
	case "evaluate":
		if isStatic(args[1:]) { // before the key exists: a run per key (static.go)
			return staticEvaluate(args[1:], stdout, stderr, getenv)
		}
		run, out, err = evaluate(args[1:], getenv)
	case "report":
		run, out, err = report(args[1:])
	case "verify":
		run, out, err = verifyCommand(args[1:], stdout, stderr)
	case "audit":
		if code, fleet := fleetAudit(ctx, args[1:], stdout, stderr, getenv); fleet {
			return code
		}
		run, out, err = auditCommand(ctx, args[1:], stderr, getenv)
	case "help", "-h", "--help":
		fmt.Fprintln(stdout, usage)
		return exitReady
	default:
		err = usagef("unknown command %q", args[0])
	}
	if err != nil {
		return failed(stderr, err)
	}
	if err := out.write(run, stdout, stderr); err != nil {
		return failed(stderr, err)
	}
	return exitFor(run.Verdict)
}

// failed says why a command could not give a verdict (with the usage for
// bad input) and returns the exit status of a usage or configuration error.
func failed(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "cmkcheck:", err)
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, usage)
	}
	return exitUsage
}

// exitFor is the exit status of a verdict.
func exitFor(verdict string) int {
	if verdict == checks.Ready {
		return exitReady
	}
	return exitNotReady
}

// outputs are the renderings a command was asked for.
type outputs struct {
	format                   string
	junit, markdown, results string
	// dir, when set, receives all three reports (audit).
	dir string
}

func (o *outputs) flags(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "stdout format: text or json")
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to `FILE`")
	fs.StringVar(&o.markdown, "markdown", "", "write a Markdown report to `FILE`")
}

func (o *outputs) check() error {
	if o.format != "text" && o.format != "json" {
		return usagef("--format %q: want text or json", o.format)
	}
	return nil
}

func (o outputs) write(run *reports.Run, stdout, stderr io.Writer) error {
	for _, f := range []struct {
		path  string
		write func(io.Writer, *reports.Run) error
	}{
		{o.results, reports.WriteResults},
		{o.junit, func(w io.Writer, r *reports.Run) error { return reports.WriteJUnit(w, r) }},
		{o.markdown, reports.WriteMarkdown},
	} {
		if f.path == "" {
			continue
		}
		if err := writeFile(f.path, func(w io.Writer) error { return f.write(w, run) }); err != nil {
			return err
		}
		fmt.Fprintln(stderr, "wrote", f.path)
	}
	if o.dir != "" {
		paths, err := reports.Write(o.dir, "", run)
		if err != nil {
			return err
		}
		fmt.Fprintf(stderr, "evidence: %s\njunit:    %s\nmarkdown: %s\n", paths.Results, paths.JUnit, paths.Markdown)
	}
	if o.format == "json" {
		return printJSON(stdout, run)
	}
	printText(stdout, run)
	return nil
}

func writeFile(path string, write func(io.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if err := write(f); err != nil {
		f.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return f.Close()
}

// printJSON prints the contract's object: {"verdict", "results"}, and
// between them what the verdict does not cover.
func printJSON(w io.Writer, run *reports.Run) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(struct {
		Verdict      string            `json:"verdict"`
		NotEvaluated []checks.Omission `json:"not_evaluated"`
		Results      []checks.Result   `json:"results"`
	}{run.Verdict, notEvaluated(run), run.Results})
}

// printText is a table for a person, the reasons for what is not PASS with
// the remediation of what is to be fixed, and the verdict last, with what
// it does not cover.
func printText(w io.Writer, run *reports.Run) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSTATUS\tTITLE")
	for _, r := range run.Results {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", r.ID, r.Status, oneLine(r.Title))
	}
	tw.Flush()
	first := true
	for _, r := range run.Results {
		if r.Status == checks.Pass {
			continue
		}
		if first {
			fmt.Fprintln(w)
			first = false
		}
		fmt.Fprintf(w, "%s %s: %s\n", r.ID, r.Status, oneLine(r.Observed))
		if r.Status == checks.Skip {
			continue // nothing to fix: the reason says why it was not judged
		}
		// The remediation as the result carries it, so nobody has to open
		// the Markdown report to learn how to fix the key.
		if r.Remediation.Console != "" {
			fmt.Fprintf(w, "  console: %s\n", oneLine(r.Remediation.Console))
		}
		for i, line := range strings.Split(strings.TrimSpace(r.Remediation.CLI), "\n") {
			switch {
			case line == "":
			case i == 0:
				fmt.Fprintf(w, "  cli:     %s\n", oneLine(line))
			default:
				fmt.Fprintf(w, "           %s\n", oneLine(line))
			}
		}
	}
	skipped := notEvaluated(run)
	if run.Verdict != checks.Ready && len(skipped) > 0 {
		// A READY line says it itself; beside a NOT READY it still helps.
		fmt.Fprintf(w, "\nrequired, not evaluated: %s\n", oneLine(checks.OmissionsText(skipped)))
	}
	fmt.Fprintf(w, "\nverdict: %s\n", oneLine(checks.VerdictLine(run.Verdict, skipped)))
}

// notEvaluated is the run's list of required checks it did not judge. A
// run from audit.Evaluate or a verified file has it; one put together
// otherwise gets it from its results, as the reports do.
func notEvaluated(run *reports.Run) []checks.Omission {
	if run.NotEvaluated != nil {
		return run.NotEvaluated
	}
	return checks.NotEvaluated(run.Results)
}

// oneLine keeps key data from breaking the table.
func oneLine(s string) string {
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
}

func newFlagSet(name string) *flag.FlagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	return fs
}

func parseFlags(fs *flag.FlagSet, args []string) error {
	if err := fs.Parse(args); err != nil {
		return usagef("%s: %v", fs.Name(), err)
	}
	if fs.NArg() > 0 {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	return nil
}

func evaluate(args []string, getenv func(string) string) (*reports.Run, outputs, error) {
	fs := newFlagSet("evaluate")
	var out outputs
	out.flags(fs)
	snapshot := fs.String("snapshot", "", "the snapshot `FILE` (AWS CLI JSON outputs)")
	profilePath := fs.String("profile", "", "the profile `FILE` (YAML)")
	fs.StringVar(&out.results, "results", "", "write the results file (JSON) to `FILE`")
	baselinePath := fs.String("baseline", "", "judge drift (CMK-DRF-1) against `FILE`: the results file of an earlier run, or a snapshot")
	if err := parseFlags(fs, args); err != nil {
		return nil, out, err
	}
	if err := out.check(); err != nil {
		return nil, out, err
	}
	if *snapshot == "" {
		return nil, out, usagef("evaluate: --snapshot FILE is required")
	}
	start := time.Now()
	valid, err := profile.Load(*profilePath, getenv)
	if err != nil {
		return nil, out, err
	}
	data, err := readLimited(*snapshot, keystate.MaxSnapshotSize)
	if err != nil {
		return nil, out, err
	}
	state, err := keystate.Decode(data)
	if err != nil {
		return nil, out, fmt.Errorf("snapshot %s: %w", *snapshot, err)
	}
	baseline, err := readBaseline(*baselinePath)
	if err != nil {
		return nil, out, err
	}
	// The same evaluation and run record as a live audit; only the state
	// comes from a file instead of a target.
	run, err := audit.Evaluate(state, valid, audit.Source{Target: reports.Target{Kind: targetkind.Snapshot, Endpoint: *snapshot}, Start: start, Baseline: baseline})
	if err != nil {
		return nil, out, err
	}
	return run, out, nil
}

func report(args []string) (*reports.Run, outputs, error) {
	fs := newFlagSet("report")
	var out outputs
	out.flags(fs)
	resultsPath := fs.String("results", "", "the results `FILE` of an earlier run")
	if err := parseFlags(fs, args); err != nil {
		return nil, out, err
	}
	if err := out.check(); err != nil {
		return nil, out, err
	}
	if *resultsPath == "" {
		return nil, out, usagef("report: --results FILE is required")
	}
	// A results file is a claim, not authority: it is judged again from
	// the evidence it carries, and rendered only when that bears it out.
	run, err := readVerified(*resultsPath)
	if err != nil {
		return nil, out, err
	}
	return run, out, nil
}

// readLimited reads a file, refusing one larger than limit.
func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("%s is larger than %d bytes", path, limit)
	}
	return data, nil
}

// readBaseline reads --baseline FILE into the member CMK-DRF-1 judges
// against; "" means no baseline. A results file that does not verify is
// refused: drift is never judged against an unproven claim.
func readBaseline(path string) (json.RawMessage, error) {
	if path == "" {
		return nil, nil
	}
	data, err := readLimited(path, reports.MaxResultsSize)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	member, err := reports.LoadBaseline(data)
	if err != nil {
		return nil, fmt.Errorf("--baseline %s: %w", path, err)
	}
	return member, nil
}
