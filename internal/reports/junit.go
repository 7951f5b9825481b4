package reports

import (
	"encoding/xml"
	"fmt"
	"io"
	"strings"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// The JUnit document follows the Jenkins xunit-plugin junit-10.xsd (see
// TestJUnitSchema and scripts/junit-schema.sh). That schema allows <properties> on <testsuite> only, not on
// <testcase>, so each result's id, severity, status, section and evidence
// digest travel in its <system-out> JSON instead.

type junitSuites struct {
	XMLName  xml.Name     `xml:"testsuites"`
	Name     string       `xml:"name,attr"`
	Tests    int          `xml:"tests,attr"`
	Failures int          `xml:"failures,attr"`
	Errors   int          `xml:"errors,attr"`
	Time     string       `xml:"time,attr"`
	Suites   []junitSuite `xml:"testsuite"`
}

type junitSuite struct {
	Name       string          `xml:"name,attr"`
	Tests      int             `xml:"tests,attr"`
	Failures   int             `xml:"failures,attr"`
	Errors     int             `xml:"errors,attr"`
	Skipped    int             `xml:"skipped,attr"`
	Timestamp  string          `xml:"timestamp,attr"`
	Time       string          `xml:"time,attr"`
	Properties []junitProperty `xml:"properties>property"`
	Cases      []junitCase     `xml:"testcase"`
}

type junitProperty struct {
	Name  string `xml:"name,attr"`
	Value string `xml:"value,attr"`
}

type junitCase struct {
	Name      string      `xml:"name,attr"`
	Classname string      `xml:"classname,attr"`
	Time      string      `xml:"time,attr"`
	Failure   *junitIssue `xml:"failure"`
	Error     *junitIssue `xml:"error"`
	Skipped   *junitIssue `xml:"skipped"`
	SystemOut xmlBody     `xml:"system-out"`
}

type junitIssue struct {
	Message string `xml:"message,attr"`
	Type    string `xml:"type,attr,omitempty"`
	Text    string `xml:",innerxml"` // from xmlText
}

type xmlBody struct {
	Text string `xml:",innerxml"` // from xmlText
}

// junitRecord is the <system-out> of a test case: what identifies the
// result, what was expected and observed, and its evidence by reference
// with a short excerpt each. The title and section are the test case's
// name and class, the remediation is in the failure's text, and the
// answers are in the results file, whose sha256 the suite names.
type junitRecord struct {
	ID       string          `json:"id"`
	Severity checks.Severity `json:"severity"`
	Status   checks.Status   `json:"status"`
	Expected string          `json:"expected"`
	Observed string          `json:"observed"`
	Evidence []Excerpt       `json:"evidence"`
}

// WriteJUnit writes one <testsuite> per run (per key), one <testcase> per
// result. FAIL is a failure, ERROR an error, SKIP and WARN are skipped, so a
// CI job fails exactly on what is not met or not known.
func WriteJUnit(w io.Writer, runs ...*Run) error {
	doc := junitSuites{Name: "cmkcheck", Suites: []junitSuite{}}
	var total float64
	for _, run := range runs {
		r, err := prepare(run)
		if err != nil {
			return fmt.Errorf("junit report: %w", err)
		}
		s, err := junitSuiteOf(r)
		if err != nil {
			return fmt.Errorf("junit report: %w", err)
		}
		doc.Tests += s.Tests
		doc.Failures += s.Failures
		doc.Errors += s.Errors
		total += duration(r)
		doc.Suites = append(doc.Suites, s)
	}
	doc.Time = seconds(total)
	out, err := xml.MarshalIndent(doc, "", "  ")
	if err != nil {
		return fmt.Errorf("junit report: %w", err)
	}
	if _, err := io.WriteString(w, xml.Header+string(out)+"\n"); err != nil {
		return fmt.Errorf("write junit report: %w", err)
	}
	return nil
}

func junitSuiteOf(r *Run) (junitSuite, error) {
	digest, err := resultsDigest(r)
	if err != nil {
		return junitSuite{}, err
	}
	catalog := r.Catalog
	if catalog == nil {
		catalog = &CatalogRecord{}
	}
	name := r.KeyARN
	if name == "" {
		name = "(key ARN unknown)"
	}
	s := junitSuite{
		Name:      xmlSafe(name),
		Tests:     len(r.Results),
		Timestamp: r.Start.Format("2006-01-02T15:04:05"), // UTC, in the zone-less form Ant writes
		Time:      seconds(duration(r)),
	}
	for _, p := range [][2]string{
		{"verdict", r.Verdict},
		// What the verdict does not cover: required checks that were SKIP.
		{"not_evaluated", checks.OmissionsText(r.NotEvaluated)},
		{"verdict_line", checks.VerdictLine(r.Verdict, r.NotEvaluated)},
		{"run_id", r.RunID},
		{"key_arn", r.KeyARN},
		{"account", r.Account},
		{"region", r.Region},
		{"target", r.Target.Kind},
		{"target_endpoint", r.Target.Endpoint},
		{"caller", r.Caller},
		{"start", timeText(r.Start)},
		{"end", timeText(r.End)},
		{"tool_version", r.ToolVersion},
		{"commit", r.Commit},
		{"profile_source", r.Profile.Source},
		{"profile_sha256", r.Profile.SHA256},
		{"catalog_version", catalog.Version},
		{"catalog_sha256", catalog.SHA256},
		{"results_sha256", digest},
	} {
		s.Properties = append(s.Properties, junitProperty{Name: p[0], Value: xmlSafe(p[1])})
	}
	ev := evidenceOf(r)
	for _, res := range r.Results {
		out, err := encodeIndent(junitRecord{ID: res.ID, Severity: res.Severity, Status: res.Status,
			Expected: res.Expected, Observed: res.Observed, Evidence: ev.excerpts(res.Evidence)})
		if err != nil {
			return s, fmt.Errorf("result %s: %w", res.ID, err)
		}
		s.addCase(res, out)
	}
	return s, nil
}

// addCase adds one result as a testcase, its record as system-out, and
// counts it: FAIL a failure, ERROR an error, WARN and SKIP skipped.
func (s *junitSuite) addCase(res checks.Result, record []byte) {
	c := junitCase{
		Name:      xmlSafe(res.ID + ": " + res.Title),
		Classname: xmlSafe(res.Section),
		Time:      "0",
		SystemOut: xmlBody{xmlText(string(record))},
	}
	switch res.Status {
	case checks.Fail:
		s.Failures++
		c.Failure = &junitIssue{Message: xmlSafe(res.Observed), Type: string(checks.Fail), Text: xmlText(details(res))}
	case checks.Error:
		s.Errors++
		c.Error = &junitIssue{Message: xmlSafe(res.Observed), Type: string(checks.Error), Text: xmlText(details(res))}
	case checks.Skip:
		s.Skipped++
		c.Skipped = &junitIssue{Message: xmlSafe("SKIP: " + res.Observed)}
	case checks.Warn:
		s.Skipped++
		c.Skipped = &junitIssue{Message: xmlSafe("WARN: " + res.Observed), Text: xmlText(details(res))}
	}
	s.Cases = append(s.Cases, c)
}

// details is the plain-text body of a finding.
func details(res checks.Result) string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s, %s)\n", res.ID, res.Severity, res.Status)
	fmt.Fprintf(&b, "Expected: %s\nObserved: %s\n", res.Expected, res.Observed)
	if res.Remediation.Console != "" {
		fmt.Fprintf(&b, "Remediation (console): %s\n", res.Remediation.Console)
	}
	if res.Remediation.CLI != "" {
		fmt.Fprintf(&b, "Remediation (AWS CLI): %s\n", res.Remediation.CLI)
	}
	return b.String()
}

func duration(r *Run) float64 {
	if d := r.End.Sub(r.Start).Seconds(); d > 0 {
		return d
	}
	return 0
}

// seconds formats a duration the way junit-10.xsd's SUREFIRE_TIME accepts.
func seconds(s float64) string { return fmt.Sprintf("%.3f", s) }

// xmlText is s as element content. encoding/xml would escape newlines and
// quotes too, leaving the JSON and the findings unreadable in the file; only
// the markup characters need it, and CR so that parsers keep it.
func xmlText(s string) string {
	return strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "\r", "&#xD;").Replace(xmlSafe(s))
}

// xmlSafe keeps only characters XML 1.0 allows, replacing the others (and
// invalid UTF-8) with U+FFFD: one stray control character makes the whole
// document unreadable to every CI system. encoding/xml does the same for the
// attributes it escapes, but the bodies are written raw (see xmlText), so
// this is their only guard.
func xmlSafe(s string) string {
	return strings.Map(func(r rune) rune {
		if r == '\t' || r == '\n' || r == '\r' ||
			r >= 0x20 && r <= 0xD7FF || r >= 0xE000 && r <= 0xFFFD || r >= 0x10000 && r <= 0x10FFFF {
			return r
		}
		return '\uFFFD'
	}, strings.ToValidUTF8(s, "\uFFFD"))
}
