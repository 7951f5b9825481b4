package reports

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/")

const keyARN = "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"

// describeKeyRaw is indented and holds an escaped '<' on purpose: the
// results file must keep it byte for byte.
const describeKeyRaw = `{
    "KeyMetadata": {
        "AWSAccountId": "111122223333",
        "KeyId": "1234abcd-12ab-34cd-56ef-1234567890ab",
        "Description": "AEP \u003cprod\u003e key",
        "KeySpec": "SYMMETRIC_DEFAULT",
        "KeyState": "PendingDeletion"
    }
}`

func policyRaw(t testing.TB, sid string) json.RawMessage {
	t.Helper()
	doc, err := json.Marshal(map[string]any{
		"Version": "2012-10-17",
		"Statement": []map[string]any{{
			"Sid":       sid,
			"Effect":    "Allow",
			"Principal": map[string]string{"AWS": "arn:aws:iam::111122223333:root"},
			"Action":    "kms:*",
			"Resource":  "*",
		}},
	})
	require.NoError(t, err)
	raw, err := json.Marshal(map[string]string{"Policy": string(doc), "PolicyName": "default"})
	require.NoError(t, err)
	return raw
}

// sampleRun has one result of each status.
func sampleRun(t testing.TB) *Run {
	t.Helper()
	start := time.Date(2025, 3, 14, 9, 26, 53, 0, time.UTC)
	policy := policyRaw(t, "Enable IAM User Permissions")
	dk := checks.EvidenceRef{Member: "DescribeKey"}
	results := []checks.Result{
		{
			ID: "CMK-CFG-1", Title: "Key spec is SYMMETRIC_DEFAULT", Severity: checks.Required, Status: checks.Pass,
			Section: "configure-key", Expected: "KeySpec SYMMETRIC_DEFAULT", Observed: "KeySpec SYMMETRIC_DEFAULT",
			Evidence: []checks.EvidenceRef{{Member: "DescribeKey", Pointer: "/KeyMetadata/KeySpec"}},
		},
		{
			ID: "CMK-CFG-5", Title: "Key is enabled", Severity: checks.Required, Status: checks.Fail,
			Section: "create-a-key (IMPORTANT)", Expected: "KeyState Enabled",
			Observed: "KeyState PendingDeletion (deletion scheduled for 2025-04-01T00:00:00Z)",
			Remediation: checks.Remediation{
				Console: "KMS > Customer managed keys > the key > Key actions > Cancel key deletion, then Enable.",
				CLI:     "aws kms cancel-key-deletion --key-id 1234abcd-12ab-34cd-56ef-1234567890ab\naws kms enable-key --key-id 1234abcd-12ab-34cd-56ef-1234567890ab",
			},
			Evidence: []checks.EvidenceRef{{Member: "DescribeKey", Pointer: "/KeyMetadata/KeyState"}},
		},
		{
			ID: "CMK-LBL-3", Title: "Key has a description", Severity: checks.Recommended, Status: checks.Warn,
			Section: "add-labels-and-tags-to-key", Expected: "a description", Observed: "the description is empty",
			Remediation: checks.Remediation{
				Console: "Edit the key's description.",
				CLI:     `aws kms update-key-description --key-id 1234abcd-12ab-34cd-56ef-1234567890ab --description "Adobe Experience Platform"`,
			},
			Evidence: []checks.EvidenceRef{dk},
		},
		{
			ID: "CMK-CFG-6", Title: "Encrypt and decrypt round trip", Severity: checks.Required, Status: checks.Skip,
			Section: "configure-key", Expected: "the plaintext back", Observed: "snapshot evaluated offline: no round trip possible",
			Evidence: []checks.EvidenceRef{},
		},
		{
			ID: "CMK-ADM-1", Title: "Key administrators", Severity: checks.Required, Status: checks.Error,
			Section: "define-key-admins", Expected: "an own-account IAM principal administers the key",
			Observed: "GetKeyPolicy failed: AccessDeniedException",
			Remediation: checks.Remediation{
				Console: "Grant the caller kms:GetKeyPolicy.",
				CLI:     "aws kms get-key-policy --key-id 1234abcd-12ab-34cd-56ef-1234567890ab --policy-name default",
			},
			Evidence: []checks.EvidenceRef{dk, {Member: "GetKeyPolicy"}},
		},
	}
	run := &Run{
		RunID:        "run-0001",
		Start:        start,
		End:          start.Add(2500 * time.Millisecond),
		ToolVersion:  "v0.1.0",
		Commit:       "0123456789abcdef0123456789abcdef01234567",
		Target:       keystate.TargetFacts{Kind: keystate.KindSnapshot},
		Account:      "111122223333",
		Region:       "us-east-1",
		KeyARN:       keyARN,
		Profile:      NewProfileRecord("fixtures/profile.yaml", []byte("region: us-east-1\nshield: privacy-security\n")),
		Verdict:      checks.Verdict(results),
		NotEvaluated: checks.NotEvaluated(results),
		Results:      results,
		// The access section: a chosen administrator, and a role nobody
		// chose that can decrypt through a grant.
		AccessMatrix: []checks.AccessRow{
			{Principal: "arn:aws:iam::111122223333:role/KMSKeyAdmin", Chosen: true, As: "chosen administrator",
				Administer: &checks.AccessCell{Answer: "ALLOWED", Sources: []string{`key policy statement 1 (Sid "Allow access for Key Administrators")`}},
				RePolicy:   &checks.AccessCell{Answer: "ALLOWED", Sources: []string{`key policy statement 1 (Sid "Allow access for Key Administrators")`}}},
			{Principal: "arn:aws:iam::111122223333:role/Reader",
				Use: &checks.AccessCell{Answer: "ALLOWED", Actions: []string{"kms:Decrypt"}, Sources: []string{"grant g|2"}, NotChosen: true}},
		},
	}
	withSnapshot(run, map[string]json.RawMessage{"DescribeKey": json.RawMessage(describeKeyRaw), "GetKeyPolicy": policy})
	return run
}

// withSnapshot gives run a snapshot of members and its digests.
func withSnapshot(run *Run, members map[string]json.RawMessage) {
	run.Snapshot = snapshotOf(members)
	digests, err := SnapshotDigests(run.Snapshot)
	if err != nil {
		panic(err)
	}
	run.SnapshotSHA256 = digests
}

// snapshotOf writes members as a snapshot, each answer byte for byte.
func snapshotOf(members map[string]json.RawMessage) json.RawMessage {
	var b bytes.Buffer
	b.WriteString("{")
	for i, name := range sortedKeys(members) {
		if i > 0 {
			b.WriteString(",")
		}
		key, _ := json.Marshal(name)
		b.WriteString("\n  ")
		b.Write(key)
		b.WriteString(": ")
		b.Write(members[name])
	}
	b.WriteString("\n}")
	return b.Bytes()
}

// hostile is everything that has broken reports elsewhere: Markdown and
// HTML markup, CDATA terminators, every C0 control character, invalid UTF-8
// and a right-to-left override.
func hostile(label string) string {
	var c0 strings.Builder
	for r := rune(0); r < 0x20; r++ {
		c0.WriteRune(r)
	}
	return label + " | pipe `tick` ```fence``` ~~~~ <script>alert(1)</script> ]]> *b* _i_ [l](http://x) \\| &amp;\n" +
		"second line\r\nthird" + c0.String() + "\xff\xfe bad utf8 \u202Egnp.exe"
}

func hostileRun(t testing.TB) *Run {
	t.Helper()
	run := sampleRun(t)
	tags, err := json.Marshal(map[string]any{"Tags": []map[string]string{{"TagKey": hostile("tag"), "TagValue": hostile("value")}}})
	require.NoError(t, err)
	for i := range run.Results {
		r := &run.Results[i]
		r.Title = hostile("title")
		r.Section = hostile("section")
		r.Expected = hostile("expected")
		r.Observed = hostile("observed")
		r.Remediation.Console = hostile("console")
		r.Remediation.CLI = hostile("cli")
		r.Evidence = append(r.Evidence, checks.EvidenceRef{Member: "ListResourceTags", Pointer: "/Tags/0"}, checks.EvidenceRef{Member: hostile("name"), Pointer: "/" + hostile("pointer")})
	}
	withSnapshot(run, map[string]json.RawMessage{"DescribeKey": json.RawMessage(describeKeyRaw), "GetKeyPolicy": policyRaw(t, hostile("sid")),
		"ListResourceTags": tags, hostile("name"): json.RawMessage(`{"x": "` + strings.Repeat("long ", 100) + `"}`)})
	run.KeyARN = hostile("arn")
	run.Caller = hostile("caller")
	run.Target.Endpoint = hostile("endpoint")
	run.Profile = NewProfileRecord(hostile("source"), []byte(strings.ToValidUTF8(hostile("content"), "?")))
	run.NotEvaluated = checks.NotEvaluated(run.Results) // of the hostile observations
	return run
}

func render(t testing.TB, run *Run) (results, junit, md []byte) {
	t.Helper()
	r, err := Render(run)
	require.NoError(t, err)
	var j, m bytes.Buffer
	require.NoError(t, WriteJUnit(&j, r.Run))
	require.NoError(t, WriteMarkdown(&m, r.Run))
	return r.Results, j.Bytes(), m.Bytes()
}

// TestGolden pins the three outputs of the sample run; review a change with
// `go test ./internal/reports -run Golden -update` and git diff.
func TestGolden(t *testing.T) {
	results, junit, md := render(t, sampleRun(t))
	for name, got := range map[string][]byte{
		"sample.results.json": results,
		"sample.junit.xml":    junit,
		"sample.md":           md,
	} {
		path := filepath.Join("testdata", name)
		if *update {
			require.NoError(t, os.WriteFile(path, got, 0o644))
		}
		want, err := os.ReadFile(path)
		require.NoError(t, err, "run with -update to create it")
		assert.Equal(t, string(want), string(got), name)
	}
	// Each report names the results file it goes with, as sha256sum does.
	digest := sha256Hex(results)
	assert.Contains(t, string(junit), `<property name="results_sha256" value="`+digest+`">`)
	assert.Contains(t, string(md), "- Results file: sha256 "+digest+" ")
	assert.Contains(t, string(md), "(results file sha256 "+digest+") and accept the verdict NOT READY.")
}

func TestWrite(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "out", "nested")
	p, err := Write(dir, "", sampleRun(t))
	require.NoError(t, err)
	assert.Equal(t, Paths{
		Results:  filepath.Join(dir, "cmk-audit.results.json"),
		JUnit:    filepath.Join(dir, "cmk-audit.junit.xml"),
		Markdown: filepath.Join(dir, "cmk-audit.md"),
	}, p)
	results, junit, md := render(t, sampleRun(t))
	for path, want := range map[string][]byte{p.Results: results, p.JUnit: junit, p.Markdown: md} {
		got, err := os.ReadFile(path)
		require.NoError(t, err)
		assert.Equal(t, want, got, path)
	}

	_, err = Write(t.TempDir(), "../escape", sampleRun(t))
	assert.ErrorContains(t, err, "plain file name")

	// A run that cannot be rendered leaves nothing behind.
	bad := sampleRun(t)
	bad.Results[0].Status = "MAYBE"
	empty := filepath.Join(t.TempDir(), "reports")
	_, err = Write(empty, "x", bad)
	assert.ErrorContains(t, err, `status "MAYBE"`)
	assert.NoDirExists(t, empty)
}

func TestWritersRejectInconsistentRuns(t *testing.T) {
	for name, mutate := range map[string]func(*Run){
		"verdict contradicts results": func(r *Run) { r.Verdict = checks.Ready },
		"profile digest wrong":        func(r *Run) { r.Profile.SHA256 = strings.Repeat("0", 64) },
		"unknown target":              func(r *Run) { r.Target.Kind = "gcp" },
		"unknown severity":            func(r *Run) { r.Results[1].Severity = "optional" },
		"evidence names no member":    func(r *Run) { r.Results[0].Evidence[0].Member = "" },
		"snapshot not JSON":           func(r *Run) { r.Snapshot = json.RawMessage("{oops") },
		"no run id":                   func(r *Run) { r.RunID = "" },
		"profile not UTF-8":           func(r *Run) { r.Profile = NewProfileRecord("p.yaml", []byte("region: \xff")) },
	} {
		t.Run(name, func(t *testing.T) {
			run := sampleRun(t)
			mutate(run)
			run.ResultsSHA256 = strings.Repeat("0", 64) // refused for what it says, not for a missing digest
			var b bytes.Buffer
			assert.Error(t, WriteResults(&b, run))
			assert.Error(t, WriteJUnit(&b, run))
			assert.Error(t, WriteMarkdown(&b, run))
		})
	}
	assert.Error(t, WriteResults(&bytes.Buffer{}, nil))
}

func TestEmptyVerdictAndProfileAreFilledIn(t *testing.T) {
	run := sampleRun(t)
	run.Verdict = ""
	run.Profile = ProfileRecord{}
	var b bytes.Buffer
	require.NoError(t, WriteResults(&b, run))
	got, err := ReadResults(&b)
	require.NoError(t, err)
	assert.Equal(t, checks.NotReady, got.Verdict)
	assert.Equal(t, NewProfileRecord("", nil).SHA256, got.Profile.SHA256)
	assert.Empty(t, run.Verdict, "the caller's run is not modified")
}

// TestDeterministic renders the same run, recorded an hour later, several
// times: apart from the lines carrying times (and the results file's
// digest, which covers them) the outputs are identical, so
// no map iteration order leaks into them.
func TestDeterministic(t *testing.T) {
	first := hostileRun(t)
	r1, j1, m1 := render(t, first)
	for i := 0; i < 5; i++ {
		later := hostileRun(t)
		later.Start = later.Start.Add(time.Hour)
		later.End = later.End.Add(time.Hour)
		r2, j2, m2 := render(t, later)
		// The results file's digest covers its times, so the lines that
		// name it differ too.
		times := []string{
			timeText(first.Start), timeText(first.End), timeText(later.Start), timeText(later.End),
			first.Start.Format("2006-01-02T15:04:05"), later.Start.Format("2006-01-02T15:04:05"),
			sha256Hex(r1), sha256Hex(r2),
		}
		assert.Equal(t, withoutLines(r1, times), withoutLines(r2, times), "results file")
		assert.Equal(t, withoutLines(j1, times), withoutLines(j2, times), "junit")
		assert.Equal(t, withoutLines(m1, times), withoutLines(m2, times), "markdown")
		assert.NotEqual(t, string(r1), string(r2), "the time lines do differ")
	}
}

func withoutLines(b []byte, needles []string) string {
	var kept []string
	for _, line := range strings.Split(string(b), "\n") {
		drop := false
		for _, n := range needles {
			drop = drop || strings.Contains(line, n)
		}
		if !drop {
			kept = append(kept, line)
		}
	}
	return strings.Join(kept, "\n")
}

// TestNoCredentials: a Run has no credentials in it, and nothing reads the
// environment's, but auditors ask for the proof.
func TestNoCredentials(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYSENTINELKEY"
	const token = "FwoGZXIvYXdzSENTINELSESSIONTOKEN"
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	t.Setenv("AWS_SESSION_TOKEN", token)
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIASENTINELACCESSKEY")
	summary := filepath.Join(t.TempDir(), "summary.md")

	for _, run := range []*Run{sampleRun(t), hostileRun(t)} {
		p, err := Write(t.TempDir(), "", run)
		require.NoError(t, err)
		require.NoError(t, AppendStepSummary(summary, run))
		for _, path := range []string{p.Results, p.JUnit, p.Markdown, summary} {
			out, err := os.ReadFile(path)
			require.NoError(t, err)
			for _, s := range []string{secret, token, "AKIASENTINELACCESSKEY", "SENTINEL"} {
				assert.NotContains(t, string(out), s, path)
			}
		}
	}
}

func TestAppendStepSummary(t *testing.T) {
	require.NoError(t, AppendStepSummary("", sampleRun(t)), "no summary file: nothing to do")

	path := filepath.Join(t.TempDir(), "step_summary.md")
	require.NoError(t, AppendStepSummary(path, sampleRun(t)))
	require.NoError(t, AppendStepSummary(path, sampleRun(t)))
	out, err := os.ReadFile(path)
	require.NoError(t, err)
	s := string(out)
	assert.Equal(t, 2, strings.Count(s, "# NOT READY to enable customer managed keys\n"), "appended, not replaced")
	assert.Contains(t, s, "| FAIL | 1 |")
	assert.Contains(t, s, "| FAIL | CMK-CFG-5 | Key is enabled | required | create-a-key (IMPORTANT) |")
	assert.NotContains(t, s, "Sign-off", "the summary is the short form")
}
