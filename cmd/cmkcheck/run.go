package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/agnivade/levenshtein"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/reports"
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

// command is a subcommand: how it is called, what it does, and its flags.
type command struct {
	name     string
	synopsis []string // its usage lines, after "cmkcheck NAME"
	about    string
	// flags defines the subcommand's flags on fs (the one definition that
	// parses them and that its help describes) and returns what runs the
	// subcommand once they are parsed.
	flags func(fs *flag.FlagSet) action
	// groups are flags that apply to some of its inputs only, each under
	// its title in the help; others titles the rest (default "flags").
	groups []flagGroup
	others string
	// operands says it takes arguments beside its flags (merge's
	// directories); the others take none.
	operands bool
}

type action func(ctx context.Context, stdout, stderr io.Writer, getenv func(string) string) int

type flagGroup struct {
	title  string
	define func(fs *flag.FlagSet)
}

// subcommands are cmkcheck's commands, in the order the help lists them.
func subcommands() []command {
	return []command{
		{
			name: "evaluate",
			synopsis: []string{
				"--snapshot FILE [--profile FILE] [--baseline FILE] [--format text|json] [--fail-on error|warn] [--junit FILE] [--markdown FILE] [--results FILE] [--sarif FILE] [--ocsf FILE] [--oscal FILE]",
				"--cloudformation TEMPLATE [--parameters FILE] [--parameter NAME=VALUE ...] [--account ID] [--region R] [--profile FILE] [--out DIR] ...",
				"--terraform-plan PLAN.json [--account ID] [--region R] [--profile FILE] [--out DIR] ...",
			},
			about: "Judges a key offline: a key that exists, from a snapshot of the AWS CLI's answers about it,\n" +
				"or, before it exists, every key a CloudFormation template or a Terraform plan declares.",
			flags: func(fs *flag.FlagSet) action {
				f := &evaluateFlags{}
				f.define(fs)
				return f.run(fs)
			},
			groups: []flagGroup{
				{"flags for a key that exists (--snapshot)", new(snapshotFlags).define},
				{"flags for a key before it exists (--cloudformation or --terraform-plan)", new(iacFlags).define},
			},
			others: "flags for any input",
		},
		{
			name:     "report",
			synopsis: []string{"--results FILE [--format text|json] [--junit FILE] [--markdown FILE]"},
			about:    "Renders the results file of an earlier run again, once its evidence bears it out.",
			flags: func(fs *flag.FlagSet) action {
				f := &reportFlags{}
				f.define(fs)
				return func(_ context.Context, stdout, stderr io.Writer, _ func(string) string) int {
					run, out, err := report(f)
					return finish(run, out, err, stdout, stderr)
				}
			},
		},
		{
			name:     "verify",
			synopsis: []string{"--results FILE [--format text|json]"},
			about:    "Judges a results file again from the evidence it carries and says what that does and does not protect.",
			flags: func(fs *flag.FlagSet) action {
				f := &verifyFlags{}
				f.define(fs)
				return func(_ context.Context, stdout, stderr io.Writer, _ func(string) string) int {
					run, out, err := verifyCommand(f, stdout, stderr)
					return finish(run, out, err, stdout, stderr)
				}
			},
		},
		{
			name: "audit",
			synopsis: []string{
				"[--target embedded|localstack|aws] [--profile FILE] [--key KEY] [--baseline FILE] [--watch] [--out DIR] [--format text|json] [--fail-on error|warn] [--timeout D] [--save-snapshot FILE] [--sarif FILE] [--ocsf FILE] [--oscal FILE]",
				"--all | --keys FILE [--regions R1,R2] [--accounts FILE | --organization] [--role-arn-template ARN] [--platform-keys-only] [--parallel N] [--progress] [--shard K/N] [--target ...] [--out DIR] ...",
			},
			about: "Inspects a live key (or, on an emulator, one it provisions the way the guide's console steps do)\n" +
				"and writes the results file, JUnit and Markdown reports; with --all or --keys, a fleet of keys and their index.",
			flags: func(fs *flag.FlagSet) action {
				f := &auditFlags{}
				f.define(fs)
				return f.run(fs)
			},
			groups: []flagGroup{
				{"flags for one key (no fleet selection)", new(keyFlags).define},
				{"flags for a fleet (--all or --keys FILE, or CMK_ALL / CMK_KEYS_FILE)", new(fleetFlags).define},
			},
			others: "flags for one key or a fleet",
		},
		{
			name:     "merge",
			synopsis: []string{"--out DIR [--format text|json] SHARD_DIR..."},
			about: "Joins the indexes that the shards of one fleet run (audit --shard K/N, each with its own --out) wrote into one index,\n" +
				"with the exit status the run unsplit would give; a missing or unreadable shard is an ERROR entry, never silently absent.",
			flags: func(fs *flag.FlagSet) action {
				f := &mergeFlags{}
				f.define(fs)
				return f.run(fs)
			},
			operands: true,
		},
		{
			name:     "catalog",
			synopsis: []string{"--oscal FILE"},
			about: "Writes the requirement catalog this build judges by as an OSCAL catalog, the one the assessment\n" +
				"results of --oscal point to (by its UUID, and by the file name " + reports.CatalogFile + ").",
			flags: func(fs *flag.FlagSet) action {
				var path string
				fs.StringVar(&path, "oscal", "", "write the OSCAL catalog to `FILE`")
				return func(_ context.Context, _, stderr io.Writer, _ func(string) string) int {
					if path == "" {
						return failed(stderr, usagef("catalog needs --oscal FILE, the file to write the OSCAL catalog to"))
					}
					if err := writeCatalog(path); err != nil {
						return failed(stderr, err)
					}
					fmt.Fprintln(stderr, "wrote", path)
					return exitReady
				}
			},
		},
		{
			name:     "version",
			synopsis: []string{"(or cmkcheck --version)"},
			about:    "Prints the version, commit and build date that this binary's build information names (and its evidence records).",
			flags: func(*flag.FlagSet) action {
				return func(_ context.Context, stdout, _ io.Writer, _ func(string) string) int {
					printVersion(stdout)
					return exitReady
				}
			},
		},
	}
}

// lookup finds a subcommand by name, or says which one was meant.
func lookup(name string) (command, error) {
	var names []string
	for _, c := range subcommands() {
		if c.name == name {
			return c, nil
		}
		names = append(names, c.name)
	}
	names = append(names, "help")
	if near := closest(name, names); len(near) > 0 {
		return command{}, usagef("unknown command %q; did you mean %s?", name, strings.Join(near, " or "))
	}
	return command{}, usagef("unknown command %q; the commands are %s", name, strings.Join(names, ", "))
}

func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv func(string) string) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, usage())
		return exitUsage
	}
	switch args[0] {
	case "help", "-h", "-help", "--help":
		return help(args[1:], stdout, stderr)
	case "--version":
		args[0] = "version"
	}
	cmd, err := lookup(args[0])
	if err != nil {
		return failed(stderr, err)
	}
	fs := newFlagSet(cmd.name)
	act := cmd.flags(fs)
	if err := parseFlags(fs, args[1:], cmd.operands); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			printHelp(stdout, cmd)
			return exitReady
		}
		return failed(stderr, err)
	}
	return act(ctx, stdout, stderr, getenv)
}

// finish renders a single run and exits with its verdict.
func finish(run *reports.Run, out outputs, err error, stdout, stderr io.Writer) int {
	if err != nil {
		return failed(stderr, err)
	}
	if err := out.write(run, stdout, stderr); err != nil {
		return failed(stderr, err)
	}
	return out.failOn.exit(run.Verdict, stderr, run)
}

// failed says why a command could not give a verdict (with the usage for
// bad input) and returns the exit status of a usage or configuration error.
func failed(stderr io.Writer, err error) int {
	fmt.Fprintln(stderr, "cmkcheck:", err)
	var u usageError
	if errors.As(err, &u) {
		fmt.Fprintln(stderr, usage())
	}
	return exitUsage
}

// usage is the short reminder printed after bad input: the usage lines,
// not the flags' descriptions (the help has those).
func usage() string {
	var b strings.Builder
	b.WriteString("usage:\n")
	for _, c := range subcommands() {
		for _, s := range c.synopsis {
			fmt.Fprintf(&b, "  cmkcheck %-8s %s\n", c.name, s)
		}
	}
	b.WriteString("  cmkcheck help [COMMAND]   describes every flag\n")
	b.WriteString("exit status: 0 READY, 1 NOT READY (with --fail-on warn, also a WARN), 2 usage or configuration error")
	return b.String()
}

// help prints the help of one subcommand, or of them all, on stdout.
func help(args []string, stdout, stderr io.Writer) int {
	if len(args) > 1 {
		return failed(stderr, usagef("help: want at most one command, got %q", args))
	}
	if len(args) == 1 {
		switch args[0] {
		case "help", "-h", "-help", "--help":
		default:
			cmd, err := lookup(args[0])
			if err != nil {
				return failed(stderr, err)
			}
			printHelp(stdout, cmd)
			return exitReady
		}
	}
	fmt.Fprintln(stdout, "cmkcheck checks an AWS KMS customer managed key against Adobe Experience Platform's requirements.")
	fmt.Fprintln(stdout)
	fmt.Fprintln(stdout, usage())
	for _, c := range subcommands() {
		fmt.Fprintf(stdout, "\n== cmkcheck %s\n\n", c.name)
		printHelp(stdout, c)
	}
	return exitReady
}

// printHelp describes a subcommand and each of its flags: name, argument,
// meaning and default, from the flag set it parses with.
func printHelp(w io.Writer, c command) {
	fmt.Fprintln(w, "usage:")
	for _, s := range c.synopsis {
		fmt.Fprintf(w, "  cmkcheck %s %s\n", c.name, s)
	}
	fmt.Fprintf(w, "\n%s\n", c.about)
	fs := newFlagSet(c.name)
	c.flags(fs)
	listed := map[string]bool{}
	for _, g := range c.groups {
		part := newFlagSet(c.name)
		g.define(part)
		fmt.Fprintf(w, "\n%s:\n", g.title)
		part.VisitAll(func(f *flag.Flag) {
			printFlag(w, f)
			listed[f.Name] = true
		})
	}
	title := "flags"
	if c.others != "" {
		title = c.others
	}
	first := true
	fs.VisitAll(func(f *flag.Flag) {
		if listed[f.Name] {
			return
		}
		if first {
			fmt.Fprintf(w, "\n%s:\n", title)
			first = false
		}
		printFlag(w, f)
	})
	warn := ""
	if fs.Lookup("fail-on") != nil {
		warn = " (with --fail-on warn, also a WARN)"
	}
	fmt.Fprintf(w, "\nexit status: 0 READY, 1 NOT READY%s, 2 usage or configuration error\n", warn)
}

func printFlag(w io.Writer, f *flag.Flag) {
	arg, meaning := flag.UnquoteUsage(f)
	fmt.Fprintf(w, "  --%s", f.Name)
	if arg != "" {
		fmt.Fprintf(w, " %s", arg)
	}
	fmt.Fprintf(w, "\n        %s", meaning)
	if !isZero(f.DefValue) {
		fmt.Fprintf(w, " (default: %s)", f.DefValue)
	}
	fmt.Fprintln(w)
}

// isZero says whether a flag's default is its type's zero value, which the
// help does not print (a description says what an unset flag means).
func isZero(def string) bool {
	switch def {
	case "", "0", "0s", "false":
		return true
	}
	return false
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
	// summary is the GitHub Actions job summary file (GITHUB_STEP_SUMMARY)
	// the verdict and results table are appended to; "" for none.
	summary string
	failOn  failOn // --fail-on of audit and evaluate; "" (report, verify) is error
	// formats are the SARIF, OCSF and OSCAL files asked for.
	formats reports.FormatPaths
}

// formatFlags are the files other tools read: code scanning, Security Hub
// and Security Lake, an auditor's system of record.
func (o *outputs) formatFlags(fs *flag.FlagSet) {
	fs.StringVar(&o.formats.SARIF, "sarif", "", "write the FAIL, WARN and ERROR results as SARIF 2.1.0 (GitHub code scanning) to `FILE`")
	fs.StringVar(&o.formats.OCSF, "ocsf", "", "write an OCSF Compliance Finding per check (Security Hub, Security Lake) to `FILE`")
	fs.StringVar(&o.formats.OSCAL, "oscal", "", "write OSCAL assessment results (the catalog: cmkcheck catalog --oscal) to `FILE`")
}

func (o *outputs) flags(fs *flag.FlagSet) {
	o.formatFlag(fs)
	fs.StringVar(&o.junit, "junit", "", "write a JUnit XML report to `FILE`")
	fs.StringVar(&o.markdown, "markdown", "", "write a Markdown report to `FILE`")
}

func (o *outputs) formatFlag(fs *flag.FlagSet) {
	fs.StringVar(&o.format, "format", "text", "print `text|json` on stdout: a table for a person, or one JSON object for a program")
}

func (o *outputs) check() error {
	if o.format != "text" && o.format != "json" {
		return usagef("--format %q: want text or json", o.format)
	}
	return nil
}

func (o outputs) write(run *reports.Run, stdout, stderr io.Writer) error {
	// The results file is rendered once; the other reports name its digest.
	// A run read back from a file (report, verify) names that file, unless
	// a new one is written.
	var rendered *reports.Rendered
	if run.ResultsSHA256 == "" || o.results != "" || o.dir != "" {
		var err error
		if rendered, err = reports.Render(run); err != nil {
			return err
		}
		run = rendered.Run
	}
	var named []reports.File // the files asked for by name
	if o.results != "" {
		named = append(named, rendered.ResultsFile(o.results))
	}
	for _, f := range []struct {
		path  string
		write func(io.Writer, *reports.Run) error
	}{
		{o.junit, func(w io.Writer, r *reports.Run) error { return reports.WriteJUnit(w, r) }},
		{o.markdown, reports.WriteMarkdown},
	} {
		if f.path != "" {
			named = append(named, reports.File{Path: f.path, Write: func(w io.Writer) error { return f.write(w, run) }})
		}
	}
	var inDir []reports.File
	var paths reports.Paths
	if o.dir != "" {
		var err error
		if inDir, paths, err = rendered.Files(o.dir, ""); err != nil {
			return err
		}
	}
	if err := o.save(named, inDir, stderr, []reports.Judged{{Run: run}}, reports.MetaOf(run)); err != nil {
		return err
	}
	if err := reports.AppendStepSummary(o.summary, run); err != nil {
		return err
	}
	if o.dir != "" {
		fmt.Fprintf(stderr, "evidence: %s\njunit:    %s\nmarkdown: %s\n", paths.Results, paths.JUnit, paths.Markdown)
	}
	if o.format == "json" {
		return printJSON(stdout, run)
	}
	printText(stdout, run)
	return nil
}

// save writes the files asked for by name, the formats of the judged
// keys, and those that go into --out, all of them or none (a run that
// fails part-way leaves nothing whole-looking), and says which were
// written by name.
func (o outputs) save(named, inDir []reports.File, stderr io.Writer, keys []reports.Judged, meta reports.FormatsMeta) error {
	files := named
	if o.dir != "" {
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return fmt.Errorf("create report directory: %w", err)
		}
		files = append(slices.Clip(named), inDir...)
	}
	if err := reports.WriteFormats(o.formats, meta, keys, files...); err != nil {
		return err
	}
	for _, f := range named {
		fmt.Fprintln(stderr, "wrote", f.Path)
	}
	for _, p := range []string{o.formats.SARIF, o.formats.OCSF, o.formats.OSCAL} {
		if p != "" {
			fmt.Fprintln(stderr, "wrote", p)
		}
	}
	return nil
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

// parseFlags parses a subcommand's flags; flag.ErrHelp comes back as it
// is (the help is asked for, not bad input). A subcommand that takes
// operands gets them in fs.Args(), with its flags before, between or
// after them.
func parseFlags(fs *flag.FlagSet, args []string, operands bool) error {
	var ops []string
	for {
		if err := fs.Parse(args); err != nil {
			if errors.Is(err, flag.ErrHelp) {
				return err
			}
			return usageError{fs.Name() + ": " + flagProblem(fs, err)}
		}
		if fs.NArg() == 0 || !operands {
			break
		}
		if used := len(args) - fs.NArg(); used > 0 && args[used-1] == "--" {
			ops = append(ops, fs.Args()...) // after "--", operands only
			break
		}
		ops, args = append(ops, fs.Arg(0)), fs.Args()[1:]
	}
	if fs.NArg() > 0 && !operands {
		return usagef("%s: unexpected argument %q", fs.Name(), fs.Arg(0))
	}
	if operands {
		// "--" ends the flags: what follows is what fs.Args() returns.
		return fs.Parse(append([]string{"--"}, ops...))
	}
	return nil
}

// flagProblem words the flag package's parse errors for a person: an
// unknown flag names the flag that was likely meant, or all of them.
func flagProblem(fs *flag.FlagSet, err error) string {
	msg := err.Error()
	if name, ok := strings.CutPrefix(msg, "flag provided but not defined: -"); ok {
		var names []string
		fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
		if near := closest(name, names); len(near) > 0 {
			return fmt.Sprintf("unknown flag --%s; did you mean --%s?", name, strings.Join(near, " or --"))
		}
		return fmt.Sprintf("unknown flag --%s; the flags of %s are --%s (cmkcheck help %s describes them)", name, fs.Name(), strings.Join(names, ", --"), fs.Name())
	}
	if name, ok := strings.CutPrefix(msg, "flag needs an argument: -"); ok {
		if f := fs.Lookup(name); f != nil {
			arg, _ := flag.UnquoteUsage(f)
			return fmt.Sprintf("--%s needs its argument, %s", name, arg)
		}
	}
	return msg
}

// closest are the known names a mistyped one likely meant: those a typo or
// two away (a swap of two letters is two; one for names under four
// letters), or else the only one it abbreviates.
func closest(name string, known []string) []string {
	name = strings.ToLower(name)
	limit := 2
	if len(name) < 4 {
		limit = 1
	}
	var near []string
	best := limit
	for _, k := range known {
		switch d := levenshtein.ComputeDistance(name, k); {
		case d > best:
		case d < best || near == nil:
			near, best = []string{k}, d
		default:
			near = append(near, k)
		}
	}
	if len(near) > 0 || len(name) < 3 {
		return near
	}
	for _, k := range known {
		if strings.HasPrefix(k, name) {
			near = append(near, k)
		}
	}
	if len(near) > 1 {
		return nil
	}
	return near
}

// given are the flags set on the command line to other than their
// default: a flag that does not apply is refused, but --all=false or
// --watch=false asks for nothing.
func given(fs *flag.FlagSet) map[string]bool {
	set := map[string]bool{}
	fs.Visit(func(f *flag.Flag) {
		if f.Value.String() != f.DefValue {
			set[f.Name] = true
		}
	})
	return set
}

// flagNames are the names a flag definition defines.
func flagNames(define func(*flag.FlagSet)) []string {
	fs := newFlagSet("")
	define(fs)
	var names []string
	fs.VisitAll(func(f *flag.Flag) { names = append(names, f.Name) })
	return names
}

// misplaced is the first flag of names that is given, if any.
func misplaced(set map[string]bool, names []string) string {
	for _, n := range names {
		if set[n] {
			return n
		}
	}
	return ""
}

// evaluateFlags are evaluate's flags for all three of its inputs.
type evaluateFlags struct {
	out         outputs
	profilePath string
	snapshot    snapshotFlags
	iac         iacFlags // iac.go
}

// snapshotFlags judge a key that exists, from its snapshot.
type snapshotFlags struct{ file, baseline string }

func (f *snapshotFlags) define(fs *flag.FlagSet) {
	fs.StringVar(&f.file, "snapshot", "", "the snapshot `FILE` (AWS CLI JSON outputs) of the key to judge")
	fs.StringVar(&f.baseline, "baseline", "", "judge drift (CMK-DRF-1) against `FILE`: the results file of an earlier run, or a snapshot")
}

func (f *evaluateFlags) define(fs *flag.FlagSet) {
	f.out.flags(fs)
	f.out.formatFlags(fs)
	f.out.failOn.define(fs)
	fs.StringVar(&f.out.results, "results", "", "write the results file (JSON) to `FILE` (of one key: a template or plan of several needs --out)")
	fs.StringVar(&f.profilePath, "profile", "", "the profile `FILE` (YAML)")
	f.snapshot.define(fs)
	f.iac.define(fs)
}

// evaluateInputs are evaluate's three inputs, of which it takes one.
var evaluateInputs = []string{"snapshot", "cloudformation", "terraform-plan"}

// run judges the one input given: a snapshot here, a template or a plan
// in iac.go.
func (f *evaluateFlags) run(fs *flag.FlagSet) action {
	return func(_ context.Context, stdout, stderr io.Writer, getenv func(string) string) int {
		input, err := f.input(fs)
		if err != nil {
			return failed(stderr, err)
		}
		if input != "snapshot" {
			return iacEvaluate(f, stdout, stderr, getenv)
		}
		run, out, err := evaluate(f, getenv)
		out.summary = env.Vars(getenv)(env.StepSummary)
		return finish(run, out, err, stdout, stderr)
	}
}

// input is the one input evaluate was given. Its missing or doubled input
// names every alternative, and a flag of another input is refused rather
// than ignored.
func (f *evaluateFlags) input(fs *flag.FlagSet) (string, error) {
	var alternatives, named []string
	set := map[string]bool{} // an input given empty is named, and refused below
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	for _, in := range evaluateInputs {
		arg, _ := flag.UnquoteUsage(fs.Lookup(in))
		alternatives = append(alternatives, "--"+in+" "+arg)
		if set[in] {
			named = append(named, "--"+in)
		}
	}
	oneOf := strings.Join(alternatives, ", ")
	switch len(named) {
	case 0:
		return "", usagef("evaluate needs one of %s", oneOf)
	case 1:
	default:
		last := len(named) - 1
		both := strings.Join(named[:last], ", ") + " and " + named[last]
		return "", usagef("evaluate: %s are given, and evaluate judges one input: give one of %s", both, oneOf)
	}
	input := named[0][2:]
	if fs.Lookup(input).Value.String() == "" {
		return "", usagef("evaluate: --%s needs a file", input)
	}
	if input == "snapshot" {
		if n := misplaced(given(fs), flagNames(new(iacFlags).define)); n != "" {
			return "", usagef("evaluate: --%s is for --cloudformation and --terraform-plan (a key before it exists), not --snapshot", n)
		}
	} else if n := misplaced(given(fs), flagNames(new(snapshotFlags).define)); n != "" {
		return "", usagef("evaluate: --%s is for --snapshot (a key that exists), not --%s", n, input)
	}
	return input, nil
}

func evaluate(f *evaluateFlags, getenv func(string) string) (*reports.Run, outputs, error) {
	out := f.out
	if err := out.check(); err != nil {
		return nil, out, err
	}
	snapshot := f.snapshot.file
	start := time.Now()
	valid, err := profile.Load(f.profilePath, getenv)
	if err != nil {
		return nil, out, err
	}
	data, err := reports.ReadFileLimited(snapshot, keystate.MaxSnapshotSize)
	if err != nil {
		return nil, out, err
	}
	state, err := keystate.Decode(data)
	if err != nil {
		return nil, out, fmt.Errorf("snapshot %s: %w", snapshot, err)
	}
	baseline, err := readBaseline(f.snapshot.baseline)
	if err != nil {
		return nil, out, err
	}
	// The same evaluation and run record as a live audit; only the state
	// comes from a file instead of a target.
	run, err := audit.Evaluate(state, valid, audit.Source{Target: keystate.TargetFacts{Kind: keystate.KindSnapshot, Endpoint: snapshot}, Start: start, Baseline: baseline})
	if err != nil {
		return nil, out, err
	}
	return run, out, nil
}

// resultsFrom says where a results file comes from, for report and verify
// given none.
const resultsFrom = "the results file of an earlier run: one that evaluate --results FILE wrote, or one in the --out DIR of audit or evaluate"

type reportFlags struct {
	out     outputs
	results string
}

func (f *reportFlags) define(fs *flag.FlagSet) {
	f.out.flags(fs)
	fs.StringVar(&f.results, "results", "", "the results `FILE` of an earlier run")
}

func report(f *reportFlags) (*reports.Run, outputs, error) {
	out := f.out
	if err := out.check(); err != nil {
		return nil, out, err
	}
	if f.results == "" {
		return nil, out, usagef("report needs --results FILE, %s", resultsFrom)
	}
	// A results file is a claim, not authority: it is judged again from
	// the evidence it carries, and rendered only when that bears it out.
	run, err := readVerified(f.results)
	if err != nil {
		return nil, out, err
	}
	return run, out, nil
}

// readBaseline reads --baseline FILE into the member CMK-DRF-1 judges
// against; "" means no baseline. A results file that does not verify is
// refused: drift is never judged against an unproven claim.
func readBaseline(path string) (json.RawMessage, error) {
	if path == "" {
		return nil, nil
	}
	data, err := reports.ReadFileLimited(path, reports.MaxResultsSize)
	if err != nil {
		return nil, fmt.Errorf("--baseline: %w", err)
	}
	member, err := audit.LoadBaseline(data)
	if err != nil {
		return nil, fmt.Errorf("--baseline %s: %w", path, err)
	}
	return member, nil
}
