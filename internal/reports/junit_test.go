package reports

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// The reader's view of a JUnit document, independent of the writer's types.
type (
	readSuites struct {
		Tests    int         `xml:"tests,attr"`
		Failures int         `xml:"failures,attr"`
		Errors   int         `xml:"errors,attr"`
		Time     string      `xml:"time,attr"`
		Suites   []readSuite `xml:"testsuite"`
	}
	readSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Timestamp  string          `xml:"timestamp,attr"`
		Time       string          `xml:"time,attr"`
		Properties []junitProperty `xml:"properties>property"`
		Cases      []readCase      `xml:"testcase"`
	}
	readCase struct {
		Name      string     `xml:"name,attr"`
		Classname string     `xml:"classname,attr"`
		Time      string     `xml:"time,attr"`
		Failure   *readIssue `xml:"failure"`
		Error     *readIssue `xml:"error"`
		Skipped   *readIssue `xml:"skipped"`
		SystemOut string     `xml:"system-out"`
	}
	readIssue struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

func junitOf(t *testing.T, runs ...*Run) []byte {
	t.Helper()
	withDigests := make([]*Run, len(runs))
	for i, run := range runs {
		withDigests[i] = run
		if run.ResultsSHA256 == "" {
			withDigests[i] = rendered(t, run)
		}
	}
	var b bytes.Buffer
	require.NoError(t, WriteJUnit(&b, withDigests...))
	return b.Bytes()
}

// The JUnit and Markdown reports name the results file rendered once
// (Render); they never build it again to learn its digest, so a run
// whose results file was not rendered is refused.
func TestReportsNeedTheRenderedResults(t *testing.T) {
	run := sampleRun(t)
	var b bytes.Buffer
	assert.ErrorContains(t, WriteJUnit(&b, run), "was not rendered")
	assert.ErrorContains(t, WriteMarkdown(&b, run), "was not rendered")
	r, err := Render(run)
	require.NoError(t, err)
	assert.Equal(t, sha256Hex(r.Results), r.Run.ResultsSHA256)
	assert.Empty(t, run.ResultsSHA256, "the caller's run is left as it was")
	require.NoError(t, WriteJUnit(&b, r.Run))
	assert.Contains(t, b.String(), r.Run.ResultsSHA256)
}

// TestJUnitParsesBack always runs: the document parses with encoding/xml,
// the counts match the results, and each test case carries its result.
func TestJUnitParsesBack(t *testing.T) {
	for name, run := range map[string]*Run{"sample": sampleRun(t), "hostile": hostileRun(t)} {
		t.Run(name, func(t *testing.T) {
			out := junitOf(t, run)
			assertXMLChars(t, out)
			assert.NotContains(t, string(out), "<script>")
			assert.NotContains(t, string(out), "]]>")

			var doc readSuites
			require.NoError(t, xml.Unmarshal(out, &doc))
			assert.Equal(t, 5, doc.Tests)
			assert.Equal(t, 1, doc.Failures)
			assert.Equal(t, 1, doc.Errors)
			require.Len(t, doc.Suites, 1)
			s := doc.Suites[0]
			assert.Equal(t, xmlSafe(run.KeyARN), s.Name)
			assert.Equal(t, []int{5, 1, 1, 2}, []int{s.Tests, s.Failures, s.Errors, s.Skipped})
			assert.Equal(t, "2025-03-14T09:26:53", s.Timestamp)
			assert.Equal(t, "2.500", s.Time)
			props := map[string]string{}
			for _, p := range s.Properties {
				props[p.Name] = p.Value
			}
			assert.Equal(t, "NOT READY", props["verdict"])
			assert.Equal(t, "111122223333", props["account"])
			assert.Equal(t, "us-east-1", props["region"])
			assert.Equal(t, "snapshot", props["target"])
			assert.Equal(t, "v0.1.0", props["tool_version"])
			assert.Equal(t, run.Commit, props["commit"])
			assert.Equal(t, run.Profile.SHA256, props["profile_sha256"])

			require.Len(t, s.Cases, 5)
			for i, c := range s.Cases {
				res := run.Results[i]
				assert.Equal(t, xmlSafe(res.ID+": "+res.Title), c.Name)
				assert.Equal(t, xmlSafe(res.Section), c.Classname)
				assert.Equal(t, "0", c.Time)
				var rec map[string]any
				require.NoError(t, json.Unmarshal([]byte(c.SystemOut), &rec), "system-out is the result as JSON")
				assert.Equal(t, res.ID, rec["id"])
				assert.Equal(t, string(res.Status), rec["status"])
				assert.Equal(t, string(res.Severity), rec["severity"])
				assert.Len(t, rec["evidence"], len(res.Evidence), "the evidence by reference, an excerpt each")

				switch res.Status {
				case checks.Pass:
					assert.Nil(t, c.Failure)
					assert.Nil(t, c.Error)
					assert.Nil(t, c.Skipped)
				case checks.Fail:
					require.NotNil(t, c.Failure)
					assert.Equal(t, "FAIL", c.Failure.Type)
					assert.Equal(t, xmlSafe(res.Observed), c.Failure.Message)
					assert.Contains(t, c.Failure.Text, "Expected: ")
					assert.Contains(t, c.Failure.Text, "Remediation (AWS CLI): ")
					assert.Equal(t, strings.ReplaceAll(xmlSafe(details(res)), "\r\n", "\n"), strings.ReplaceAll(c.Failure.Text, "\r\n", "\n"), "the text comes back whole")
				case checks.Error:
					require.NotNil(t, c.Error)
					assert.Equal(t, "ERROR", c.Error.Type)
				case checks.Skip:
					require.NotNil(t, c.Skipped)
					assert.Equal(t, xmlSafe("SKIP: "+res.Observed), c.Skipped.Message)
				case checks.Warn:
					require.NotNil(t, c.Skipped)
					assert.Equal(t, xmlSafe("WARN: "+res.Observed), c.Skipped.Message)
				}
			}
		})
	}
}

func TestJUnitSeveralRuns(t *testing.T) {
	pass := sampleRun(t)
	pass.KeyARN = strings.Replace(keyARN, "1234abcd", "5678efgh", 1)
	pass.Results = pass.Results[:1]
	pass.Verdict = checks.Ready
	pass.NotEvaluated = checks.NotEvaluated(pass.Results)
	var doc readSuites
	require.NoError(t, xml.Unmarshal(junitOf(t, sampleRun(t), pass), &doc))
	require.Len(t, doc.Suites, 2)
	assert.Equal(t, []int{6, 1, 1}, []int{doc.Tests, doc.Failures, doc.Errors})
	assert.Equal(t, "5.000", doc.Time)
	assert.Equal(t, pass.KeyARN, doc.Suites[1].Name)

	var empty readSuites
	require.NoError(t, xml.Unmarshal(junitOf(t), &empty), "no runs is an empty, valid document")
	assert.Empty(t, empty.Suites)
}

// TestJUnitSchema validates against junit-10.xsd, the schema of Jenkins'
// xunit plugin (which pytest also checks its own JUnit output against). It
// is not copied into this repository: scripts/junit-schema.sh takes it from
// the pytest source distribution on PyPI and prints its path, which
// CMK_JUNIT_XSD names (make test does both).
func TestJUnitSchema(t *testing.T) {
	xmllint, err := exec.LookPath("xmllint")
	if err != nil {
		t.Skip("xmllint is not installed (Debian: apt-get install libxml2-utils), so the schema check is skipped; TestJUnitParsesBack still checked the document")
	}
	schema := os.Getenv("CMK_JUNIT_XSD")
	if schema == "" {
		t.Skip("CMK_JUNIT_XSD is not set (run scripts/junit-schema.sh, or make test), so the schema check is skipped; TestJUnitParsesBack still checked the document")
	}
	_, err = os.Stat(schema)
	require.NoError(t, err, "CMK_JUNIT_XSD names a schema that is not there")
	for name, out := range map[string][]byte{
		"sample":       junitOf(t, sampleRun(t)),
		"hostile":      junitOf(t, hostileRun(t)),
		"several runs": junitOf(t, sampleRun(t), hostileRun(t)),
	} {
		t.Run(name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "junit.xml")
			require.NoError(t, os.WriteFile(path, out, 0o644))
			msg, err := exec.Command(xmllint, "--noout", "--schema", schema, path).CombinedOutput()
			assert.NoError(t, err, "xmllint: %s", msg)
		})
	}
	// The check can fail: properties inside a testcase are not in the schema.
	bad := strings.Replace(string(junitOf(t, sampleRun(t))), "<system-out>", "<properties></properties><system-out>", 1)
	path := filepath.Join(t.TempDir(), "bad.xml")
	require.NoError(t, os.WriteFile(path, []byte(bad), 0o644))
	_, err = exec.Command(xmllint, "--noout", "--schema", schema, path).CombinedOutput()
	assert.Error(t, err, "xmllint must reject a document outside the schema")
}

func TestXMLSafe(t *testing.T) {
	assert.Equal(t, "a\tb\nc\rd", xmlSafe("a\tb\nc\rd"))
	assert.Equal(t, "\uFFFD\uFFFD\uFFFD", xmlSafe("\x00\x1b\xff"))
	assert.Equal(t, "x\uFFFDy", xmlSafe("x\uFFFEy"))
	assert.Equal(t, "😀 é", xmlSafe("😀 é"))
}

// assertXMLChars checks every character is one XML 1.0 allows.
func assertXMLChars(t *testing.T, b []byte) {
	t.Helper()
	require.True(t, utf8.Valid(b), "valid UTF-8")
	for _, r := range string(b) {
		ok := r == '\t' || r == '\n' || r == '\r' || r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000
		require.True(t, ok, "character %U is not allowed in XML 1.0", r)
	}
}

// The JUnit report shows a result's evidence by reference, with the
// member's sha256 and the value pointed at, cut short: never the answer
// again.
func TestJUnitEvidenceByReference(t *testing.T) {
	run := sampleRun(t)
	out := string(junitOf(t, run))
	digests, err := SnapshotDigests(run.Snapshot)
	require.NoError(t, err)
	assert.Contains(t, out, `"pointer": "/KeyMetadata/KeyState"`)
	assert.Contains(t, out, `"excerpt": "\"PendingDeletion\""`)
	assert.Contains(t, out, `"sha256": "`+digests["DescribeKey"]+`"`)
	assert.NotContains(t, out, `"AWSAccountId": "111122223333"`, "the answer itself is the results file's")

	long := hostileRun(t)
	long.Results = long.Results[:1]
	long.NotEvaluated, long.Verdict = nil, ""
	x := evidenceOf(long).excerpts([]checks.EvidenceRef{{Member: "GetKeyPolicy"}, {Member: "DescribeKey", Pointer: "/Nowhere"}, {Member: "Absent"}})
	assert.LessOrEqual(t, len(x[0].Value), excerptMax+40, "cut short")
	assert.Contains(t, x[0].Value, "bytes in all")
	assert.Equal(t, "(the pointer names nothing in the member)", x[1].Value)
	assert.Equal(t, "(not in the results file's snapshot)", x[2].Value)
}
