package reports

import (
	"bufio"
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// The index of a fleet run: one results file and Markdown report per key,
// written as the key finishes, and over them one Markdown index, one JSON
// index and one JUnit file (a testsuite per key). Nothing of a finished
// key is kept in memory but its index row, and that only until the rows
// before it are written: the index lists keys in the order they were
// selected (account, region, then the listing's order), whatever order
// they finished in. The JUnit suites are written as keys finish.

// IndexMeta says what the fleet run was.
type IndexMeta struct {
	RunID       string               `json:"run_id"`
	Start       time.Time            `json:"start"`
	ToolVersion string               `json:"tool_version"`
	Commit      string               `json:"commit"`
	Target      keystate.TargetFacts `json:"target"` // Kind and Endpoint only
	Profile     ProfileRecord        `json:"profile"`
	Selection   IndexSelection       `json:"selection"`
	// Shard is set in a shard's index (--shard K/N); Merged in the index
	// cmkcheck merge made of the shards'.
	Shard  *IndexShard  `json:"shard,omitempty"`
	Merged *IndexMerged `json:"merged,omitempty"`
	// Formats are the SARIF, OCSF and OSCAL files of the whole fleet,
	// written with the index; not part of it.
	Formats FormatPaths `json:"-"`
}

// IndexShard says which part of a split run an index covers.
type IndexShard struct {
	K int `json:"k"`
	N int `json:"n"`
	// Plan is the whole run's accounts x regions ("account/region", in the
	// run's order), the same in every shard; Owns are those this shard
	// audited (the split gives each to one shard).
	Plan []string `json:"plan"`
	Owns []string `json:"owns"`
}

// IndexMerged says which shards' indexes a merged index joins.
type IndexMerged struct {
	N      int           `json:"n"`
	Shards []MergedShard `json:"shards"` // those read, by K
}

// MergedShard is one shard's index as merge read it.
type MergedShard struct {
	K       int       `json:"k"`
	Dir     string    `json:"dir"`
	RunID   string    `json:"run_id"`
	Start   time.Time `json:"start"`
	End     time.Time `json:"end"`
	Verdict string    `json:"verdict"` // the shard's own, over its keys only
}

// IndexSelection is the run's selection, as the user gave it.
type IndexSelection struct {
	All          bool     `json:"all,omitempty"`
	KeysFile     string   `json:"keys_file,omitempty"`
	Keys         int      `json:"keys,omitempty"` // lines of the keys file
	Regions      []string `json:"regions"`
	Accounts     []string `json:"accounts,omitempty"`
	Organization bool     `json:"organization,omitempty"`
	RoleTemplate string   `json:"role_arn_template,omitempty"`
	PlatformOnly bool     `json:"platform_keys_only,omitempty"`
}

// IndexListing is one region-wide list answer: pages, items, and the
// SHA-256 of each page as the service sent it.
type IndexListing struct {
	Operation string   `json:"operation"`
	Pages     int      `json:"pages"`
	Items     int      `json:"items"`
	SHA256    []string `json:"sha256"`
}

// IndexPlace is one account and region of the run: how it was reached and
// listed, how many keys were selected there, or why it could not be.
type IndexPlace struct {
	Place    int            `json:"-"` // position in the run's order
	Account  string         `json:"account"`
	Region   string         `json:"region"`
	Role     string         `json:"role,omitempty"`
	Keys     int            `json:"keys"` // keys selected here (audited, left out or skipped)
	Listings []IndexListing `json:"listings"`
	// AWSManaged are the keys --all found here that AWS manages: not
	// customer managed keys, so not audited.
	AWSManaged []string `json:"aws_managed,omitempty"`
	Error      string   `json:"error,omitempty"` // could not be reached or listed: an ERROR entry
	Note       string   `json:"note,omitempty"`  // not audited on purpose (a suspended account)
}

// IndexKey is one key's row.
type IndexKey struct {
	Place    int      `json:"-"`
	Seq      int      `json:"-"` // position within the place
	Account  string   `json:"account"`
	Region   string   `json:"region"`
	Selected string   `json:"selected"` // as the selection named it
	KeyARN   string   `json:"key_arn,omitempty"`
	Alias    string   `json:"alias,omitempty"`
	Platform string   `json:"platform"` // yes, no, unknown
	Verdict  string   `json:"verdict"`  // READY, NOT READY, or ERROR when there is no run
	Failed   []string `json:"failed"`   // IDs that are FAIL or ERROR
	Error    string   `json:"error,omitempty"`
	RunID    string   `json:"run_id,omitempty"`
	Results  string   `json:"results,omitempty"` // paths relative to the index
	Markdown string   `json:"markdown,omitempty"`
	// ResultsSHA256 is the SHA-256 of the results file, as the key's
	// Markdown report and testsuite name it.
	ResultsSHA256 string `json:"results_sha256,omitempty"`
	// LeftOut: audited, but not the platform's key, and the run keeps only
	// those; no report is written for it.
	LeftOut bool `json:"left_out,omitempty"`
	// Skipped: an AWS managed key; nothing was judged.
	skipped bool
}

// IndexSummary closes the index: the run's verdict and counts.
type IndexSummary struct {
	Verdict          string    `json:"verdict"` // READY or NOT READY, by the fleet's rule
	End              time.Time `json:"end"`
	Places           int       `json:"places"`
	PlaceErrors      int       `json:"place_errors"`
	Keys             int       `json:"keys"` // audited and reported
	Ready            int       `json:"ready"`
	NotReady         int       `json:"not_ready"` // errors included
	KeyErrors        int       `json:"key_errors"`
	Platform         int       `json:"platform_keys"`
	PlatformUnknown  int       `json:"platform_unknown"`
	PlatformNotReady int       `json:"platform_not_ready"`
	LeftOut          int       `json:"left_out"`
	AWSManaged       int       `json:"aws_managed"`
	Rule             string    `json:"rule"`    // how the verdict was reached
	Regions          []string  `json:"regions"` // the regions audited
}

// IndexPaths are the index files.
type IndexPaths struct {
	Markdown, JSON, JUnit string
}

// Index writes a fleet run's reports into a directory.
type Index struct {
	dir  string
	meta IndexMeta

	keysMD, placesMD, keysJSON, placesJSON, leftJSON, suites *part
	nKeysJSON, nPlacesJSON, nLeftJSON                        int
	junitTests, junitFailures, junitErrors                   int
	junitTime                                                float64

	// the order: the next place to write, the next key in it, and what
	// came early
	next, nextSeq int
	headerDone    bool // the place's ERROR row, if any, is written
	places        map[int]IndexPlace
	early         map[[2]int]IndexKey
	placesSeen    int

	formats *Formats // nil: none asked for
}

// part is a temporary file an index section is streamed into.
type part struct {
	f *os.File
	w *bufio.Writer
}

func newPart(dir, name string) (*part, error) {
	f, err := os.CreateTemp(dir, "."+name+"-*.part")
	if err != nil {
		return nil, fmt.Errorf("fleet index: %w", err)
	}
	return &part{f: f, w: bufio.NewWriterSize(f, 64<<10)}, nil
}

func (p *part) copyTo(w io.Writer) error {
	if err := p.w.Flush(); err != nil {
		return err
	}
	if _, err := p.f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	_, err := io.Copy(w, p.f)
	return err
}

func (p *part) remove() {
	p.f.Close()
	os.Remove(p.f.Name())
}

// IndexName is the base name of the index files.
const IndexName = "fleet"

// NewIndex starts the index of a fleet run in dir.
func NewIndex(dir string, meta IndexMeta) (*Index, error) {
	if meta.RunID == "" {
		return nil, errors.New("fleet index: run_id is missing")
	}
	if meta.Start.IsZero() {
		// An index that says the run began in year 1 misleads its reader.
		return nil, errors.New("fleet index: the run's start time is missing")
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("fleet index: create report directory: %w", err)
	}
	x := &Index{dir: dir, meta: meta, places: map[int]IndexPlace{}, early: map[[2]int]IndexKey{}}
	var err error
	if x.formats, err = NewFormats(meta.Formats); err != nil {
		return nil, fmt.Errorf("fleet index: %w", err)
	}
	for _, p := range []struct {
		to   **part
		name string
	}{{&x.keysMD, "keys.md"}, {&x.placesMD, "places.md"}, {&x.keysJSON, "keys.json"}, {&x.placesJSON, "places.json"},
		{&x.leftJSON, "left.json"}, {&x.suites, "suites.xml"}} {
		part, err := newPart(dir, p.name)
		if err != nil {
			x.removeParts()
			return nil, err
		}
		*p.to = part
	}
	return x, nil
}

func (x *Index) removeParts() {
	x.formats.Remove()
	for _, p := range []*part{x.keysMD, x.placesMD, x.keysJSON, x.placesJSON, x.leftJSON, x.suites} {
		if p != nil {
			p.remove()
		}
	}
}

// unsafeName keeps path components to what key IDs, accounts and regions
// are made of; anything else (a hostile alias given on a keys file line)
// becomes "_".
var unsafeName = regexp.MustCompile(`[^a-zA-Z0-9._-]`)

// KeyFiles are the paths (relative to the index directory) of a key's
// reports; name is the key ID, or the selection's text when the key is
// unknown.
func KeyFiles(account, region, name string) (results, markdown string) {
	base := unsafeName.ReplaceAllString(name, "_")
	if base == "" || base == "." || base == ".." {
		base = "_"
	}
	dir := filepath.Join("keys", unsafeName.ReplaceAllString(orDash(account), "_"), unsafeName.ReplaceAllString(orDash(region), "_"))
	return filepath.Join(dir, base+".results.json"), filepath.Join(dir, base+".md")
}

func orDash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}

// Place records how one account and region went. Every place of the run
// must be given, its keys after it.
func (x *Index) Place(p IndexPlace) error {
	if _, dup := x.places[p.Place]; dup || p.Place < x.next {
		return fmt.Errorf("fleet index: place %d (%s %s) given twice", p.Place, p.Account, p.Region)
	}
	if p.Listings == nil {
		p.Listings = []IndexListing{}
	}
	x.places[p.Place] = p
	x.placesSeen++
	if p.Error != "" {
		x.junitErrors++
		x.junitTests++
		if err := x.writeSuite(listingSuite(p, x.meta.Start)); err != nil {
			return err
		}
		items, err := x.formats.RenderUnaudited(Unaudited{Name: fmt.Sprintf("account %s, region %s", orDash(p.Account), orDash(p.Region)),
			Account: p.Account, Region: p.Region, Why: p.Error, When: x.meta.Start})
		if err != nil {
			return err
		}
		if items != nil {
			if err := x.formats.Add(items); err != nil {
				return err
			}
		}
	}
	return x.flush()
}

// PreparedKey is one key's reports, written, and its JUnit testsuite,
// rendered: what Add still has to put in order.
type PreparedKey struct {
	row                   IndexKey
	suite                 []byte
	tests, failures, errs int
	time                  float64
	items                 *KeyItems // the key's SARIF, OCSF and OSCAL items
}

// Prepare writes one audited key's results file (with the evidence and
// snapshot it was judged on, so `cmkcheck verify` judges it again) and
// Markdown report, and renders its JUnit testsuite. It touches no
// state of the index, so keys are prepared side by side (file creation is
// slow on some file systems); Add then records them one at a time. run is
// nil when the key could not be judged (k.Error says why).
func (x *Index) Prepare(k IndexKey, run *Run) (*PreparedKey, error) {
	if k.Failed == nil {
		k.Failed = []string{}
	}
	if run == nil {
		k.Verdict = "ERROR" // nothing was judged
	}
	pk := &PreparedKey{}
	var s junitSuite
	switch {
	case run != nil && !k.LeftOut:
		if err := x.writeKeyFiles(&k, run); err != nil {
			return nil, err
		}
		r, err := prepare(run)
		if err != nil {
			return nil, fmt.Errorf("fleet index: key %s: %w", k.Selected, err)
		}
		r.ResultsSHA256 = k.ResultsSHA256
		if s, err = fleetSuiteOf(r, k.Results); err != nil {
			return nil, fmt.Errorf("fleet index: key %s: %w", k.Selected, err)
		}
		if pk.items, err = x.formats.Render(Judged{Run: r}); err != nil {
			return nil, fmt.Errorf("fleet index: key %s: %w", k.Selected, err)
		}
		pk.time = duration(r)
	case run == nil:
		s = keyErrorSuite(k, x.meta.Start)
		name := k.KeyARN
		if name == "" {
			name = k.Selected
		}
		var err error
		if pk.items, err = x.formats.RenderUnaudited(Unaudited{Name: name, Account: k.Account, Region: k.Region, Why: k.Error, When: x.meta.Start}); err != nil {
			return nil, fmt.Errorf("fleet index: key %s: %w", k.Selected, err)
		}
	}
	if run == nil || !k.LeftOut {
		out, err := suiteXML(s)
		if err != nil {
			return nil, err
		}
		pk.suite, pk.tests, pk.failures, pk.errs = out, s.Tests, s.Failures, s.Errors
	}
	pk.row = k
	return pk, nil
}

// Add records a prepared key: its testsuite now, its row when its turn
// comes.
func (x *Index) Add(pk *PreparedKey) error {
	if pk == nil {
		return errors.New("fleet index: no prepared key")
	}
	if err := x.fresh(pk.row); err != nil {
		return err
	}
	if pk.suite != nil {
		x.junitTests += pk.tests
		x.junitFailures += pk.failures
		x.junitErrors += pk.errs
		x.junitTime += pk.time
		if _, err := x.suites.w.Write(pk.suite); err != nil {
			return err
		}
	}
	if pk.items != nil {
		if err := x.formats.Add(pk.items); err != nil {
			return err
		}
	}
	return x.queue(pk.row)
}

// Key is Prepare then Add.
func (x *Index) Key(k IndexKey, run *Run) error {
	pk, err := x.Prepare(k, run)
	if err != nil {
		return err
	}
	return x.Add(pk)
}

// AWSManaged records a key --all skipped as AWS managed (in its place's
// entry), so its place's order goes on.
func (x *Index) AWSManaged(place, seq int, keyID string) error {
	return x.queue(IndexKey{Place: place, Seq: seq, Selected: keyID, skipped: true})
}

func (x *Index) queue(k IndexKey) error {
	if err := x.fresh(k); err != nil {
		return err
	}
	x.early[[2]int{k.Place, k.Seq}] = k
	return x.flush()
}

// fresh refuses a key whose place and position were given already.
func (x *Index) fresh(k IndexKey) error {
	if _, dup := x.early[[2]int{k.Place, k.Seq}]; dup || k.Place < x.next || k.Place == x.next && k.Seq < x.nextSeq {
		return fmt.Errorf("fleet index: key %d of place %d given twice", k.Seq, k.Place)
	}
	return nil
}

// flush writes every row whose turn has come.
func (x *Index) flush() error {
	for {
		p, ok := x.places[x.next]
		if !ok {
			return nil
		}
		if !x.headerDone {
			if err := x.writePlaceError(p); err != nil {
				return err
			}
			x.headerDone = true
		}
		for x.nextSeq < p.Keys {
			k, ok := x.early[[2]int{x.next, x.nextSeq}]
			if !ok {
				return nil
			}
			delete(x.early, [2]int{x.next, x.nextSeq})
			if err := x.writeRow(&p, k); err != nil {
				return err
			}
			x.nextSeq++
		}
		if err := x.writePlace(p); err != nil {
			return err
		}
		delete(x.places, x.next)
		x.next, x.nextSeq, x.headerDone = x.next+1, 0, false
	}
}

func (x *Index) writeKeyFiles(k *IndexKey, run *Run) error {
	name := k.KeyARN
	if i := strings.LastIndex(name, "/"); i >= 0 {
		name = name[i+1:]
	}
	if name == "" {
		name = k.Selected
	}
	k.Results, k.Markdown = KeyFiles(k.Account, k.Region, name)
	// The report names the results file it goes with (as Write does).
	rendered, err := Render(run)
	if err != nil {
		return err
	}
	k.ResultsSHA256 = rendered.Run.ResultsSHA256
	var md bytes.Buffer
	if err := WriteMarkdown(&md, rendered.Run); err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Join(x.dir, filepath.Dir(k.Results)), 0o755); err != nil {
		return fmt.Errorf("fleet index: %w", err)
	}
	if err := WriteFiles(rendered.ResultsFile(filepath.Join(x.dir, k.Results)), bytesFile(filepath.Join(x.dir, k.Markdown), md.Bytes())); err != nil {
		return fmt.Errorf("fleet index: %w", err)
	}
	return nil
}

// fleetRecord is a test case's <system-out> in the fleet's JUnit file:
// what identifies the result and its evidence, which stays in the key's
// results file with the rest (expected, observed and the remediation are
// in the failure's text). With the evidence, 5,000 keys made a JUnit file
// of hundreds of MB.
type fleetRecord struct {
	ID             string            `json:"id"`
	Severity       checks.Severity   `json:"severity"`
	Status         checks.Status     `json:"status"`
	EvidenceSHA256 map[string]string `json:"evidence_sha256"`
	EvidenceDigest string            `json:"evidence_digest"`
	ResultsFile    string            `json:"results_file"`
}

// fleetSuiteOf is the key's testsuite as junitSuiteOf makes it (the same
// properties, cases and outcomes), each test case's <system-out> a compact
// fleetRecord.
func fleetSuiteOf(r *Run, resultsFile string) (junitSuite, error) {
	bare := *r
	bare.Results = nil
	s, err := junitSuiteOf(&bare) // the suite's name and properties
	if err != nil {
		return s, err
	}
	s.Tests = len(r.Results)
	s.Properties = append(s.Properties, junitProperty{Name: "results_file", Value: xmlSafe(filepath.ToSlash(resultsFile))})
	ev := evidenceOf(r)
	for _, res := range r.Results {
		rec := fleetRecord{ID: res.ID, Severity: res.Severity, Status: res.Status, EvidenceSHA256: map[string]string{},
			ResultsFile: filepath.ToSlash(resultsFile)}
		for _, ref := range res.Evidence {
			rec.EvidenceSHA256[ref.Member] = ev.digests[ref.Member]
		}
		rec.EvidenceDigest = manifestDigest(rec.EvidenceSHA256)
		out, err := json.Marshal(rec)
		if err != nil {
			return s, fmt.Errorf("result %s: %w", res.ID, err)
		}
		s.addCase(res, out)
	}
	return s, nil
}

// manifestDigest is one digest for the members a result was judged on: the
// sha256 of their sha256sum-style manifest ("<hex>  <name>\n" each, sorted).
func manifestDigest(digests map[string]string) string {
	var manifest strings.Builder
	for _, name := range sortedKeys(digests) {
		fmt.Fprintf(&manifest, "%s  %s\n", digests[name], name)
	}
	return sha256Hex([]byte(manifest.String()))
}

// suiteElement is a testsuite written on its own, outside <testsuites>.
type suiteElement struct {
	XMLName xml.Name `xml:"testsuite"`
	junitSuite
}

func (x *Index) writeSuite(s junitSuite) error {
	out, err := suiteXML(s)
	if err != nil {
		return err
	}
	_, err = x.suites.w.Write(out)
	return err
}

func suiteXML(s junitSuite) ([]byte, error) {
	out, err := xml.MarshalIndent(suiteElement{junitSuite: s}, "  ", "  ")
	if err != nil {
		return nil, fmt.Errorf("fleet junit: %w", err)
	}
	return append(out, '\n'), nil
}

// listingSuite is the JUnit testsuite of a place that could not be listed:
// one test, in error, so CI fails on it.
func listingSuite(p IndexPlace, start time.Time) junitSuite {
	name := fmt.Sprintf("listing %s %s", orDash(p.Account), orDash(p.Region))
	return junitSuite{Name: xmlSafe(name), Tests: 1, Errors: 1, Timestamp: start.UTC().Format("2006-01-02T15:04:05"), Time: "0",
		Properties: []junitProperty{{Name: "account", Value: xmlSafe(p.Account)}, {Name: "region", Value: xmlSafe(p.Region)}},
		Cases: []junitCase{{Name: xmlSafe(name), Classname: "fleet", Time: "0",
			Error: &junitIssue{Message: xmlSafe(p.Error), Type: string(checks.Error), Text: xmlText(p.Error)}}}}
}

// keyErrorSuite is the testsuite of a key that could not be judged.
func keyErrorSuite(k IndexKey, start time.Time) junitSuite {
	name := orDash(k.KeyARN)
	if k.KeyARN == "" {
		name = k.Selected
	}
	return junitSuite{Name: xmlSafe(name), Tests: 1, Errors: 1, Timestamp: start.UTC().Format("2006-01-02T15:04:05"), Time: "0",
		Properties: []junitProperty{{Name: "account", Value: xmlSafe(k.Account)}, {Name: "region", Value: xmlSafe(k.Region)}},
		Cases: []junitCase{{Name: xmlSafe("audit " + k.Selected), Classname: "fleet", Time: "0",
			Error: &junitIssue{Message: xmlSafe(k.Error), Type: string(checks.Error), Text: xmlText(k.Error)}}}}
}

// writePlaceError writes a place that could not be listed as a row of the
// key table too: an unlisted region is never just absent.
func (x *Index) writePlaceError(p IndexPlace) error {
	if p.Error == "" {
		return nil
	}
	_, err := fmt.Fprintf(x.keysMD.w, "| %s | %s | (not listed) | | | **ERROR** | %s | |\n",
		mdText(orDash(p.Account)), mdText(orDash(p.Region)), mdText(p.Error))
	return err
}

// writePlace writes the place's row and JSON entry, after its keys.
func (x *Index) writePlace(p IndexPlace) error {
	var pages []string
	for _, l := range p.Listings {
		pages = append(pages, fmt.Sprintf("%s %d page(s), %d item(s)", l.Operation, l.Pages, l.Items))
	}
	status := "listed"
	if p.Note != "" {
		status = "not audited: " + mdText(p.Note)
	}
	if p.Error != "" {
		status = "**ERROR**: " + mdText(p.Error)
	}
	fmt.Fprintf(x.placesMD.w, "| %s | %s | %s | %d | %d | %s | %s |\n", mdText(orDash(p.Account)), mdText(orDash(p.Region)),
		mdText(orDash(p.Role)), p.Keys, len(p.AWSManaged), mdText(orDash(strings.Join(pages, "; "))), status)
	return appendJSON(x.placesJSON, &x.nPlacesJSON, p)
}

func (x *Index) writeRow(p *IndexPlace, k IndexKey) error {
	switch {
	case k.skipped:
		p.AWSManaged = append(p.AWSManaged, k.Selected)
		return nil
	case k.LeftOut:
		return appendJSON(x.leftJSON, &x.nLeftJSON, k)
	}
	verdict := k.Verdict
	if verdict != checks.Ready {
		verdict = "**" + verdict + "**"
	}
	failed := mdText(strings.Join(k.Failed, ", "))
	if k.Error != "" {
		failed = mdText(k.Error)
	}
	link := ""
	if k.Markdown != "" {
		link = fmt.Sprintf("[report](%s)", filepath.ToSlash(k.Markdown))
	}
	key := k.KeyARN
	if key == "" {
		key = k.Selected
	}
	if _, err := fmt.Fprintf(x.keysMD.w, "| %s | %s | %s | %s | %s | %s | %s | %s |\n", mdText(k.Account), mdText(k.Region),
		mdText(orDash(k.Alias)), mdText(key), k.Platform, verdict, failed, link); err != nil {
		return err
	}
	return appendJSON(x.keysJSON, &x.nKeysJSON, k)
}

func appendJSON(p *part, n *int, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Errorf("fleet index: %w", err)
	}
	if *n > 0 {
		p.w.WriteString(",")
	}
	p.w.WriteString("\n    ")
	p.w.Write(b)
	*n++
	return nil
}

// SetShard records the part of a split run the index covers, known once
// the run has planned its accounts and regions.
func (x *Index) SetShard(s IndexShard) { x.meta.Shard = &s }

// Abort removes the index's parts without writing an index: for a run
// that stopped before it began.
func (x *Index) Abort() { x.removeParts() }

// Close writes the three index files and removes the parts. Places or
// keys still waiting for their turn (a run that ended early) are written
// in order after the others: nothing given to the index is left out.
func (x *Index) Close(sum IndexSummary) (IndexPaths, error) {
	defer x.removeParts()
	if err := x.drain(); err != nil {
		return IndexPaths{}, err
	}
	paths := IndexPaths{
		Markdown: filepath.Join(x.dir, IndexName+".md"),
		JSON:     filepath.Join(x.dir, IndexName+".json"),
		JUnit:    filepath.Join(x.dir, IndexName+".junit.xml"),
	}
	m := x.meta
	files := append([]File{
		{paths.Markdown, func(w io.Writer) error { return x.writeMarkdown(w, sum) }},
		{paths.JSON, func(w io.Writer) error { return x.writeJSON(w, sum) }},
		{paths.JUnit, x.writeJUnit},
	}, x.formats.Files(FormatsMeta{RunID: m.RunID, Start: m.Start, End: sum.End, ToolVersion: m.ToolVersion, Commit: m.Commit, Verdict: sum.Verdict})...)
	err := WriteFiles(files...)
	if err != nil {
		return IndexPaths{}, fmt.Errorf("fleet index: %w", err)
	}
	return paths, nil
}

// drain writes what is still waiting, in order, when a run ended before
// every place or key came.
func (x *Index) drain() error {
	for len(x.places) > 0 || len(x.early) > 0 {
		if _, ok := x.places[x.next]; !ok {
			next := -1
			for p := range x.places {
				if next < 0 || p < next {
					next = p
				}
			}
			for at := range x.early {
				if next < 0 || at[0] < next {
					next = at[0]
				}
			}
			if _, ok := x.places[next]; !ok {
				x.places[next] = IndexPlace{Place: next, Error: "the run ended before this place was listed", Listings: []IndexListing{}}
			}
			x.next, x.nextSeq = next, 0
		}
		p := x.places[x.next]
		var seqs []int
		for at := range x.early {
			if at[0] == x.next {
				seqs = append(seqs, at[1])
			}
		}
		slices.Sort(seqs)
		if len(seqs) > 0 && seqs[len(seqs)-1] >= p.Keys {
			p.Keys = seqs[len(seqs)-1] + 1
		}
		// A key that never came is a gap: its row is an ERROR.
		for s := x.nextSeq; s < p.Keys; s++ {
			if _, ok := x.early[[2]int{x.next, s}]; !ok {
				x.early[[2]int{x.next, s}] = IndexKey{Place: x.next, Seq: s, Account: p.Account, Region: p.Region,
					Selected: fmt.Sprintf("key %d of this place", s+1), Verdict: "ERROR", Failed: []string{},
					Error: "the run ended before this key was audited"}
			}
		}
		x.places[x.next] = p
		if err := x.flush(); err != nil {
			return err
		}
	}
	return nil
}

func (x *Index) writeMarkdown(w io.Writer, s IndexSummary) error {
	m := x.meta
	title := "Fleet audit"
	switch {
	case m.Shard != nil:
		title = fmt.Sprintf("Fleet audit, shard %d/%d", m.Shard.K, m.Shard.N)
	case m.Merged != nil:
		title = fmt.Sprintf("Fleet audit, %d shards merged", m.Merged.N)
	}
	fmt.Fprintf(w, "# %s: %s\n\n", title, s.Verdict)
	fmt.Fprintf(w, "%s\n\n", mdText(s.Rule))
	if sh := m.Shard; sh != nil {
		fmt.Fprintf(w, "This index is one shard's part of a run: its verdict covers its own keys only, and `cmkcheck merge` joins the %d shards' indexes into the run's index and verdict. ", sh.N)
		if len(sh.Owns) == 0 {
			fmt.Fprintf(w, "Shard %d/%d owns none of the run's %d account(s) x region(s): it audited nothing, and is never READY by itself.\n\n", sh.K, sh.N, len(sh.Plan))
		} else {
			fmt.Fprintf(w, "Shard %d/%d owns %d of the run's %d account(s) x region(s): %s.\n\n", sh.K, sh.N, len(sh.Owns), len(sh.Plan), mdText(strings.Join(sh.Owns, ", ")))
		}
	}
	if mg := m.Merged; mg != nil {
		var parts []string
		for _, sh := range mg.Shards {
			parts = append(parts, fmt.Sprintf("%d/%d run %s (%s, %s)", sh.K, mg.N, sh.RunID, sh.Dir, sh.Verdict))
		}
		fmt.Fprintf(w, "Merged by `cmkcheck merge` from the indexes of shard(s) %s; a shard that is missing or could not be read is an ERROR entry below.\n\n", mdText(strings.Join(parts, "; ")))
	}
	fmt.Fprintf(w, "- Run: %s, %s to %s\n", mdText(m.RunID), timeText(m.Start), timeText(s.End))
	fmt.Fprintf(w, "- Target: %s %s\n", mdText(m.Target.Kind), mdText(m.Target.Endpoint))
	fmt.Fprintf(w, "- Tool: %s, commit %s\n", mdText(m.ToolVersion), mdText(m.Commit))
	fmt.Fprintf(w, "- Profile: %s (sha256 %s)\n", orUnknown(m.Profile.Source), mdText(m.Profile.SHA256))
	sel := m.Selection
	what := "every customer managed key the caller can list"
	if !sel.All {
		what = fmt.Sprintf("the %d key(s) of %s", sel.Keys, orUnknown(sel.KeysFile))
	}
	regions := sel.Regions
	if len(regions) == 0 {
		regions = s.Regions // the default region
	}
	fmt.Fprintf(w, "- Selection: %s, in region(s) %s", what, mdText(strings.Join(regions, ", ")))
	switch {
	case sel.Organization:
		fmt.Fprintf(w, ", in the organization's active accounts")
	case len(sel.Accounts) > 0:
		fmt.Fprintf(w, ", in account(s) %s", mdText(strings.Join(sel.Accounts, ", ")))
	}
	if sel.RoleTemplate != "" {
		fmt.Fprintf(w, " as %s", mdText(sel.RoleTemplate))
	}
	if sel.PlatformOnly {
		fmt.Fprintf(w, "; only the platform's keys are reported")
	}
	fmt.Fprintf(w, "\n\n")
	fmt.Fprintf(w, "| Keys | READY | NOT READY | of which errors | Platform keys | of which NOT READY | Platform unknown | Left out (not the platform's) | AWS managed (not audited) | Places | Places in error |\n")
	fmt.Fprintf(w, "| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n")
	fmt.Fprintf(w, "| %d | %d | %d | %d | %d | %d | %d | %d | %d | %d | %d |\n\n", s.Keys, s.Ready, s.NotReady, s.KeyErrors,
		s.Platform, s.PlatformNotReady, s.PlatformUnknown, s.LeftOut, s.AWSManaged, s.Places, s.PlaceErrors)
	fmt.Fprintf(w, "## Keys\n\n")
	fmt.Fprintf(w, "| Account | Region | Alias | Key | Platform key | Verdict | Failed (FAIL, ERROR) | Report |\n")
	fmt.Fprintf(w, "| --- | --- | --- | --- | --- | --- | --- | --- |\n")
	if err := x.keysMD.copyTo(w); err != nil {
		return err
	}
	fmt.Fprintf(w, "\n## Accounts and regions\n\n")
	fmt.Fprintf(w, "| Account | Region | Role | Keys selected | AWS managed | Listed | Status |\n")
	fmt.Fprintf(w, "| --- | --- | --- | --- | --- | --- | --- |\n")
	if err := x.placesMD.copyTo(w); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "\nEach key's results file holds every raw answer it was judged on, with its SHA-256, and the snapshot they came from: `cmkcheck verify --results FILE` judges it again.\n")
	return err
}

func (x *Index) writeJSON(w io.Writer, s IndexSummary) error {
	head, err := json.MarshalIndent(struct {
		IndexMeta
		Summary IndexSummary `json:"summary"`
	}{x.meta, s}, "", "  ")
	if err != nil {
		return err
	}
	head = bytes.TrimSuffix(bytes.TrimSpace(head), []byte("}"))
	w.Write(head)
	for _, sec := range []struct {
		name string
		p    *part
		n    int
	}{{"places", x.placesJSON, x.nPlacesJSON}, {"keys", x.keysJSON, x.nKeysJSON}, {"left_out", x.leftJSON, x.nLeftJSON}} {
		fmt.Fprintf(w, ",\n  %q: [", sec.name)
		if err := sec.p.copyTo(w); err != nil {
			return err
		}
		if sec.n > 0 {
			io.WriteString(w, "\n  ")
		}
		io.WriteString(w, "]")
	}
	_, err = io.WriteString(w, "\n}\n")
	return err
}

func (x *Index) writeJUnit(w io.Writer) error {
	io.WriteString(w, xml.Header)
	fmt.Fprintf(w, "<testsuites name=\"cmkcheck fleet %s\" tests=\"%d\" failures=\"%d\" errors=\"%d\" time=\"%s\">\n",
		xmlAttr(x.meta.RunID), x.junitTests, x.junitFailures, x.junitErrors, seconds(x.junitTime))
	if err := x.suites.copyTo(w); err != nil {
		return err
	}
	_, err := io.WriteString(w, "</testsuites>\n")
	return err
}

func xmlAttr(s string) string {
	var b strings.Builder
	xml.EscapeText(&b, []byte(xmlSafe(s)))
	return strings.ReplaceAll(b.String(), `"`, "&#34;")
}

// ReadIndex reads a fleet's JSON index back (tests, and whoever checks a
// run's reports).
func ReadIndex(r io.Reader) (*FleetIndex, error) {
	var x FleetIndex
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	if err := dec.Decode(&x); err != nil {
		return nil, fmt.Errorf("read fleet index: %w", explainJSON(err))
	}
	return &x, nil
}

// FleetIndex is the JSON index as a whole.
type FleetIndex struct {
	IndexMeta
	Summary IndexSummary `json:"summary"`
	Places  []IndexPlace `json:"places"`
	Keys    []IndexKey   `json:"keys"`
	LeftOut []IndexKey   `json:"left_out"`
}
