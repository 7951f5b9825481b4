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

// SchemaVersion names the results file's format, its first member:
// docs/schemas/results.schema.json describes version "1". Change it with
// any change of the file's members, with that schema.
const SchemaVersion = "1"

// runFile is the results file. Its Snapshot shadows Run's: it is written
// by hand after the rest (see appendSnapshot) and read back verbatim.
type runFile struct {
	SchemaVersion string `json:"schema_version"`
	Run
	Snapshot json.RawMessage `json:"snapshot,omitempty"`
}

// run is the file as a Run ("snapshot": null is no snapshot).
func (f *runFile) run() Run {
	run := f.Run
	run.Snapshot = nil
	if len(f.Snapshot) > 0 && string(f.Snapshot) != "null" {
		run.Snapshot = f.Snapshot
	}
	if run.NotEvaluated == nil {
		// A file written before cmkcheck kept the list: it follows from
		// the results. A list the file does hold is held to them.
		run.NotEvaluated = checks.NotEvaluated(run.Results)
	}
	return run
}

// WriteResults writes the results file: the run as indented JSON, each
// result naming the snapshot members it was judged on, then the sha256 of
// each member and the snapshot itself, once, byte for byte as recorded.
func WriteResults(w io.Writer, run *Run) error {
	r, err := prepare(run)
	if err != nil {
		return fmt.Errorf("results file: %w", err)
	}
	f := runFile{SchemaVersion: SchemaVersion, Run: *r}
	f.SnapshotSHA256 = nil
	if len(r.Snapshot) > 0 {
		if f.SnapshotSHA256, err = SnapshotDigests(r.Snapshot); err != nil {
			return fmt.Errorf("results file: %w", err)
		}
	}
	out, err := encodeIndent(f)
	if err != nil {
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

// appendSnapshot writes the snapshot as the file's last member, byte for
// byte: re-indented, its raw answers would no longer be those their
// digests are of.
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

// SnapshotMembers reads a snapshot's members as recorded.
func SnapshotMembers(snapshot []byte) (map[string]json.RawMessage, error) {
	var members map[string]json.RawMessage
	if err := json.Unmarshal(snapshot, &members); err != nil || members == nil {
		return nil, errors.New("the snapshot is not a JSON object of members")
	}
	return members, nil
}

// SnapshotDigests is the sha256 of each member of a snapshot, of its bytes
// as recorded (less surrounding whitespace): what `sha256sum` gives for
// the member cut out of the file.
func SnapshotDigests(snapshot []byte) (map[string]string, error) {
	members, err := SnapshotMembers(snapshot)
	if err != nil {
		return nil, err
	}
	d := make(map[string]string, len(members))
	for name, raw := range members {
		d[name] = EvidenceSHA256(raw)
	}
	return d, nil
}

// MaxResultsSize bounds a results file that is read back. One key's file is
// its snapshot (up to keystate.MaxSnapshotSize) and some kilobytes of
// results that name its members; the bound leaves room to spare.
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
	run := f.run()
	if err := checkDigests(&run); err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	if err := validate(&run); err != nil {
		return nil, fmt.Errorf("read results file: %w", err)
	}
	return &run, nil
}

// DecodeResults reads a results file's shape (one JSON object of the known
// fields, nothing after it) into the run it records, with ResultsSHA256 set
// to data's digest. What the values say is for the caller to hold to the
// evidence (audit.Verify).
func DecodeResults(data []byte) (*Run, error) {
	f, err := decodeResults(data)
	if err != nil {
		return nil, err
	}
	run := f.run()
	run.ResultsSHA256 = sha256Hex(data)
	return &run, nil
}

// decodeResults reads the file's shape: one JSON object of the known
// fields with the types they have, and nothing after it. What the values
// say is for the caller to check.
func decodeResults(data []byte) (*runFile, error) {
	if len(data) > MaxResultsSize {
		return nil, fmt.Errorf("the file is larger than %d bytes", MaxResultsSize)
	}
	if err := checkSchemaVersion(data); err != nil {
		return nil, err
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

// checkSchemaVersion refuses a file of another format before its members
// are read, so that a newer file is named as such rather than by its
// first unknown member. What is no results file at all (not a JSON object,
// or one without results, like a snapshot) passes here: the strict
// decoding says what is wrong with it.
func checkSchemaVersion(data []byte) error {
	var head struct {
		SchemaVersion json.RawMessage `json:"schema_version"`
		Results       json.RawMessage `json:"results"`
	}
	if !bytes.HasPrefix(bytes.TrimLeft(data, " \t\r\n"), []byte("{")) || json.Unmarshal(data, &head) != nil {
		return nil
	}
	if head.SchemaVersion == nil && head.Results == nil {
		return nil
	}
	if head.SchemaVersion == nil || string(head.SchemaVersion) == "null" {
		// Every file without one was written under catalog 6 or before,
		// which this build's checks no longer repeat (catalog.go): it
		// could not verify as it was judged, so it is not read at all.
		return fmt.Errorf("schema_version is missing: the file was written by a cmkcheck from before results files named their format (catalog %s or earlier); read and verify it with the cmkcheck that wrote it, or evaluate its snapshot again (cmkcheck evaluate --snapshot FILE --results NEW)", lastUnversionedCatalog)
	}
	var v string
	if json.Unmarshal(head.SchemaVersion, &v) != nil {
		return fmt.Errorf("schema_version must be a string (%q), not %s", SchemaVersion, head.SchemaVersion)
	}
	if v != SchemaVersion {
		return fmt.Errorf("schema_version %q is not one this cmkcheck reads (it reads %q, docs/schemas/results.schema.json): read the file with the cmkcheck that wrote it", v, SchemaVersion)
	}
	return nil
}

// checkDigests holds the snapshot's members to the sha256 the file gives
// for each.
func checkDigests(run *Run) error {
	if run.Snapshot == nil {
		return nil
	}
	if run.SnapshotSHA256 == nil {
		return errors.New("snapshot_sha256 is missing")
	}
	got, err := SnapshotDigests(run.Snapshot)
	if err != nil {
		return err
	}
	for _, name := range sortedKeys(run.SnapshotSHA256) {
		if _, ok := got[name]; !ok {
			return fmt.Errorf("snapshot_sha256 names %q, which is not in the snapshot", name)
		}
	}
	for _, name := range sortedKeys(got) {
		want, ok := run.SnapshotSHA256[name]
		if !ok {
			return fmt.Errorf("snapshot member %q has no sha256", name)
		}
		if got[name] != want {
			return fmt.Errorf("snapshot member %q does not match its sha256 (was the file altered?)", name)
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
	case errors.As(err, &typ) && fieldPath(typ.Field) == "results.evidence" && typ.Value == "object":
		// Catalog 3 and before copied each answer into every result.
		return fmt.Errorf("the file is of an earlier format (each result held copies of its evidence): read and verify it with the cmkcheck that wrote it, or evaluate its snapshot again (cmkcheck evaluate --snapshot FILE --results NEW): %w", err)
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
		if part != "Run" && part != "Result" {
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
