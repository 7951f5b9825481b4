package reports

import (
	"fmt"
	"path/filepath"
	"strings"
	"sync"

	"github.com/owenrumney/go-sarif/v2/sarif"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

// SARIF 2.1.0 for code scanning: one rule per requirement, one result per
// FAIL, WARN and ERROR. A result's level follows what it does to the
// verdict: a required check's FAIL or ERROR is "error" (it makes the
// verdict NOT READY, and an ERROR is never let through as a mere note: it
// was not judged, which the property cmkcheck/status says), a
// recommended check's WARN or ERROR is "warning". A template's key points
// at the line of the property judged (EnableKeyRotation for rotation),
// or the key resource's; a plan's key at the plan and its resource
// address; a live key or snapshot at the key ARN, as a logical location.

const projectURI = "https://github.com/aep-cmk/cmkcheck"

// sarifWrap is the log without its results: the tool, its rules (the
// catalog) and the invocation.
func sarifWrap(m FormatsMeta, _ string) (head, tail []byte, err error) {
	rep, err := sarif.New(sarif.Version210)
	if err != nil {
		return nil, nil, err
	}
	driver := sarif.NewDriver("cmkcheck").WithInformationURI(projectURI)
	if m.ToolVersion != "" {
		driver.WithVersion(m.ToolVersion)
	}
	for _, c := range checks.Catalog() {
		level := "warning"
		score := "5.0"
		if c.Severity == checks.Required {
			level, score = "error", "8.0"
		}
		rule := sarif.NewRule(c.ID).
			WithName(c.ID).
			WithShortDescription(sarif.NewMultiformatMessageString(c.Title)).
			WithFullDescription(sarif.NewMultiformatMessageString("Expected: " + c.Expected)).
			WithHelp(sarif.NewMultiformatMessageString(helpText(c)).WithMarkdown(helpMarkdown(c))).
			WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel(level)).
			WithProperties(sarif.Properties{
				"severity": string(c.Severity), "guide-section": c.Section,
				"tags": []string{"security", "aws-kms", "cmk"}, "security-severity": score,
			})
		driver.Rules = append(driver.Rules, rule)
	}
	driver.Rules = append(driver.Rules, sarif.NewRule(notAudited).WithName(notAudited).
		WithShortDescription(sarif.NewMultiformatMessageString("The key, or the account and region, could be audited")).
		WithFullDescription(sarif.NewMultiformatMessageString("A fleet audit could not judge a key it selected, or list an account and region: none of its requirements was judged.")).
		WithHelp(sarif.NewMultiformatMessageString("The result's message says why; the fleet index (fleet.md) lists it too. Fix the access or the selection and audit again.")).
		WithDefaultConfiguration(sarif.NewReportingConfiguration().WithLevel("error")))
	run := sarif.NewRun(*sarif.NewTool(driver))
	run.Results = []*sarif.Result{}
	inv := sarif.NewInvocation().WithExecutionSuccess(true)
	if !m.Start.IsZero() {
		inv.WithStartTimeUTC(m.Start.UTC())
	}
	if !m.End.IsZero() {
		inv.WithEndTimeUTC(m.End.UTC())
	}
	inv.Properties = sarif.Properties{"run_id": m.RunID, "verdict": m.Verdict, "commit": m.Commit}
	run.Invocations = []*sarif.Invocation{inv}
	rep.AddRun(run)
	doc, err := compact(rep)
	if err != nil {
		return nil, nil, err
	}
	head, tail, err = splitAt(doc, `"results":[]`)
	return head, append(tail, '\n'), err
}

// notAudited is the rule of what a fleet could not audit, after the
// requirements' rules.
const notAudited = "cmkcheck/not-audited"

func sarifUnaudited(u Unaudited) ([]byte, error) {
	s := sarif.NewRuleResult(notAudited).WithLevel("error").WithKind("fail").
		WithMessage(sarif.NewTextMessage(fmt.Sprintf("%s was not audited: %s", u.Name, u.Why))).
		WithRuleIndex(len(checks.Catalog()))
	loc := sarif.NewLocation()
	loc.LogicalLocations = []*sarif.LogicalLocation{sarif.NewLogicalLocation().WithName(u.Name).WithKind("resource")}
	s.Locations = []*sarif.Location{loc}
	s.PartialFingerprints = map[string]interface{}{"cmkcheck/v1": SHA256Hex([]byte(notAudited + "\x00" + u.Account + "\x00" + u.Region + "\x00" + u.Name))}
	s.Properties = sarif.Properties{"cmkcheck/status": string(checks.Error), "cmkcheck/account": u.Account, "cmkcheck/region": u.Region}
	return compact(s)
}

func helpText(c checks.Check) string {
	return fmt.Sprintf("%s\nExpected: %s\nGuide section: %s\nConsole: %s\nCLI:\n%s", c.Title, c.Expected, c.Section,
		c.Remediation.Console, strings.TrimSpace(c.Remediation.CLI))
}

func helpMarkdown(c checks.Check) string {
	return fmt.Sprintf("**%s**\n\nExpected: %s\n\nGuide section: `%s`\n\nConsole: %s\n\n```sh\n%s\n```\n", c.Title, c.Expected, c.Section,
		c.Remediation.Console, strings.TrimSpace(c.Remediation.CLI))
}

// ruleIndex is each requirement's place among the rules.
var ruleIndex = sync.OnceValue(func() map[string]int {
	index := map[string]int{}
	for i, c := range checks.Catalog() {
		index[c.ID] = i
	}
	return index
})

// sarifItems are a key's results: its FAIL, WARN and ERROR.
func sarifItems(j Judged) ([][]byte, error) {
	index := ruleIndex()
	r := j.Run
	var out [][]byte
	for _, res := range r.Results {
		if res.Status != checks.Fail && res.Status != checks.Warn && res.Status != checks.Error {
			continue
		}
		level := "warning"
		if res.Severity == checks.Required {
			level = "error"
		}
		text := fmt.Sprintf("%s %s on %s: %s (expected: %s)", res.ID, res.Status, keyName(j), res.Observed, res.Expected)
		s := sarif.NewRuleResult(res.ID).WithLevel(level).WithKind("fail").WithMessage(sarif.NewTextMessage(text))
		if i, ok := index[res.ID]; ok {
			s.WithRuleIndex(i)
		}
		s.Locations = []*sarif.Location{sarifLocation(j, res)}
		s.PartialFingerprints = map[string]interface{}{"cmkcheck/v1": SHA256Hex([]byte(res.ID + "\x00" + keyName(j)))}
		s.Properties = sarif.Properties{
			"cmkcheck/status": string(res.Status), "cmkcheck/severity": string(res.Severity),
			"cmkcheck/key_arn": r.KeyARN, "cmkcheck/run_id": r.RunID, "cmkcheck/results_sha256": r.ResultsSHA256,
		}
		if res.Status == checks.Error {
			s.Properties["cmkcheck/not_judged"] = "the evidence could not be had or read, so the requirement was not judged: " + res.Observed
		}
		b, err := compact(s)
		if err != nil {
			return nil, fmt.Errorf("result %s: %w", res.ID, err)
		}
		out = append(out, b)
	}
	return out, nil
}

// keyName names the key a result is about: its declaration, or its ARN.
func keyName(j Judged) string {
	if j.Origin != nil {
		return j.Origin.File + "#" + j.Origin.Name
	}
	return j.Run.KeyARN
}

func sarifLocation(j Judged, res checks.Result) *sarif.Location {
	loc := sarif.NewLocation()
	if j.Origin == nil {
		loc.LogicalLocations = []*sarif.LogicalLocation{
			sarif.NewLogicalLocation().WithName(j.Run.KeyARN).WithFullyQualifiedName(j.Run.KeyARN).WithKind("resource"),
		}
		return loc
	}
	o := j.Origin
	phys := sarif.NewPhysicalLocation().WithArtifactLocation(sarif.NewSimpleArtifactLocation(fileURI(o.File)))
	if o.Line != nil {
		line := 0
		for _, ref := range res.Evidence {
			if line = o.Line(ref.Member, ref.Pointer); line > 0 {
				break
			}
		}
		if line == 0 {
			line = o.Line("", "") // the key resource
		}
		if line > 0 {
			phys.WithRegion(sarif.NewSimpleRegion(line, line))
		}
	}
	loc.PhysicalLocation = phys
	loc.LogicalLocations = []*sarif.LogicalLocation{
		sarif.NewLogicalLocation().WithName(o.Name).WithFullyQualifiedName(o.File + "#" + o.Name).WithKind("resource"),
	}
	return loc
}

// fileURI is a file's path as a SARIF artifact URI: relative paths stay
// relative (to where cmkcheck ran: the repository in CI), absolute ones
// become file: URIs.
func fileURI(path string) string {
	p := filepath.ToSlash(path)
	if filepath.IsAbs(path) {
		if !strings.HasPrefix(p, "/") {
			p = "/" + p // a Windows drive
		}
		return "file://" + p
	}
	return strings.TrimPrefix(p, "./")
}
