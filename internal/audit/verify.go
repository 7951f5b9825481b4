package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

// A results file is a claim: this evidence, judged against this profile,
// gives these results. Digests alone cannot hold it to that (whoever edits
// a status can leave the evidence alone, or recompute a digest), so the
// file carries its evidence (the snapshot), the validated profile and the
// catalog, and Verify judges it again and compares every claim.
//
// What re-judging cannot protect: an answer fabricated consistently
// (snapshot, evidence and results edited together, or a false snapshot
// evaluated by cmkcheck itself) judges to exactly what the file says, and
// free metadata (run ID, times, tool version, commit, where the profile
// came from) follows from no evidence. Only an attestation of the file
// (.github/workflows/cmk-audit.yml) protects those.

// ErrNotRejudgeable says a results file lacks what judging it again needs.
var ErrNotRejudgeable = errors.New("the results file cannot be judged again")

// Finding is one claim of a results file that its own evidence does not
// bear out.
type Finding struct {
	Claim    string // what the file claims: "CMK-CFG-5 status", "verdict", "key_arn", "profile.content"
	File     string // what the file says
	Evidence string // what judging the file's evidence again says
}

// VerifyError is a results file whose claims its evidence does not bear
// out. It names every finding.
type VerifyError struct {
	Findings []Finding
	// FileCatalog is set when the file was judged by another catalog than
	// this build's (Catalog): its findings may then be that change, not an
	// alteration.
	FileCatalog *reports.CatalogRecord
	Catalog     reports.CatalogRecord
	Written     string // the tool that wrote the file, as it says
}

func (e *VerifyError) Error() string {
	var b strings.Builder
	n := len(e.Findings)
	if e.FileCatalog != nil {
		fmt.Fprintf(&b, "the results file was judged by catalog %s (sha256 %s), not by this build's catalog %s (sha256 %s); judged again by this version's checks, %d of its claims differ. That is the change of catalog, unless the file was also altered (%s):",
			e.FileCatalog.Version, e.FileCatalog.SHA256, e.Catalog.Version, e.Catalog.SHA256, n, e.Written)
	} else {
		fmt.Fprintf(&b, "the results file was altered: %d of its claims differ from what its own evidence says when judged again:", n)
	}
	for _, f := range e.Findings {
		b.WriteString("\n  ")
		b.WriteString(f.Claim)
		b.WriteString(": the file says ")
		b.WriteString(f.File)
		if f.Evidence != "" {
			if e.FileCatalog != nil {
				b.WriteString("; this version judges ")
			} else {
				b.WriteString("; its evidence says ")
			}
			b.WriteString(f.Evidence)
		}
	}
	b.WriteString("\nno report is rendered from it")
	return b.String()
}

// Verify reads a results file and judges it again from its own evidence:
// the embedded snapshot, against the embedded profile, with this build's
// checks. Every result (status, observed and expected text, title,
// severity, section, remediation, evidence references), each snapshot
// member's digest, the verdict,
// the order of the results, the fields that follow from the evidence (key
// ARN, account, region, caller, target) and the profile record must be
// what that gives; otherwise the error is a *VerifyError naming each
// difference. A file without the embedded evidence is ErrNotRejudgeable,
// never verified. The run returned has ResultsSHA256 set to data's digest.
func Verify(data []byte) (*reports.Run, error) {
	if len(data) > reports.MaxResultsSize {
		return nil, fmt.Errorf("read results file: the file is larger than %d bytes", reports.MaxResultsSize)
	}
	run, err := reports.DecodeResults(data)
	if err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	var lacks []string
	if run.Snapshot == nil {
		lacks = append(lacks, "no snapshot of its evidence")
	}
	if run.Profile.Canonical == "" {
		lacks = append(lacks, "no canonical profile")
	}
	if run.Catalog == nil {
		lacks = append(lacks, "no catalog")
	}
	if len(lacks) > 0 {
		return nil, fmt.Errorf("%w: it holds %s (it was written before cmkcheck kept them in the file, or they were removed), so it is not verified; evaluate the run's saved snapshot again (cmkcheck evaluate --snapshot FILE --results NEW) to get a file that can be",
			ErrNotRejudgeable, strings.Join(lacks, ", "))
	}
	findings, judged, err := rejudge(run)
	if err != nil {
		return nil, err
	}
	if len(findings) > 0 {
		e := &VerifyError{Findings: findings, Catalog: reports.Catalog(),
			Written: fmt.Sprintf("the file says cmkcheck %s at commit %s wrote it", orNone(run.ToolVersion), orNone(run.Commit))}
		if *run.Catalog != e.Catalog {
			e.FileCatalog = run.Catalog
		}
		return nil, e
	}
	// Every claim is what the evidence gives, so the judged results are
	// the file's, with what the contract leaves out of it (the drift
	// table's changes). The renderers' own guard holds too.
	run.Results = judged
	if err := reports.Validate(run); err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	return run, nil
}

// rejudge judges the file's evidence again and lists what differs from
// its claims, with the results judged. An error means the evidence could
// not be judged at all.
func rejudge(run *reports.Run) ([]Finding, []checks.Result, error) {
	var fs []Finding
	add := func(claim, file, evidence string) { fs = append(fs, Finding{claim, file, evidence}) }

	members, err := reports.SnapshotMembers(run.Snapshot)
	if err != nil {
		add("snapshot", "evidence that does not read: "+err.Error(), "")
		return fs, nil, nil
	}
	fs = append(fs, compareDigests(members, run.SnapshotSHA256)...)

	state, err := keystate.Decode(run.Snapshot)
	if err != nil {
		add("snapshot", "evidence that does not read: "+err.Error(), "")
		return fs, nil, nil
	}
	if keystate.IsIaCKind(run.Target.Kind) {
		// What a template or plan declares is judged as such (its SKIPs say
		// "before the key exists"); the target kind says which, and judging
		// again under another kind words them differently.
		state.Declared = run.Target.Kind
	}
	valid, err := profile.Parse([]byte(run.Profile.Canonical))
	if err != nil {
		add("profile.canonical", "a profile that is not valid: "+err.Error(), "")
		return fs, nil, nil
	}
	if c, err := valid.Canonical(); err != nil || string(c) != run.Profile.Canonical {
		add("profile.canonical", "a profile that is not in the canonical form cmkcheck writes", "")
	}
	if got := reports.SHA256Hex([]byte(run.Profile.Content)); got != run.Profile.SHA256 {
		add("profile.sha256", shown(run.Profile.SHA256), "the content's sha256 is "+got)
	}
	if err := profile.Derived([]byte(run.Profile.Content), run.Profile.Overrides, valid); err != nil {
		add("profile.content", "a profile file the canonical profile does not follow from: "+err.Error(), "")
	}
	if err := state.SameKey(run.KeyARN); err != nil {
		add("snapshot", "evidence about more than one key: "+err.Error(), "")
	}

	results, matrix, err := judgeKey(state, valid, "the results file's evidence")
	if err != nil {
		return nil, nil, err
	}
	fs = append(fs, compareResults(run.Results, members, results)...)
	if want := checks.Verdict(results); run.Verdict != want {
		add("verdict", shown(run.Verdict), shown(want))
	}
	if want := checks.NotEvaluated(results); !slices.Equal(run.NotEvaluated, want) {
		add("not_evaluated", shown(checks.OmissionsText(run.NotEvaluated)), shown(checks.OmissionsText(want)))
	}
	if !reflect.DeepEqual(run.AccessMatrix, matrix) {
		add("access_matrix", "an access matrix the evidence does not give", fmt.Sprintf("%d principals hold rights on the key", len(matrix)))
	}
	fs = append(fs, compareDerived(run, state, valid.Profile())...)
	return fs, results, nil
}

// compareResults holds each result of the file to the one judged again.
func compareResults(file []checks.Result, members map[string]json.RawMessage, judged []checks.Result) []Finding {
	var fs []Finding
	byID := map[string]int{}
	for i, r := range judged {
		byID[r.ID] = i
	}
	seen := map[string]bool{}
	var order []string
	for _, rec := range file {
		if seen[rec.ID] {
			fs = append(fs, Finding{shown(rec.ID), "a second result for this check", ""})
			continue
		}
		seen[rec.ID] = true
		order = append(order, rec.ID)
		i, ok := byID[rec.ID]
		if !ok {
			fs = append(fs, Finding{shown(rec.ID), "a result (status " + string(rec.Status) + ")", "there is no such check"})
			continue
		}
		fs = append(fs, compareResult(rec, members, judged[i])...)
	}
	var want []string
	for _, r := range judged {
		want = append(want, r.ID)
		if !seen[r.ID] {
			fs = append(fs, Finding{r.ID, "no result", "status " + string(r.Status)})
		}
	}
	if len(fs) == 0 && !slices.Equal(order, want) {
		fs = append(fs, Finding{"results order", strings.Join(order, ", "), strings.Join(want, ", ")})
	}
	return fs
}

// compareResult names each field of one result that differs.
func compareResult(rec checks.Result, members map[string]json.RawMessage, want checks.Result) []Finding {
	var fs []Finding
	field := func(name, got, want string) {
		if got != want {
			fs = append(fs, Finding{rec.ID + " " + name, shown(got), shown(want)})
		}
	}
	field("title", rec.Title, want.Title)
	field("severity", string(rec.Severity), string(want.Severity))
	field("status", string(rec.Status), string(want.Status))
	field("section", rec.Section, want.Section)
	field("expected", rec.Expected, want.Expected)
	field("observed", rec.Observed, want.Observed)
	field("remediation.console", rec.Remediation.Console, want.Remediation.Console)
	field("remediation.cli", rec.Remediation.CLI, want.Remediation.CLI)

	// Each reference must name what the snapshot holds, and the references
	// must be those the check is judged on.
	claim := func(ref checks.EvidenceRef) string { return rec.ID + " evidence " + strconv.Quote(ref.Member) }
	for _, ref := range rec.Evidence {
		raw, ok := members[ref.Member]
		if !ok {
			fs = append(fs, Finding{claim(ref), "a reference to a member the snapshot does not hold", ""})
			continue
		}
		if _, ok := checks.ResolvePointer(raw, ref.Pointer); !ok {
			fs = append(fs, Finding{claim(ref), "the pointer " + shown(ref.Pointer) + ", which resolves to nothing in the snapshot's answer", ""})
		}
	}
	inFile := map[checks.EvidenceRef]bool{}
	for _, ref := range rec.Evidence {
		inFile[ref] = true
	}
	inJudged := map[checks.EvidenceRef]bool{}
	for _, ref := range want.Evidence {
		inJudged[ref] = true
		if !inFile[ref] {
			fs = append(fs, Finding{claim(ref), "no answer (it does not name " + refText(ref) + ")",
				"the check is judged on the snapshot's answer (sha256 " + reports.EvidenceSHA256(members[ref.Member]) + ")"})
		}
	}
	for _, ref := range rec.Evidence {
		if !inJudged[ref] {
			fs = append(fs, Finding{claim(ref), "a reference to " + refText(ref), "the check is not judged on it"})
		}
	}
	return fs
}

// refText names a reference in a finding.
func refText(ref checks.EvidenceRef) string {
	if ref.Pointer == "" {
		return strconv.Quote(ref.Member)
	}
	return strconv.Quote(ref.Member) + " at " + strconv.Quote(ref.Pointer)
}

// compareDigests holds each member of the snapshot to the sha256 the file
// gives for it.
func compareDigests(members map[string]json.RawMessage, digests map[string]string) []Finding {
	if digests == nil {
		return []Finding{{"snapshot_sha256", "nothing (it is missing)", ""}}
	}
	var fs []Finding
	names := keySet(members)
	for k := range digests {
		names[k] = true
	}
	for _, name := range slices.Sorted(maps.Keys(names)) {
		claim := "evidence " + strconv.Quote(name)
		raw, held := members[name]
		digest, hasDigest := digests[name]
		switch {
		case held && !hasDigest:
			fs = append(fs, Finding{claim, "an answer without its sha256", ""})
		case !held:
			fs = append(fs, Finding{claim, "a sha256 (" + digest + ") of an answer the snapshot does not hold", ""})
		case reports.EvidenceSHA256(raw) != digest:
			fs = append(fs, Finding{claim, "an answer whose sha256 is " + reports.EvidenceSHA256(raw) + ", not the " + digest + " it gives", ""})
		}
	}
	return fs
}

// compareDerived holds the run's fields that follow from the evidence to
// what derive gives, as Evaluate filled them. A live run names the target
// of the capture's Target member, and its account and region; an offline
// evaluation (target "snapshot", of a hand-made snapshot or of a saved
// live capture) has none.
func compareDerived(run *reports.Run, s *keystate.State, p *profile.Profile) []Finding {
	var fs []Finding
	field := func(name, got, want string) {
		if got != want {
			fs = append(fs, Finding{name, shown(got), shown(want)})
		}
	}
	account, region := "", ""
	switch {
	case s.Target != nil && run.Target.Kind == s.Target.Kind:
		account, region = s.Target.Account, s.Target.Region
		field("target.endpoint", run.Target.Endpoint, s.Target.Endpoint)
	case s.Target != nil && run.Target.Kind != keystate.KindSnapshot:
		fs = append(fs, Finding{"target.kind", shown(run.Target.Kind),
			shown(s.Target.Kind) + " (the live run) or " + shown(keystate.KindSnapshot) + " (an offline evaluation of its capture)"})
	case s.Target == nil && !keystate.IsIaCKind(run.Target.Kind):
		// Evidence without a live target is a snapshot, or a key judged
		// before it exists from a template or plan (package iac).
		field("target.kind", run.Target.Kind, keystate.KindSnapshot)
	}
	// The key asked for is the file's own claim when the evidence names no key.
	d := derive(s, p, account, region, run.KeyARN)
	field("key_arn", run.KeyARN, d.KeyARN)
	field("account", run.Account, d.Account)
	field("region", run.Region, d.Region)
	field("caller", run.Caller, d.Caller)
	return fs
}

// embed puts into run what Verify needs to judge it again: the state as a
// snapshot, the validated profile it was judged against and this build's
// catalog. That the file then verifies is held by tests over every
// fixture, template, plan and the suites' runs, not by judging it twice.
func embed(run *reports.Run, s *keystate.State, v profile.Valid) error {
	if run == nil || s == nil {
		return errors.New("results file: no run or no key state to embed")
	}
	snapshot, err := s.Snapshot()
	if err != nil {
		return fmt.Errorf("results file: the evidence cannot be embedded: %w", err)
	}
	canonical, err := v.Canonical()
	if err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	p := v.Profile()
	run.NotEvaluated = checks.NotEvaluated(run.Results)
	run.Snapshot = bytes.TrimSpace(snapshot)
	if run.SnapshotSHA256, err = reports.SnapshotDigests(run.Snapshot); err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	run.Profile.Canonical = string(canonical)
	run.Profile.Overrides = slices.Clone(p.Overrides)
	if profile.Derived([]byte(run.Profile.Content), run.Profile.Overrides, v) != nil {
		// The profile was changed in code after its file was read (the
		// suites do): that file is not what was judged. Record what was.
		source := "built in code"
		if run.Profile.Source != "" {
			source = "changed in code after reading " + run.Profile.Source
		}
		run.Profile = reports.NewProfileRecord(source, canonical)
		run.Profile.Canonical = string(canonical)
	}
	catalog := reports.Catalog()
	run.Catalog = &catalog
	return nil
}

// shown quotes a value for a message, cut short when long.
func shown(s string) string {
	const max = 160
	if utf8.RuneCountInString(s) <= max {
		return strconv.Quote(s)
	}
	r := []rune(s)
	return strconv.Quote(string(r[:max])) + fmt.Sprintf("... (%d characters)", len(r))
}

func orNone(s string) string {
	if s == "" {
		return "(none)"
	}
	return s
}

func keySet[V any](m map[string]V) map[string]bool {
	out := make(map[string]bool, len(m))
	for k := range m {
		out[k] = true
	}
	return out
}
