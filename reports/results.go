package reports

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"strings"

	"github.com/aep-cmk/cmkcheck/checks"
)

// resultRecord is one result as the results file holds it: the result with
// the digest of each evidence item, so an auditor can check any of them with
// sha256sum.
type resultRecord struct {
	checks.Result
	EvidenceSHA256 map[string]string `json:"evidence_sha256"`
}

// runFile is the results file. Its Results shadow Run.Results.
type runFile struct {
	Run
	Results []resultRecord `json:"results"`
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

// ReadResults reads a results file back. It is strict: unknown fields, wrong
// types, trailing data, evidence that does not match its digest, or a verdict
// that contradicts the results are errors.
func ReadResults(r io.Reader) (*Run, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var f runFile
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("read results file: %w", explainJSON(err))
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("read results file: unexpected data after the results object")
	}
	if f.Results == nil {
		return nil, errors.New("read results file: results is missing")
	}
	run := f.Run
	run.Results = make([]checks.Result, len(f.Results))
	for i, rec := range f.Results {
		if err := checkDigests(rec); err != nil {
			return nil, fmt.Errorf("read results file: %w", err)
		}
		run.Results[i] = rec.Result
	}
	if err := validate(&run); err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	return &run, nil
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
