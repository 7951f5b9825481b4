package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/iac"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// Before the key exists: `cmkcheck evaluate --cloudformation TEMPLATE` and
// `cmkcheck evaluate --terraform-plan PLAN.json` judge every key the file
// declares with the same checks and the same run record as a live key
// (audit.Evaluate), one result set per key, and exit READY only when every
// key is.

// staticFlags are evaluate's flags for a template or a plan.
type staticFlags struct {
	template, plan  string
	params          paramFlag
	paramsFile      string
	account, region string
	dir             string
}

func (f *staticFlags) define(fs *flag.FlagSet) {
	f.params = paramFlag{}
	fs.StringVar(&f.template, "cloudformation", "", "a CloudFormation `TEMPLATE` (YAML or JSON) whose keys to judge")
	fs.StringVar(&f.plan, "terraform-plan", "", "a Terraform plan `PLAN.json`, as terraform show -json PLANFILE prints it, whose keys to judge")
	fs.Var(f.params, "parameter", "a template parameter's value, `NAME=VALUE` (repeatable; CloudFormation only)")
	fs.StringVar(&f.paramsFile, "parameters", "", "template parameter values from `FILE` (create-stack's --parameters JSON; CloudFormation only)")
	fs.StringVar(&f.account, "account", "", "the `ACCOUNT` the key will be made in (default: the plan's, else the one the profile's principals name)")
	fs.StringVar(&f.region, "region", "", "the `REGION` the key will be made in (default: the plan's, else the profile's region)")
	fs.StringVar(&f.dir, "out", "", "write each key's results file, JUnit and Markdown reports, and an index, into `DIR`")
}

// paramFlag collects --parameter NAME=VALUE, as often as it is given.
type paramFlag map[string]string

// String is the values given, so that a --parameter shows as set.
func (p paramFlag) String() string {
	var s []string
	for name, value := range p {
		s = append(s, name+"="+value)
	}
	sort.Strings(s)
	return strings.Join(s, ",")
}

func (p paramFlag) Set(s string) error {
	name, value, ok := strings.Cut(s, "=")
	if !ok || name == "" {
		return fmt.Errorf("want NAME=VALUE, got %q", s)
	}
	if _, dup := p[name]; dup {
		return fmt.Errorf("%s is given twice", name)
	}
	p[name] = value
	return nil
}

// staticRun is one evaluation of a template or plan: a run per key.
type staticRun struct {
	kind, file string
	keys       []*iac.Key
	runs       []*reports.Run
	verdict    string
}

func staticEvaluate(f *evaluateFlags, stdout, stderr io.Writer, getenv func(string) string) int {
	sr, out, err := staticCommand(f, getenv)
	if err != nil {
		return failed(stderr, err)
	}
	if err := out.writeStatic(sr, stdout, stderr); err != nil {
		return failed(stderr, err)
	}
	return exitFor(sr.verdict)
}

// staticCommand judges the template or plan evaluate was given (its
// input, see evaluateFlags.input).
func staticCommand(f *evaluateFlags, getenv func(string) string) (*staticRun, outputs, error) {
	out, sf := f.out, &f.static
	out.dir = sf.dir
	if err := out.check(); err != nil {
		return nil, out, err
	}
	params := sf.params
	sr := &staticRun{kind: "cloudformation", file: sf.template}
	if sf.plan != "" {
		sr.kind, sr.file = "terraform-plan", sf.plan
		if len(params) > 0 || sf.paramsFile != "" {
			return nil, out, usagef("evaluate: --parameter and --parameters are CloudFormation's; a plan holds its variables' values")
		}
	}
	start := time.Now()
	valid, err := profile.Load(f.profilePath, getenv)
	if err != nil {
		return nil, out, err
	}
	p := valid.Profile()
	if sf.paramsFile != "" {
		data, err := readLimited(sf.paramsFile, 1<<20)
		if err != nil {
			return nil, out, err
		}
		fromFile, err := iac.ReadParameters(data)
		if err != nil {
			return nil, out, fmt.Errorf("parameters %s: %w", sf.paramsFile, err)
		}
		for k, v := range fromFile {
			if _, given := params[k]; !given { // --parameter wins over the file
				params[k] = v
			}
		}
	}
	opts := iac.Options{Account: sf.account, Region: sf.region, DefaultAccount: audit.ProfileAccount(p), DefaultRegion: p.Region, Parameters: params}
	limit := int64(iac.MaxTemplateSize)
	if sr.kind == "terraform-plan" {
		limit = iac.MaxPlanSize
	}
	data, err := readLimited(sr.file, limit)
	if err != nil {
		return nil, out, err
	}
	if sr.kind == "cloudformation" {
		sr.keys, err = iac.ReadCloudFormation(sr.file, data, opts)
	} else {
		sr.keys, err = iac.ReadTerraformPlan(sr.file, data, opts)
	}
	if err != nil {
		return nil, out, fmt.Errorf("%s %s: %w", sr.kind, sr.file, err)
	}
	if out.results != "" && len(sr.keys) > 1 {
		return nil, out, usagef("evaluate: %s declares %d keys, and a results file holds one: use --out DIR", sr.file, len(sr.keys))
	}
	sr.verdict = checks.Ready
	for _, k := range sr.keys {
		// The same run record as a live audit and a snapshot; the target
		// names the file and the key in it.
		run, err := audit.Evaluate(k.State(), valid, audit.Source{Target: reports.Target{Kind: k.Kind, Endpoint: k.Source()}, Start: start})
		if err != nil {
			return nil, out, fmt.Errorf("%s: %w", k.Source(), err)
		}
		sr.runs = append(sr.runs, run)
		if run.Verdict != checks.Ready {
			sr.verdict = checks.NotReady
		}
	}
	return sr, out, nil
}

// failing lists the IDs of a run that are FAIL or ERROR.
func failing(run *reports.Run) []string {
	var ids []string
	for _, r := range run.Results {
		if r.Status == checks.Fail || r.Status == checks.Error {
			ids = append(ids, r.ID)
		}
	}
	return ids
}

// staticKey is one key of the JSON output and the index.
type staticKey struct {
	Source  string          `json:"source"`
	KeyARN  string          `json:"key_arn"`
	Verdict string          `json:"verdict"`
	Failing []string        `json:"failing"`
	Notes   []string        `json:"notes"`
	Results []checks.Result `json:"results,omitempty"`
	Reports *reports.Paths  `json:"reports,omitempty"`
	RunID   string          `json:"run_id"`
	// Unknown says, per snapshot member, why it cannot be known before
	// deployment: the checks that need it are ERROR.
	Unknown map[string]string `json:"unknown_before_deployment,omitempty"`
}

func (sr *staticRun) key(i int) staticKey {
	k, run := sr.keys[i], sr.runs[i]
	sk := staticKey{Source: k.Source(), KeyARN: run.KeyARN, Verdict: run.Verdict, Failing: failing(run), Notes: k.Notes, RunID: run.RunID}
	if sk.Failing == nil {
		sk.Failing = []string{}
	}
	for _, m := range keystate.Members {
		if why := k.Unknown(m); why != "" {
			if sk.Unknown == nil {
				sk.Unknown = map[string]string{}
			}
			sk.Unknown[m] = why
		}
	}
	return sk
}

func (o outputs) writeStatic(sr *staticRun, stdout, stderr io.Writer) error {
	// Each key's results file is rendered once; the other reports name its digest.
	rendered := make([]*reports.Rendered, len(sr.runs))
	for i, run := range sr.runs {
		r, err := reports.Render(run)
		if err != nil {
			return err
		}
		rendered[i], sr.runs[i] = r, r.Run
	}
	var named []reports.File // the files asked for by name
	if o.results != "" {
		named = append(named, rendered[0].ResultsFile(o.results))
	}
	if o.junit != "" {
		// One testsuite per key, in one file a CI system reads.
		named = append(named, reports.File{Path: o.junit, Write: func(w io.Writer) error { return reports.WriteJUnit(w, sr.runs...) }})
	}
	if o.markdown != "" {
		named = append(named, reports.File{Path: o.markdown, Write: sr.writeMarkdown})
	}
	keys := make([]staticKey, len(sr.keys))
	for i := range sr.keys {
		keys[i] = sr.key(i)
	}
	files := named
	if o.dir != "" {
		files = slices.Clip(named)
		used := map[string]bool{}
		for i := range sr.runs {
			inDir, paths, err := rendered[i].Files(o.dir, reportName(sr.keys[i], used))
			if err != nil {
				return err
			}
			files = append(files, inDir...)
			keys[i].Reports = &paths
		}
		index, err := sr.indexFiles(o.dir, keys)
		if err != nil {
			return err
		}
		files = append(files, index...)
		if err := os.MkdirAll(o.dir, 0o755); err != nil {
			return fmt.Errorf("create report directory: %w", err)
		}
	}
	// All of them or none: a run that fails part-way leaves nothing whole-looking.
	if err := reports.WriteFiles(files...); err != nil {
		return err
	}
	for _, f := range named {
		fmt.Fprintln(stderr, "wrote", f.Path)
	}
	if o.dir != "" {
		fmt.Fprintf(stderr, "reports of %d key(s) and their index: %s\n", len(keys), filepath.Join(o.dir, "index.md"))
	}
	if o.format == "json" {
		for i := range keys {
			keys[i].Results = sr.runs[i].Results
		}
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(struct {
			Verdict string      `json:"verdict"`
			Source  string      `json:"source"`
			Keys    []staticKey `json:"keys"`
		}{sr.verdict, sr.file, keys})
	}
	for i, run := range sr.runs {
		fmt.Fprintf(stdout, "== %s\n", oneLine(keys[i].Source))
		fmt.Fprintf(stdout, "key %s\n", oneLine(run.KeyARN))
		for _, n := range keys[i].Notes {
			fmt.Fprintf(stdout, "  note: %s\n", oneLine(n))
		}
		fmt.Fprintln(stdout)
		printText(stdout, run)
		fmt.Fprintln(stdout)
	}
	sr.printIndex(stdout, keys)
	return nil
}

// printIndex is the per-key summary: what the fleet's index says of a key.
func (sr *staticRun) printIndex(w io.Writer, keys []staticKey) {
	fmt.Fprintf(w, "== %d key(s) in %s\n", len(keys), oneLine(sr.file))
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KEY\tVERDICT\tFAIL OR ERROR")
	for _, k := range keys {
		name := k.Source[strings.LastIndex(k.Source, "#")+1:]
		fmt.Fprintf(tw, "%s\t%s\t%s\n", oneLine(name), k.Verdict, strings.Join(k.Failing, " "))
	}
	tw.Flush()
	fmt.Fprintf(w, "\nverdict: %s\n", sr.verdict)
}

// indexFiles renders index.md and index.json for dir.
func (sr *staticRun) indexFiles(dir string, keys []staticKey) ([]reports.File, error) {
	var md strings.Builder
	fmt.Fprintf(&md, "# %s: %d key(s) in %s\n\n", sr.verdict, len(keys), mdCell(sr.file))
	md.WriteString("Judged before the keys exist: key IDs are placeholders, and what is known only at deployment is ERROR.\n\n")
	md.WriteString("| Key | Verdict | Fail or error | Report |\n| --- | --- | --- | --- |\n")
	for _, k := range keys {
		report := ""
		if k.Reports != nil {
			report = "[" + filepath.Base(k.Reports.Markdown) + "](" + filepath.Base(k.Reports.Markdown) + ")"
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", mdCell(k.Source), k.Verdict, strings.Join(k.Failing, ", "), report)
	}
	idx, err := json.MarshalIndent(struct {
		Verdict string      `json:"verdict"`
		Source  string      `json:"source"`
		Keys    []staticKey `json:"keys"`
	}{sr.verdict, sr.file, keys}, "", "  ")
	if err != nil {
		return nil, err
	}
	return []reports.File{
		{Path: filepath.Join(dir, "index.md"), Write: func(w io.Writer) error { _, err := io.WriteString(w, md.String()); return err }},
		{Path: filepath.Join(dir, "index.json"), Write: func(w io.Writer) error { _, err := w.Write(append(idx, '\n')); return err }},
	}, nil
}

// writeMarkdown is the index, then each key's report.
func (sr *staticRun) writeMarkdown(w io.Writer) error {
	if len(sr.runs) == 1 {
		return reports.WriteMarkdown(w, sr.runs[0])
	}
	var b strings.Builder
	fmt.Fprintf(&b, "# %s: %d keys in %s\n\n| Key | Verdict | Fail or error |\n| --- | --- | --- |\n", sr.verdict, len(sr.keys), mdCell(sr.file))
	for i := range sr.keys {
		k := sr.key(i)
		fmt.Fprintf(&b, "| %s | %s | %s |\n", mdCell(k.Source), k.Verdict, strings.Join(k.Failing, ", "))
	}
	if _, err := io.WriteString(w, b.String()); err != nil {
		return err
	}
	for _, run := range sr.runs {
		if _, err := io.WriteString(w, "\n---\n\n"); err != nil {
			return err
		}
		if err := reports.WriteMarkdown(w, run); err != nil {
			return err
		}
	}
	return nil
}

var unsafeName = regexp.MustCompile(`[^A-Za-z0-9._-]+`)

// reportName is a file name for a key's reports: the file's base name and
// the key's logical ID or address, unique within the run.
func reportName(k *iac.Key, used map[string]bool) string {
	base := unsafeName.ReplaceAllString(filepath.Base(k.File)+"-"+k.Name, "_")
	name := base
	for i := 2; used[name]; i++ {
		name = fmt.Sprintf("%s-%d", base, i)
	}
	used[name] = true
	return name
}

// mdCell keeps file names and addresses from breaking a table row.
func mdCell(s string) string {
	s = oneLine(s)
	return "`" + strings.NewReplacer("`", "'", "|", "\\|").Replace(s) + "`"
}

var _ flag.Value = paramFlag{}
