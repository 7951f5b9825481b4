package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// resultRecord is one result as the results file holds it: the result with
// the digest of each evidence item, so an auditor can check any of them with
// sha256sum.
type resultRecord struct {
	checks.Result
	EvidenceSHA256 map[string]string `json:"evidence_sha256"`
}

// runFile is the results file. Its Results and Snapshot shadow Run's.
type runFile struct {
	Run
	Results []resultRecord `json:"results"`
	// Snapshot is written by hand after the results (see appendSnapshot)
	// and read back verbatim.
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
}

// run is the file as a Run: its results with their evidence, and its
// snapshot ("snapshot": null is no snapshot).
func (f *runFile) run() Run {
	run := f.Run
	run.Snapshot = nil
	if len(f.Snapshot) > 0 && string(f.Snapshot) != "null" {
		run.Snapshot = f.Snapshot
	}
	run.Results = make([]checks.Result, len(f.Results))
	for i, rec := range f.Results {
		run.Results[i] = rec.Result
	}
	if run.NotEvaluated == nil {
		// A file written before cmkcheck kept the list: it follows from
		// the results. A list the file does hold is held to them.
		run.NotEvaluated = checks.NotEvaluated(run.Results)
	}
	return run
}

// evidencePlaceholder is what encoding/json writes for a result whose
// Evidence is nil. It cannot occur inside a string value (the quotes would be
// escaped), so each occurrence is exactly one result's evidence member.
var evidencePlaceholder = []byte(`"evidence": null`)

// WriteResults writes the results file: the run as indented JSON, each result
// with its evidence_sha256. Evidence is written byte for byte as recorded.
func WriteResults(w io.Writer, run *Run) error {
	r, err := prepare(run)
	if err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	f := runFile{Run: *r, Results: make([]resultRecord, len(r.Results))}
	for i, res := range r.Results {
		f.Results[i] = record(res)
	}
	out, err := encodeIndent(f)
	if err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	if out, err = spliceEvidence(out, r.Results); err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	if out, err = appendSnapshot(out, r.Snapshot); err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	if _, err := w.Write(out); err != nil {
		return fmt.Errorf("write results file: %w", err)
	}
	return nil
}

func record(res checks.Result) resultRecord {
	rec := resultRecord{Result: res, EvidenceSHA256: evidenceDigests(res.Evidence)}
	rec.Result.Evidence = nil // spliced in verbatim afterwards
	return rec
}

func encodeIndent(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// spliceEvidence replaces the k-th evidence placeholder in out with the
// evidence of results[k]. encoding/json would compact and re-escape raw
// messages, and then the digests of the file's evidence would not be those
// of the answers that were judged.
func spliceEvidence(out []byte, results []checks.Result) ([]byte, error) {
	if n := bytes.Count(out, evidencePlaceholder); n != len(results) {
		return nil, fmt.Errorf("internal error: %d evidence members for %d results", n, len(results))
	}
	var b bytes.Buffer
	for _, res := range results {
		i := bytes.Index(out, evidencePlaceholder)
		indent := out[bytes.LastIndexByte(out[:i], '\n')+1 : i]
		b.Write(out[:i])
		b.WriteString(`"evidence": `)
		writeEvidence(&b, res.Evidence, string(indent))
		out = out[i+len(evidencePlaceholder):]
	}
	b.Write(out)
	return b.Bytes(), nil
}

// appendSnapshot writes the snapshot as the file's last member, byte for
// byte: re-indented, its raw answers would no longer be the evidence the
// results carry, and Verify compares the two.
func appendSnapshot(out, snapshot []byte) ([]byte, error) {
	if len(snapshot) == 0 {
		return out, nil
	}
	end := []byte("\n}\n")
	if !bytes.HasSuffix(out, end) {
		return nil, errors.New("internal error: the results object does not end as encoding/json ends it")
	}
	var b bytes.Buffer
	b.Write(out[:len(out)-len(end)])
	b.WriteString(",\n  \"snapshot\": ")
	b.Write(bytes.TrimSpace(snapshot))
	b.Write(end)
	return b.Bytes(), nil
}

func writeEvidence(b *bytes.Buffer, ev map[string]json.RawMessage, indent string) {
	if len(ev) == 0 {
		b.WriteString("{}")
		return
	}
	b.WriteString("{\n")
	for i, name := range sortedKeys(ev) {
		key, _ := json.Marshal(name) // a string always marshals
		fmt.Fprintf(b, "%s  %s: %s", indent, key, evidenceBytes(ev[name]))
		if i < len(ev)-1 {
			b.WriteByte(',')
		}
		b.WriteByte('\n')
	}
	b.WriteString(indent + "}")
}

// MaxResultsSize bounds a results file that is read back. One key's file,
// with its snapshot, is some tens of kilobytes; a snapshot may hold up to
// keystate.MaxSnapshotSize, and the results repeat parts of it as evidence.
const MaxResultsSize = 8 * keystate.MaxSnapshotSize

// ReadResults reads a results file back. It is strict: unknown fields, wrong
// types, trailing data, evidence that does not match its digest, or a verdict
// that contradicts the results are errors. It does not judge the results
// again: audit.Verify does.
func ReadResults(r io.Reader) (*Run, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxResultsSize+1))
	if err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	f, err := decodeResults(data)
	if err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	for _, rec := range f.Results {
		if err := checkDigests(rec); err != nil {
			return nil, fmt.Errorf("read results file: %w", err)
		}
	}
	run := f.run()
	if err := validate(&run); err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	return &run, nil
}

// DecodeResults reads a results file's shape (one JSON object of the known
// fields, nothing after it) into the run it records, with ResultsSHA256 set
// to data's digest, and each result's evidence_sha256 as the file gives it
// (nil where it is missing). What the values say is for the caller to hold
// to the evidence (audit.Verify).
func DecodeResults(data []byte) (*Run, []map[string]string, error) {
	f, err := decodeResults(data)
	if err != nil {
		return nil, nil, err
	}
	run := f.run()
	run.ResultsSHA256 = sha256Hex(data)
	digests := make([]map[string]string, len(f.Results))
	for i, rec := range f.Results {
		digests[i] = rec.EvidenceSHA256
	}
	return &run, digests, nil
}

// decodeResults reads the file's shape: one JSON object of the known
// fields with the types they have, and nothing after it. What the values
// say is for the caller to check.
func decodeResults(data []byte) (*runFile, error) {
	if len(data) > MaxResultsSize {
		return nil, fmt.Errorf("the file is larger than %d bytes", MaxResultsSize)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f runFile
	if err := dec.Decode(&f); err != nil {
		return nil, explainJSON(err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("unexpected data after the results object")
	}
	if f.Results == nil {
		return nil, errors.New("results is missing")
	}
	return &f, nil
}

func checkDigests(rec resultRecord) error {
	if rec.EvidenceSHA256 == nil {
		return fmt.Errorf("result %q: evidence_sha256 is missing", rec.ID)
	}
	got := evidenceDigests(rec.Evidence)
	for _, name := range sortedKeys(rec.EvidenceSHA256) {
		if _, ok := got[name]; !ok {
			return fmt.Errorf("result %q: evidence_sha256 names %q, which is not in its evidence", rec.ID, name)
		}
	}
	for _, name := range sortedKeys(got) {
		want, ok := rec.EvidenceSHA256[name]
		if !ok {
			return fmt.Errorf("result %q: evidence %q has no sha256", rec.ID, name)
		}
		if got[name] != want {
			return fmt.Errorf("result %q: evidence %q does not match its sha256 (was the file altered?)", rec.ID, name)
		}
	}
	return nil
}

// explainJSON turns decoder errors into messages that say where and what.
func explainJSON(err error) error {
	var syn *json.SyntaxError
	var typ *json.UnmarshalTypeError
	switch {
	case errors.Is(err, io.EOF):
		return errors.New("the file is empty")
	case errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("the file is truncated: %w", err)
	case errors.As(err, &syn):
		return fmt.Errorf("not valid JSON at byte %d: %w", syn.Offset, err)
	case errors.As(err, &typ) && typ.Field == "":
		return fmt.Errorf("the file must hold one JSON object, not a JSON %s: %w", typ.Value, err)
	case errors.As(err, &typ):
		return fmt.Errorf("field %q must be %s, not a JSON %s: %w", fieldPath(typ.Field), typeName(typ), typ.Value, err)
	}
	return err
}

// fieldPath drops the embedded Go types from a decoder's field path:
// "results.Result.status" is "results.status" in the file.
func fieldPath(p string) string {
	var parts []string
	for _, part := range strings.Split(p, ".") {
		if part != "Run" && part != "Result" && part != "resultRecord" {
			parts = append(parts, part)
		}
	}
	return strings.Join(parts, ".")
}

func typeName(e *json.UnmarshalTypeError) string {
	switch e.Type.Kind() {
	case reflect.String:
		return "a string"
	case reflect.Slice, reflect.Array:
		return "an array"
	case reflect.Map, reflect.Struct:
		return "an object"
	case reflect.Bool:
		return "true or false"
	}
	return "a " + e.Type.String()
}
