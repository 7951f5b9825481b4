// Package reports renders the recorded results of one audit run: a results
// file (JSON, the record of truth that `cmkcheck report` reads back), JUnit
// XML for CI systems and a Markdown report for the auditors who sign it off.
// It knows nothing of AWS and judges nothing: it renders a judged run
// (audit.Evaluate, or a file audit.Verify judged again) and encodes and
// decodes the results file's format.
package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// ProfileRecord is the profile the key was judged against, kept whole so an
// auditor can see exactly what was expected.
type ProfileRecord struct {
	Source  string `json:"source,omitempty"`
	Content string `json:"content"` // the file as the user wrote it
	SHA256  string `json:"sha256"`  // of Content
	// Overrides names the CMK_* variables that changed a field of Content.
	Overrides []string `json:"overrides,omitempty"`
	// Canonical is the validated profile the checks were given
	// (profile.Valid.Canonical): what Verify judges the evidence against.
	Canonical string `json:"canonical,omitempty"`
}

// NewProfileRecord records a profile's bytes with their digest. The reports
// refuse content that is not valid UTF-8: JSON could not keep it verbatim,
// and its digest would no longer match.
func NewProfileRecord(source string, content []byte) ProfileRecord {
	return ProfileRecord{Source: source, Content: string(content), SHA256: sha256Hex(content)}
}

// Run is one audit of one key: what was inspected, with what, and the results.
type Run struct {
	RunID       string               `json:"run_id"`
	Start       time.Time            `json:"start"`
	End         time.Time            `json:"end"`
	ToolVersion string               `json:"tool_version"`
	Commit      string               `json:"commit"`
	Target      keystate.TargetFacts `json:"target"` // Kind and Endpoint only
	Account     string               `json:"account"`
	Region      string               `json:"region"`
	Caller      string               `json:"caller,omitempty"` // caller identity ARN
	KeyARN      string               `json:"key_arn"`
	Profile     ProfileRecord        `json:"profile"`
	Catalog     *CatalogRecord       `json:"catalog,omitempty"` // the checks that judged; set with Snapshot
	Verdict     string               `json:"verdict"`           // checks.Verdict(Results)
	// NotEvaluated is checks.NotEvaluated(Results): the required checks
	// the verdict does not cover. Like Verdict it is derived, and held to
	// the results wherever a run is read or written.
	NotEvaluated []checks.Omission `json:"not_evaluated"`
	Results      []checks.Result   `json:"results"`
	// AccessMatrix is the access matrix checks.Judge gives for the evidence: who holds which
	// right on the key, from the same model the checks judged with. Like
	// Verdict it is derived (audit computes it, verify holds the file to
	// it); the Markdown opens its access section with it.
	AccessMatrix []checks.AccessRow `json:"access_matrix,omitempty"`
	// SnapshotSHA256 is the sha256 of each member of Snapshot
	// (SnapshotDigests): WriteResults computes it, a file read back gives
	// it as written.
	SnapshotSHA256 map[string]string `json:"snapshot_sha256,omitempty"`
	// Snapshot is the evidence the results were judged on, as
	// keystate.State.Snapshot wrote it: every raw answer once, which the
	// results name. With Profile.Canonical and Catalog it lets audit.Verify
	// judge the results again (audit.Evaluate sets all three). The results
	// file keeps it byte for byte after the results.
	Snapshot json.RawMessage `json:"snapshot,omitempty"`

	// ResultsSHA256 is the SHA-256 of the results file this run was read
	// from (Verify sets it), which the JUnit and Markdown reports carry;
	// "" means the results file this run writes. The file cannot hold its
	// own digest, so it is not part of it.
	ResultsSHA256 string `json:"-"`
}

// Paths are the files Write produced.
type Paths struct {
	Results, JUnit, Markdown string
}

// DefaultName is the base name of the report files.
const DefaultName = "cmk-audit"

// Write renders the run into dir as <name>.results.json, <name>.junit.xml and
// <name>.md, all three or none (WriteFiles).
func Write(dir, name string, run *Run) (Paths, error) {
	r, err := Render(run)
	if err != nil {
		return Paths{}, err
	}
	files, p, err := r.Files(dir, name)
	if err != nil {
		return Paths{}, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return Paths{}, fmt.Errorf("create report directory: %w", err)
	}
	return p, WriteFiles(files...)
}

// Rendered is a run with its results file rendered, once: every other
// output of the run (JUnit, Markdown, the files in a report directory)
// names that file's digest and reuses its bytes, never a rebuild.
type Rendered struct {
	Run     *Run   // the run, with ResultsSHA256 set to the digest of Results
	Results []byte // the results file
}

// Render renders the run's results file.
func Render(run *Run) (*Rendered, error) {
	var b bytes.Buffer
	if err := WriteResults(&b, run); err != nil {
		return nil, err
	}
	withDigest := *run
	withDigest.ResultsSHA256 = sha256Hex(b.Bytes())
	return &Rendered{Run: &withDigest, Results: b.Bytes()}, nil
}

// ResultsFile is the rendered results file as a File for path.
func (r *Rendered) ResultsFile(path string) File { return bytesFile(path, r.Results) }

// Files renders the run's three reports for dir without writing them, so a
// command can write them in one WriteFiles with its other outputs. A run
// that cannot be rendered fails here, before any file is touched.
func (r *Rendered) Files(dir, name string) ([]File, Paths, error) {
	if name == "" {
		name = DefaultName
	}
	if name != filepath.Base(name) || name == "." || name == ".." {
		return nil, Paths{}, fmt.Errorf("report name %q must be a plain file name", name)
	}
	var junit, md bytes.Buffer
	if err := WriteJUnit(&junit, r.Run); err != nil {
		return nil, Paths{}, err
	}
	if err := WriteMarkdown(&md, r.Run); err != nil {
		return nil, Paths{}, err
	}
	p := Paths{
		Results:  filepath.Join(dir, name+".results.json"),
		JUnit:    filepath.Join(dir, name+".junit.xml"),
		Markdown: filepath.Join(dir, name+".md"),
	}
	return []File{r.ResultsFile(p.Results), bytesFile(p.JUnit, junit.Bytes()), bytesFile(p.Markdown, md.Bytes())}, p, nil
}

// bytesFile is a File whose content is already rendered.
func bytesFile(path string, data []byte) File {
	return File{Path: path, Write: func(w io.Writer) error { _, err := w.Write(data); return err }}
}

// prepare validates a run for rendering and returns a normalised copy: times
// in UTC, the verdict and the profile digest filled in when left empty. Every
// writer goes through it, so no output says something its results do not.
func prepare(run *Run) (*Run, error) {
	if run == nil {
		return nil, errors.New("no run to report")
	}
	r := *run
	r.Start, r.End = r.Start.UTC(), r.End.UTC()
	if r.Verdict == "" {
		r.Verdict = checks.Verdict(r.Results)
	}
	if r.NotEvaluated == nil {
		r.NotEvaluated = checks.NotEvaluated(r.Results)
	}
	if r.Profile.SHA256 == "" {
		r.Profile.SHA256 = sha256Hex([]byte(r.Profile.Content))
	}
	r.Results = slices.Clone(r.Results)
	for i := range r.Results {
		if r.Results[i].Evidence == nil {
			r.Results[i].Evidence = []checks.EvidenceRef{} // "none" is [], never null
		}
	}
	if err := validate(&r); err != nil {
		return nil, err
	}
	return &r, nil
}

// Validate checks what every report relies on: the renderers and
// ReadResults apply it, and a verified run is held to it.
func Validate(r *Run) error { return validate(r) }

func validate(r *Run) error {
	if r.RunID == "" {
		return errors.New("run_id is missing")
	}
	if !keystate.IsKnownKind(r.Target.Kind) {
		return fmt.Errorf("target kind %q is not one of %s", r.Target.Kind, strings.Join(keystate.AllKinds, ", "))
	}
	if r.Target.Region != "" || r.Target.Account != "" {
		// The run's account and region are its own fields, derived from the
		// evidence: a second, unchecked copy would be a claim nobody judges.
		return fmt.Errorf("target names region %q and account %q: a run record's target is its kind and endpoint only", r.Target.Region, r.Target.Account)
	}
	if !utf8.ValidString(r.Profile.Content) {
		return errors.New("profile content is not valid UTF-8, so JSON cannot record it byte for byte")
	}
	if want := sha256Hex([]byte(r.Profile.Content)); r.Profile.SHA256 != want {
		return fmt.Errorf("profile sha256 %q does not match its content (%s)", r.Profile.SHA256, want)
	}
	for i, res := range r.Results {
		if res.ID == "" {
			return fmt.Errorf("result %d has no id", i)
		}
		if !slices.Contains(checks.Statuses, res.Status) {
			return fmt.Errorf("result %s: status %q is not one of PASS, FAIL, WARN, SKIP, ERROR", res.ID, res.Status)
		}
		if res.Severity != checks.Required && res.Severity != checks.Recommended {
			return fmt.Errorf("result %s: severity %q is not required or recommended", res.ID, res.Severity)
		}
		for _, ref := range res.Evidence {
			if ref.Member == "" {
				return fmt.Errorf("result %s: an evidence reference names no member", res.ID)
			}
		}
	}
	if len(r.Snapshot) > 0 && !json.Valid(r.Snapshot) {
		return errors.New("snapshot is not valid JSON")
	}
	if want := checks.Verdict(r.Results); r.Verdict != want {
		return fmt.Errorf("verdict %q contradicts the results, which say %q", r.Verdict, want)
	}
	if want := checks.NotEvaluated(r.Results); !slices.Equal(r.NotEvaluated, want) {
		return fmt.Errorf("not_evaluated %s contradicts the results, which say %s",
			checks.OmissionsText(r.NotEvaluated), checks.OmissionsText(want))
	}
	return nil
}

// resultsDigest is the SHA-256 of the results file r goes with: the one
// it was read from, or the one Render rendered for it. It is never
// rebuilt here: a report of a run whose results file was not rendered
// has no file to name.
func resultsDigest(r *Run) (string, error) {
	if r.ResultsSHA256 == "" {
		return "", errors.New("the results file this report goes with was not rendered (reports.Render), so its sha256 is not known")
	}
	return r.ResultsSHA256, nil
}

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// evidenceBytes is the evidence as stored and digested: the raw answer less
// surrounding whitespace, which a JSON reader could not give back.
func evidenceBytes(raw json.RawMessage) []byte {
	return bytes.Trim(raw, " \t\r\n")
}

// EvidenceSHA256 is the sha256 of one evidence item as the results file
// stores and digests it.
func EvidenceSHA256(raw json.RawMessage) string { return sha256Hex(evidenceBytes(raw)) }

// SHA256Hex is the hex sha256 of b, as every digest in the reports is written.
func SHA256Hex(b []byte) string { return sha256Hex(b) }

func sortedKeys[V any](m map[string]V) []string {
	return slices.Sorted(maps.Keys(m))
}

// timeText is how every report writes a time: UTC, RFC 3339.
func timeText(t time.Time) string { return t.UTC().Format(time.RFC3339Nano) }
