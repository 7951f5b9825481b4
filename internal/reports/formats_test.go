package reports

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/testkit/formatcheck"
)

func formatPaths(dir, name string) FormatPaths {
	base := filepath.Join(dir, name)
	return FormatPaths{SARIF: base + ".sarif", OCSF: base + ".ocsf.json", OSCAL: base + ".oscal.json"}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	require.NoError(t, json.Unmarshal(data, v), "%s", data)
}

func renderedRun(t *testing.T, run *Run) *Run {
	t.Helper()
	r, err := Render(run)
	require.NoError(t, err)
	return r.Run
}

// What each format says of each status: SARIF has a result for FAIL, WARN
// and ERROR only, at the level its weight in the verdict gives; OCSF a
// finding per check whose compliance status is never Pass unless the
// check passed; OSCAL a finding per requirement, "satisfied" only for a
// PASS.
func TestFormatsSayWhatEachStatusIs(t *testing.T) {
	run := renderedRun(t, sampleRun(t))
	dir := t.TempDir()
	paths := formatPaths(dir, "one")
	require.NoError(t, WriteFormats(paths, MetaOf(run), []Judged{{Run: run}}))

	status := map[string]checks.Result{}
	for _, r := range run.Results {
		status[r.ID] = r
	}
	var log struct {
		Runs []struct {
			Results []struct {
				RuleID, Level string
				Properties    map[string]string
			}
		}
	}
	readJSON(t, paths.SARIF, &log)
	levels := map[string]string{}
	for _, r := range log.Runs[0].Results {
		levels[r.RuleID] = r.Level
		assert.Equal(t, string(status[r.RuleID].Status), r.Properties["cmkcheck/status"])
	}
	assert.Equal(t, map[string]string{"CMK-CFG-5": "error", "CMK-LBL-3": "warning", "CMK-ADM-1": "error"}, levels,
		"a required FAIL and ERROR are errors, a WARN a warning; PASS and SKIP are no results")

	var findings []struct {
		StatusCode string `json:"status_code"`
		Compliance struct {
			Control  string `json:"control"`
			StatusID int    `json:"status_id"`
		} `json:"compliance"`
	}
	readJSON(t, paths.OCSF, &findings)
	ocsf := map[string]int{}
	for _, f := range findings {
		ocsf[f.Compliance.Control] = f.Compliance.StatusID
		assert.Equal(t, string(status[f.Compliance.Control].Status), f.StatusCode)
	}
	assert.Equal(t, map[string]int{"CMK-CFG-1": 1, "CMK-CFG-5": 3, "CMK-LBL-3": 2, "CMK-CFG-6": 99, "CMK-ADM-1": 0}, ocsf,
		"PASS, FAIL, WARN, SKIP (other), ERROR (unknown)")

	var ar struct {
		AR struct {
			Results []struct {
				Findings []struct {
					Title  string
					Target struct {
						TargetID string `json:"target-id"`
						Status   struct{ State, Reason string }
					}
				}
			}
		} `json:"assessment-results"`
	}
	readJSON(t, paths.OSCAL, &ar)
	require.Len(t, ar.AR.Results, 1)
	states := map[string]string{}
	for _, f := range ar.AR.Results[0].Findings {
		states[f.Target.TargetID] = f.Target.Status.State + " " + f.Target.Status.Reason
	}
	assert.Equal(t, map[string]string{
		"cmk-cfg-1_obj": "satisfied pass", "cmk-cfg-5_obj": "not-satisfied fail", "cmk-lbl-3_obj": "not-satisfied fail",
		"cmk-cfg-6_obj": "not-satisfied other", "cmk-adm-1_obj": "not-satisfied other",
	}, states)
}

// The same run rendered twice is the same document, byte for byte: the
// UUIDs are derived from the run, not drawn.
func TestFormatsAreReproducible(t *testing.T) {
	run := renderedRun(t, sampleRun(t))
	a, b := formatPaths(t.TempDir(), "a"), formatPaths(t.TempDir(), "b")
	require.NoError(t, WriteFormats(a, MetaOf(run), []Judged{{Run: run}}))
	require.NoError(t, WriteFormats(b, MetaOf(run), []Judged{{Run: run}}))
	for _, p := range [][2]string{{a.SARIF, b.SARIF}, {a.OCSF, b.OCSF}, {a.OSCAL, b.OSCAL}} {
		x, err := os.ReadFile(p[0])
		require.NoError(t, err)
		y, err := os.ReadFile(p[1])
		require.NoError(t, err)
		assert.Equal(t, string(x), string(y), p[0])
	}
}

// A run whose results file was not rendered has no digest to name: the
// formats refuse it, and write nothing.
func TestFormatsNeedTheResultsDigest(t *testing.T) {
	paths := formatPaths(t.TempDir(), "x")
	err := WriteFormats(paths, MetaOf(sampleRun(t)), []Judged{{Run: sampleRun(t)}})
	require.ErrorContains(t, err, "was not rendered")
	left, _ := filepath.Glob(filepath.Join(filepath.Dir(paths.SARIF), "*"))
	assert.Empty(t, left, "no file, no part")
}

// A fleet writes one file per format for all its keys, streamed as they
// finish: every judged key's items, and what could not be audited (a key,
// a region that could not be listed), never left out. The validators run
// on them when CMK_FORMAT_PYTHON names them.
func TestFleetFormats(t *testing.T) {
	dir := t.TempDir()
	paths := formatPaths(dir, "fleet-formats")
	x, err := NewIndex(dir, IndexMeta{RunID: "fleet-1", Start: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC), Target: keystate.TargetFacts{Kind: "embedded"},
		Selection: IndexSelection{All: true, Regions: []string{"us-east-1", "eu-west-1"}}, Formats: paths})
	require.NoError(t, err)
	sample, hostile := sampleRun(t), hostileRun(t)
	hostile.RunID = "hostile-run"
	key := func(seq int, name string, run *Run) IndexKey {
		k := IndexKey{Place: 0, Seq: seq, Account: "111122223333", Region: "us-east-1", Selected: name, Platform: "yes"}
		if run != nil {
			k.KeyARN, k.Verdict = run.KeyARN, run.Verdict
		} else {
			k.Error = "DescribeKey: AccessDeniedException"
		}
		return k
	}
	require.NoError(t, x.Place(IndexPlace{Place: 0, Account: "111122223333", Region: "us-east-1", Keys: 3}))
	require.NoError(t, x.Key(key(0, "k0", sample), sample))
	require.NoError(t, x.Key(key(1, "k1", hostile), hostile))
	require.NoError(t, x.Key(key(2, "k2", nil), nil))
	require.NoError(t, x.Place(IndexPlace{Place: 1, Account: "111122223333", Region: "eu-west-1", Error: "kms:ListKeys failed: AccessDeniedException"}))
	_, err = x.Close(IndexSummary{Verdict: "NOT READY", End: time.Date(2026, 1, 2, 3, 5, 0, 0, time.UTC)})
	require.NoError(t, err)

	var log struct {
		Runs []struct{ Results []struct{ RuleID string } }
	}
	readJSON(t, paths.SARIF, &log)
	var rules []string
	for _, r := range log.Runs[0].Results {
		rules = append(rules, r.RuleID)
	}
	assert.Equal(t, []string{"CMK-CFG-5", "CMK-LBL-3", "CMK-ADM-1", "CMK-CFG-5", "CMK-LBL-3", "CMK-ADM-1", notAudited, notAudited}, rules)
	var findings []json.RawMessage
	readJSON(t, paths.OCSF, &findings)
	assert.Len(t, findings, 2*len(sample.Results)+2)
	var ar struct {
		AR struct {
			Results []struct{ Title string }
		} `json:"assessment-results"`
	}
	readJSON(t, paths.OSCAL, &ar)
	assert.Len(t, ar.AR.Results, 4, "a result per key, and one for the region")
	parts, _ := filepath.Glob(filepath.Join(dir, ".*.part"))
	assert.Empty(t, parts, "the parts are removed")

	python := os.Getenv(formatcheck.Env)
	formatcheck.Ready(t, python)
	catalog := filepath.Join(dir, CatalogFile)
	f, err := os.Create(catalog)
	require.NoError(t, err)
	require.NoError(t, WriteOSCALCatalog(f, "test", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)))
	require.NoError(t, f.Close())
	formatcheck.Validate(t, python, "sarif", paths.SARIF)
	formatcheck.Validate(t, python, "ocsf", paths.OCSF)
	formatcheck.Validate(t, python, "oscal-results", "--catalog", catalog, paths.OSCAL)
}

// The cost of the formats in a fleet, per key: a key's Prepare and Add
// with and without them (go test -bench FleetKey -benchmem).
func BenchmarkFleetKey(b *testing.B) {
	for _, name := range []string{"index only", "with formats"} {
		b.Run(name, func(b *testing.B) {
			dir := b.TempDir()
			meta := IndexMeta{RunID: "bench", Start: time.Now(), Target: keystate.TargetFacts{Kind: "embedded"}}
			if name == "with formats" {
				meta.Formats = formatPaths(dir, "bench")
			}
			x, err := NewIndex(dir, meta)
			require.NoError(b, err)
			defer x.Abort()
			run := sampleRun(b)
			require.NoError(b, x.Place(IndexPlace{Place: 0, Account: "111122223333", Region: "us-east-1", Keys: b.N}))
			b.ResetTimer()
			for i := range b.N {
				k := IndexKey{Place: 0, Seq: i, Account: "111122223333", Region: "us-east-1", Selected: fmt.Sprint("k", i),
					KeyARN: fmt.Sprint("arn:aws:kms:us-east-1:111122223333:key/k", i), Verdict: run.Verdict}
				require.NoError(b, x.Key(k, run))
			}
		})
	}
}
