package reports

import (
	"bytes"
	"crypto/sha256"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"path/filepath"
	"time"

	"github.com/google/uuid"
)

// The formats other tools read: SARIF for code scanning (sarif.go), OCSF
// findings for Security Hub and Security Lake (ocsf.go), OSCAL assessment
// results for an auditor's system of record (oscal.go). Each is one
// document for the whole run, however many keys it judged: a document's
// opening, each key's items, and its close. The items of a key are
// rendered from its judged run as it finishes (in a fleet, side by side)
// and streamed into a temporary part, so a fleet of thousands of keys is
// never held in memory; the documents are put together when the run's
// files are written, all of them or none (WriteFiles).

// FormatPaths are the files of the formats a run writes; "" is not written.
type FormatPaths struct{ SARIF, OCSF, OSCAL string }

// Origin is where a key judged before it exists is declared: SARIF points
// its results there.
type Origin struct {
	File string // the template or plan, as the user named it
	Name string // the logical ID, or the resource address
	// Line is the template line an answer comes from (iac.Key.Line); nil
	// or 0 when there is none (a plan).
	Line func(member, pointer string) int
}

// Judged is one key's judged run and, for a template's or plan's key,
// where it is declared (nil: a live key or a snapshot).
type Judged struct {
	Run    *Run
	Origin *Origin
}

// FormatsMeta is what the formats say of the run as a whole.
type FormatsMeta struct {
	RunID            string // the run's, or the fleet's
	Start, End       time.Time
	ToolVersion      string
	Commit           string
	Verdict          string
	CatalogReference string // where the OSCAL catalog is, as the assessment results name it
}

// format is one document: what opens and closes it around its items, and
// each key's items.
type format struct {
	path      string
	part      *part
	n         int
	items     func(Judged) ([][]byte, error)
	unaudited func(Unaudited) ([]byte, error)
	wrap      func(m FormatsMeta, digest string) (head, tail []byte, err error)
}

// Unaudited is what a fleet could not audit: a key, or an account and
// region it could not list. Each format says so (an error, a finding of
// unknown status, a result with no finding), so a fleet whose keys all
// failed never reads as one with nothing to report.
type Unaudited struct {
	Name            string // the key as selected, or the account and region
	Account, Region string
	Why             string
	When            time.Time
}

// Formats streams the formats of a run.
type Formats struct {
	formats []*format
	digest  hash.Hash // over each key's results digest, in the order added
}

// KeyItems are one key's items in each format, rendered.
type KeyItems struct {
	items   [][][]byte
	results string
}

// NewFormats starts the formats of paths; nil when none is asked for (a
// nil *Formats renders and writes nothing).
func NewFormats(paths FormatPaths) (*Formats, error) {
	f := &Formats{digest: sha256.New()}
	for _, fm := range []*format{
		{path: paths.SARIF, items: sarifItems, unaudited: sarifUnaudited, wrap: sarifWrap},
		{path: paths.OCSF, items: ocsfItems, unaudited: ocsfUnaudited, wrap: ocsfWrap},
		{path: paths.OSCAL, items: oscalItems, unaudited: oscalUnaudited, wrap: oscalWrap},
	} {
		if fm.path == "" {
			continue
		}
		p, err := newPart(filepath.Dir(fm.path), filepath.Base(fm.path))
		if err != nil {
			f.Remove()
			return nil, err
		}
		fm.part = p
		f.formats = append(f.formats, fm)
	}
	if len(f.formats) == 0 {
		return nil, nil
	}
	return f, nil
}

// Render renders a key's items: side by side with other keys' (it touches
// nothing of f). The run must have been rendered (its ResultsSHA256 set).
func (f *Formats) Render(j Judged) (*KeyItems, error) {
	if f == nil {
		return nil, nil
	}
	if j.Run == nil {
		return nil, errors.New("formats: no run to render")
	}
	r, err := prepare(j.Run)
	if err != nil {
		return nil, err
	}
	r.ResultsSHA256 = j.Run.ResultsSHA256
	if _, err := resultsDigest(r); err != nil {
		return nil, err
	}
	j.Run = r
	k := &KeyItems{results: r.ResultsSHA256}
	for _, fm := range f.formats {
		items, err := fm.items(j)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fm.path, err)
		}
		k.items = append(k.items, items)
	}
	return k, nil
}

// RenderUnaudited renders what could not be audited.
func (f *Formats) RenderUnaudited(u Unaudited) (*KeyItems, error) {
	if f == nil {
		return nil, nil
	}
	if u.Why == "" {
		u.Why = "the audit gave no reason"
	}
	k := &KeyItems{results: "unaudited " + u.Name + " " + u.Why}
	for _, fm := range f.formats {
		item, err := fm.unaudited(u)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", fm.path, err)
		}
		k.items = append(k.items, [][]byte{item})
	}
	return k, nil
}

// Add appends a key's items, in the order keys are added.
func (f *Formats) Add(k *KeyItems) error {
	if f == nil {
		return nil
	}
	if k == nil || len(k.items) != len(f.formats) {
		return errors.New("formats: the key's items were rendered for other formats")
	}
	io.WriteString(f.digest, k.results+"\n")
	for i, fm := range f.formats {
		for _, item := range k.items[i] {
			if fm.n > 0 {
				fm.part.w.WriteByte(',')
			}
			fm.part.w.WriteString("\n")
			if _, err := fm.part.w.Write(item); err != nil {
				return err
			}
			fm.n++
		}
	}
	return nil
}

// Files are the documents, put together when they are written.
func (f *Formats) Files(m FormatsMeta) []File {
	if f == nil {
		return nil
	}
	digest := fmt.Sprintf("%x", f.digest.Sum(nil))
	var files []File
	for _, fm := range f.formats {
		files = append(files, File{Path: fm.path, Write: func(w io.Writer) error {
			head, tail, err := fm.wrap(m, digest)
			if err != nil {
				return err
			}
			if _, err := w.Write(head); err != nil {
				return err
			}
			if err := fm.part.copyTo(w); err != nil {
				return err
			}
			if fm.n > 0 {
				io.WriteString(w, "\n")
			}
			_, err = w.Write(tail)
			return err
		}})
	}
	return files
}

// Remove removes the parts: after the files are written, or instead.
func (f *Formats) Remove() {
	if f == nil {
		return
	}
	for _, fm := range f.formats {
		if fm.part != nil {
			fm.part.remove()
		}
	}
}

// WriteFormats writes the formats of judged keys (one key, or a
// template's) with the run's other files, all or none.
func WriteFormats(paths FormatPaths, m FormatsMeta, keys []Judged, others ...File) error {
	f, err := NewFormats(paths)
	if err != nil {
		return err
	}
	defer f.Remove()
	for _, j := range keys {
		k, err := f.Render(j)
		if err != nil {
			return err
		}
		if err := f.Add(k); err != nil {
			return err
		}
	}
	return WriteFiles(append(others, f.Files(m)...)...)
}

// MetaOf is what the formats say of a run of one key, or of a template's
// keys.
func MetaOf(runs ...*Run) FormatsMeta {
	m := FormatsMeta{Verdict: "READY"}
	for i, r := range runs {
		if i == 0 || r.Start.Before(m.Start) {
			m.Start = r.Start
		}
		if r.End.After(m.End) {
			m.End = r.End
		}
		if r.Verdict != "READY" {
			m.Verdict = "NOT READY"
		}
		m.ToolVersion, m.Commit = r.ToolVersion, r.Commit
		if m.RunID == "" {
			m.RunID = r.RunID
		}
	}
	return m
}

// splitAt cuts a rendered document where its items go: before and after
// the empty array marker (`"results":[]`), which must occur once.
func splitAt(doc []byte, marker string) (head, tail []byte, err error) {
	if bytes.Count(doc, []byte(marker)) != 1 {
		return nil, nil, fmt.Errorf("internal error: %s is not once in the document", marker)
	}
	i := bytes.Index(doc, []byte(marker)) + len(marker) - 1 // before the "]"
	return doc[:i], doc[i:], nil
}

// compact marshals v as JSON without escaping <, > and & (key policies
// and remediation commands hold them).
func compact(v any) ([]byte, error) {
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(v); err != nil {
		return nil, err
	}
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), nil
}

// cmkcheckSpace is the namespace of the UUIDs cmkcheck derives (version 5).
var cmkcheckSpace = uuid.NewSHA1(uuid.NameSpaceURL, []byte("https://github.com/aep-cmk/cmkcheck"))

// uuidOf is the version 5 UUID of a thing named by parts: the same facts
// give the same UUID, so a run rendered again is the same document.
func uuidOf(parts ...string) string {
	var b bytes.Buffer
	for _, p := range parts {
		b.WriteString(p)
		b.WriteByte(0)
	}
	return uuid.NewSHA1(cmkcheckSpace, b.Bytes()).String()
}
