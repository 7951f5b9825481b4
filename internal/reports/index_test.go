package reports

import (
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

func newTestIndex(t *testing.T) (*Index, string) {
	t.Helper()
	dir := t.TempDir()
	x, err := NewIndex(dir, IndexMeta{RunID: "fleet-1", Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Target: keystate.TargetFacts{Kind: "embedded"},
		Selection: IndexSelection{All: true, Regions: []string{"us-east-1", "eu-west-1"}}})
	require.NoError(t, err)
	return x, dir
}

func readTestIndex(t *testing.T, path string) *FleetIndex {
	t.Helper()
	f, err := os.Open(path)
	require.NoError(t, err)
	defer f.Close()
	idx, err := ReadIndex(f)
	require.NoError(t, err)
	return idx
}

// Keys come in the order they finish; the index lists them in the order
// they were selected (place, then position), places that failed as ERROR
// rows among them, and keeps nothing else waiting.
func TestIndexOrdersRowsAsSelected(t *testing.T) {
	x, dir := newTestIndex(t)
	run := sampleRun(t)
	key := func(place, seq int, name string) IndexKey {
		return IndexKey{Place: place, Seq: seq, Account: "111122223333", Region: "us-east-1", Selected: name, KeyARN: "arn:aws:kms:us-east-1:111122223333:key/" + name,
			Platform: "yes", Verdict: run.Verdict}
	}
	require.NoError(t, x.Key(key(0, 1, "k01"), run))
	require.NoError(t, x.Place(IndexPlace{Place: 1, Account: "111122223333", Region: "eu-west-1", Error: "kms:ListKeys failed: AccessDeniedException"}))
	require.NoError(t, x.Key(key(0, 2, "k02"), run))
	require.NoError(t, x.AWSManaged(0, 3, "aws-managed-1"))
	require.NoError(t, x.Place(IndexPlace{Place: 0, Account: "111122223333", Region: "us-east-1", Keys: 4}))
	assert.Len(t, x.early, 3, "rows wait for the rows before them")
	require.NoError(t, x.Key(key(0, 0, "k00"), nil))
	assert.Empty(t, x.early, "everything is written once its turn came")
	require.Error(t, x.Key(key(0, 0, "k00"), nil), "a key given twice is refused")

	paths, err := x.Close(IndexSummary{Verdict: "NOT READY", Rule: "NOT READY: 1 account/region entries could not be listed", Keys: 3, PlaceErrors: 1, Places: 2})
	require.NoError(t, err)
	idx := readTestIndex(t, paths.JSON)
	var order []string
	for _, k := range idx.Keys {
		order = append(order, k.Selected)
	}
	assert.Equal(t, []string{"k00", "k01", "k02"}, order)
	assert.Equal(t, "ERROR", idx.Keys[0].Verdict, "k00 had no run")
	require.Len(t, idx.Places, 2)
	assert.Equal(t, []string{"aws-managed-1"}, idx.Places[0].AWSManaged)
	assert.Contains(t, idx.Places[1].Error, "AccessDeniedException")
	assert.Equal(t, "NOT READY", idx.Summary.Verdict)

	md, err := os.ReadFile(paths.Markdown)
	require.NoError(t, err)
	table := string(md)[strings.Index(string(md), "## Keys"):strings.Index(string(md), "## Accounts")]
	rows := strings.Split(strings.TrimSpace(table), "\n")[4:]
	require.Len(t, rows, 4, "three keys and the unlisted region:\n%s", table)
	assert.Contains(t, rows[0], "k00")
	assert.Contains(t, rows[3], "eu-west-1 | (not listed)")
	assert.Contains(t, rows[3], "**ERROR**")

	for _, k := range idx.Keys[1:] {
		_, err := os.Stat(filepath.Join(dir, k.Results))
		assert.NoError(t, err, "%s has its results file", k.Selected)
	}
	res, err := os.ReadFile(filepath.Join(dir, idx.Keys[1].Results))
	require.NoError(t, err)
	assert.Equal(t, sha256Hex(res), idx.Keys[1].ResultsSHA256, "the index names the results file as the reports do")
	md1, err := os.ReadFile(filepath.Join(dir, idx.Keys[1].Markdown))
	require.NoError(t, err)
	assert.Contains(t, string(md1), idx.Keys[1].ResultsSHA256, "the key's report names its results file")

	var doc struct {
		Tests  int `xml:"tests,attr"`
		Errors int `xml:"errors,attr"`
		Suites []struct {
			Name  string `xml:"name,attr"`
			Tests int    `xml:"tests,attr"`
		} `xml:"testsuite"`
	}
	junit, err := os.ReadFile(paths.JUnit)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(junit, &doc), "the JUnit file parses")
	assert.Len(t, doc.Suites, 4, "a suite per key and one for the unlisted region")
	assert.False(t, strings.Contains(string(junit), `"evidence":`), "the evidence stays in the results files")
	if schema, xmllint := os.Getenv("CMK_JUNIT_XSD"), lookPath("xmllint"); schema != "" && xmllint != "" {
		msg, err := exec.Command(xmllint, "--noout", "--schema", schema, paths.JUnit).CombinedOutput()
		assert.NoError(t, err, "xmllint: %s", msg)
	}
}

func lookPath(name string) string {
	p, _ := exec.LookPath(name)
	return p
}

// A run that ended before every place or key came still lists every row
// it was told of, the missing ones as ERROR: nothing is left out.
func TestIndexCloseWritesWhatIsWaiting(t *testing.T) {
	x, _ := newTestIndex(t)
	run := sampleRun(t)
	require.NoError(t, x.Place(IndexPlace{Place: 0, Account: "111122223333", Region: "us-east-1", Keys: 3}))
	require.NoError(t, x.Key(IndexKey{Place: 0, Seq: 2, Selected: "late", Verdict: run.Verdict}, run))
	require.NoError(t, x.Key(IndexKey{Place: 2, Seq: 0, Selected: "elsewhere", Verdict: run.Verdict}, run))
	paths, err := x.Close(IndexSummary{Verdict: "NOT READY"})
	require.NoError(t, err)
	idx := readTestIndex(t, paths.JSON)
	var selected []string
	for _, k := range idx.Keys {
		selected = append(selected, k.Selected)
	}
	assert.Equal(t, []string{"key 1 of this place", "key 2 of this place", "late", "elsewhere"}, selected)
	assert.Contains(t, idx.Keys[0].Error, "ended before this key was audited")
	require.Len(t, idx.Places, 2)
	assert.Contains(t, idx.Places[1].Error, "ended before this place was listed")
}

// Hostile key data cannot break the index's table or escape its report
// directory.
func TestIndexEscapesKeyData(t *testing.T) {
	x, dir := newTestIndex(t)
	run := hostileRun(t)
	require.NoError(t, x.Place(IndexPlace{Place: 0, Account: "111122223333", Region: "us-east-1", Keys: 1}))
	require.NoError(t, x.Key(IndexKey{Place: 0, Seq: 0, Account: "111122223333", Region: "us-east-1", Selected: "../../etc/passwd",
		Alias: "alias/x | y\n# z", Verdict: run.Verdict}, run))
	paths, err := x.Close(IndexSummary{Verdict: run.Verdict})
	require.NoError(t, err)
	idx := readTestIndex(t, paths.JSON)
	assert.Equal(t, filepath.Join("keys", "111122223333", "us-east-1"), filepath.Dir(idx.Keys[0].Results), "the key's files stay in its place's directory")
	_, err = os.Stat(filepath.Join(dir, idx.Keys[0].Results))
	require.NoError(t, err)
	md, err := os.ReadFile(paths.Markdown)
	require.NoError(t, err)
	assert.Contains(t, string(md), `alias/x \| y<br># z`)
	junit, err := os.ReadFile(paths.JUnit)
	require.NoError(t, err)
	require.NoError(t, xml.Unmarshal(junit, new(struct{})), "hostile data leaves the JUnit file well formed")
}

// An index without the run's start is refused, and leaves no parts behind:
// its files would say the run began in year 1.
func TestIndexNeedsTheStart(t *testing.T) {
	dir := t.TempDir()
	_, err := NewIndex(dir, IndexMeta{RunID: "fleet-1", Target: keystate.TargetFacts{Kind: "embedded"}})
	require.Error(t, err)
	assert.Contains(t, err.Error(), "start time is missing")
	left, err := os.ReadDir(dir)
	require.NoError(t, err)
	assert.Empty(t, left)
}
