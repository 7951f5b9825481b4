package main

import (
	"encoding/json"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"regexp"
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

// iacFlags are evaluate's flags for a template or a plan.
type iacFlags struct {
	template, plan  string
	params          paramFlag
	paramsFile      string
	account, region string
	dir             string
}

func (f *iacFlags) define(fs *flag.FlagSet) {
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

// iacRun is one evaluation of a template or plan: a run per key.
type iacRun struct {
	kind, file string
	keys       []*iac.Key
	runs       []*reports.Run
	verdict    string
}

func iacEvaluate(f *evaluateFlags, stdout, stderr io.Writer, getenv func(string) string) int {
	sr, out, err := iacCommand(f, getenv)
	if err != nil {
		return failed(stderr, err)
	}
	if err := out.writeIaC(sr, stdout, stderr); err != nil {
		return failed(stderr, err)
	}
	return out.failOn.exit(sr.verdict, stderr, sr.runs...)
}

// iacCommand judges the template or plan evaluate was given (its
// input, see evaluateFlags.input).
func iacCommand(f *evaluateFlags, getenv func(string) string) (*iacRun, outputs, error) {
	out, sf := f.out, &f.iac
	out.dir = sf.dir
	if err := out.check(); err != nil {
		return nil, out, err
	}
	params := sf.params
	sr := &iacRun{kind: "cloudformation", file: sf.template}
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
		data, err := reports.ReadFileLimited(sf.paramsFile, 1<<20)
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
	data, err := reports.ReadFileLimited(sr.file, limit)
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
		run, err := audit.Evaluate(k.State(), valid, audit.Source{Target: keystate.TargetFacts{Kind: k.Kind, Endpoint: k.Source()}, Start: start})
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

// index is the run's index of its keys (the JSON output, index.md and
// index.json), without the keys' results and report paths.
func (sr *iacRun) index() *reports.IaCIndex {
	x := &reports.IaCIndex{Verdict: sr.verdict, Source: sr.file, Keys: make([]reports.IaCKey, len(sr.keys))}
	for i := range sr.keys {
		x.Keys[i] = sr.key(i)
	}
	return x
}

func (sr *iacRun) key(i int) reports.IaCKey {
	k, run := sr.keys[i], sr.runs[i]
	sk := reports.IaCKey{Source: k.Source(), KeyARN: run.KeyARN, Verdict: run.Verdict, Failing: failing(run), Notes: k.Notes, RunID: run.RunID}
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

func (o outputs) writeIaC(sr *iacRun, stdout, stderr io.Writer) error {
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
		named = append(named, reports.File{Path: o.markdown, Write: func(w io.Writer) error { return sr.index().WriteMarkdown(w, sr.runs) }})
	}
	index := sr.index()
	keys := index.Keys
	var inDir []reports.File
	if o.dir != "" {
		used := map[string]bool{}
		for i := range sr.runs {
			files, paths, err := rendered[i].Files(o.dir, reportName(sr.keys[i], used))
			if err != nil {
				return err
			}
			inDir = append(inDir, files...)
			keys[i].Reports = &paths
		}
		indexFiles, err := index.Files(o.dir)
		if err != nil {
			return err
		}
		inDir = append(inDir, indexFiles...)
	}
	judged := make([]reports.Judged, len(sr.runs))
	for i, k := range sr.keys {
		judged[i] = reports.Judged{Run: sr.runs[i], Origin: &reports.Origin{File: k.File, Name: k.Name, Line: k.Line}}
	}
	if err := o.save(named, inDir, stderr, judged, reports.MetaOf(sr.runs...)); err != nil {
		return err
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
		return enc.Encode(index)
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
func (sr *iacRun) printIndex(w io.Writer, keys []reports.IaCKey) {
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

var _ flag.Value = paramFlag{}
