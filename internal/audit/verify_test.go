package audit

import (
	"bytes"
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

const exampleProfile = "../../fixtures/profiles/aep-example.yaml"

// fixtureRun evaluates a snapshot file as `cmkcheck evaluate` does
// (Evaluate), with fixed metadata so a test can edit it by its text.
func fixtureRun(t testing.TB, snapshotPath string, v profile.Valid) *reports.Run {
	t.Helper()
	data, err := os.ReadFile(snapshotPath)
	require.NoError(t, err)
	state, err := keystate.Decode(data)
	require.NoError(t, err)
	start := time.Date(2026, 5, 4, 3, 2, 1, 0, time.UTC)
	run, err := Evaluate(state, v, Source{Target: keystate.TargetFacts{Kind: keystate.KindSnapshot, Endpoint: snapshotPath}, Start: start})
	require.NoError(t, err)
	run.RunID, run.End, run.ToolVersion, run.Commit = "20260504T030201Z-0badcafe", start.Add(time.Second), "(devel)", "feedface"
	return run
}

func profileFile(t testing.TB, path string) profile.Valid {
	t.Helper()
	v, err := profile.Load(path, func(string) string { return "" })
	require.NoError(t, err)
	return v
}

func written(t testing.TB, run *reports.Run) []byte {
	t.Helper()
	var b bytes.Buffer
	require.NoError(t, reports.WriteResults(&b, run))
	return b.Bytes()
}

// Every fixture, judged against each profile, writes a results file that
// verifies as written, and reads back to the run that was written.
func TestVerifyEveryFixture(t *testing.T) {
	snapshots, err := filepath.Glob("../../fixtures/snapshots/*.json")
	require.NoError(t, err)
	more, err := filepath.Glob("../../fixtures/snapshots/noncompliant/*.json")
	require.NoError(t, err)
	snapshots = append(snapshots, more...)
	profiles := map[string]profile.Valid{
		"aep-example": profileFile(t, exampleProfile),
		"healthcare":  profileFile(t, "../../fixtures/profiles/healthcare.yaml"),
		"none":        profile.Default(),
	}
	n := 0
	for _, path := range snapshots {
		if filepath.Base(path) == "expected.json" {
			continue
		}
		for name, v := range profiles {
			t.Run(filepath.Base(path)+"/"+name, func(t *testing.T) {
				run := fixtureRun(t, path, v)
				data := written(t, run)
				got, err := Verify(data)
				require.NoError(t, err)
				assert.Equal(t, reports.SHA256Hex(data), got.ResultsSHA256)
				got.ResultsSHA256 = ""
				assert.Equal(t, run, got)
			})
			n++
		}
	}
	assert.Greater(t, n, 90, "every fixture, three profiles")
}

// replaceIn edits the n-th occurrence (from 1; -1 for the last) of old in
// data, as someone with a text editor would.
func replaceIn(t testing.TB, data []byte, old, new string, n int) []byte {
	t.Helper()
	s := string(data)
	require.Contains(t, s, old)
	i := -1
	switch {
	case n < 0:
		i = strings.LastIndex(s, old)
	default:
		from := 0
		for k := 0; k < n; k++ {
			j := strings.Index(s[from:], old)
			require.GreaterOrEqual(t, j, 0, "occurrence %d of %q", n, old)
			i = from + j
			from = i + len(old)
		}
	}
	return []byte(s[:i] + new + s[i+len(old):])
}

// rewritten edits the run read from data and writes it again, with every
// digest recomputed: an editor who knows the format.
func rewritten(t testing.TB, data []byte, edit func(*reports.Run)) []byte {
	t.Helper()
	run, err := reports.ReadResults(bytes.NewReader(data))
	require.NoError(t, err)
	edit(run)
	return written(t, run)
}

func verifyError(t testing.TB, data []byte) *VerifyError {
	t.Helper()
	_, err := Verify(data)
	require.Error(t, err)
	var ve *VerifyError
	require.True(t, errors.As(err, &ve), "a *VerifyError: %v", err)
	return ve
}

func claims(ve *VerifyError) []string {
	var out []string
	for _, f := range ve.Findings {
		out = append(out, f.Claim)
	}
	return out
}

// TestVerifyNamesEachAlteration: each part of a NOT READY results file,
// edited, is named. The lock-out key fails CMK-ADM-1..3.
func TestVerifyNamesEachAlteration(t *testing.T) {
	orig := written(t, fixtureRun(t, "../../fixtures/snapshots/noncompliant/lock-out.json", profileFile(t, exampleProfile)))
	_, err := Verify(orig)
	require.NoError(t, err)

	const describe = `"Description": "Adobe Experience Platform customer managed key"`
	for name, tc := range map[string]struct {
		data   []byte
		claims []string
		says   []string
	}{
		"issue 14: statuses and verdict edited to a pass": {
			[]byte(strings.ReplaceAll(strings.ReplaceAll(string(orig), `"status": "FAIL"`, `"status": "PASS"`), `"verdict": "NOT READY"`, `"verdict": "READY"`)),
			[]string{"CMK-ADM-1 status", "CMK-ADM-3 status", "verdict"},
			[]string{`CMK-ADM-1 status: the file says "PASS"; its evidence says "FAIL"`, `verdict: the file says "READY"; its evidence says "NOT READY"`},
		},
		"one status": {
			replaceIn(t, orig, `"status": "FAIL"`, `"status": "WARN"`, 2),
			[]string{"CMK-ADM-3 status"}, nil,
		},
		"the verdict alone": {
			replaceIn(t, orig, `"verdict": "NOT READY"`, `"verdict": "READY"`, 1),
			[]string{"verdict"}, nil,
		},
		"an observed text": {
			replaceIn(t, orig, `"observed": "key administrators of account 111122223333 (each allowed kms:PutKeyPolicy, kms:EnableKey, kms:DisableKey, kms:UpdateKeyDescription, kms:TagResource, kms:UntagResource, kms:CreateAlias, kms:DeleteAlias, kms:EnableKeyRotation, kms:DisableKeyRotation): none; not every one of them: arn:aws:iam::111122223333:role/KMSKeyAdmin [kms:PutKeyPolicy NOT ALLOWED: no statement or grant allows it]"`, `"observed": "key administrators of account 111122223333: arn:aws:iam::111122223333:role/KMSKeyAdmin"`, 1),
			[]string{"CMK-ADM-1 observed"}, nil,
		},
		"an expected text and a remediation": {
			rewritten(t, orig, func(r *reports.Run) {
				r.Results[16].Expected = "nothing in particular"
				r.Results[16].Remediation.CLI = "true"
			}),
			[]string{"CMK-ADM-2 expected", "CMK-ADM-2 remediation.cli"}, nil,
		},
		"a severity and a title": {
			rewritten(t, orig, func(r *reports.Run) { r.Results[16].Severity = checks.Recommended; r.Results[16].Title = "Optional" }),
			[]string{"CMK-ADM-2 title", "CMK-ADM-2 severity"}, nil,
		},
		"a raw answer in the snapshot": {
			replaceIn(t, orig, describe, `"Description": "edited"`, -1),
			[]string{"CMK-LBL-3 observed", `evidence "DescribeKey"`}, nil,
		},
		// The results hold the evidence once, in the snapshot; a result
		// names what it was judged on. The edits that once targeted a
		// result's copy of an answer target the snapshot's member or the
		// result's reference to it.
		"a raw answer in the snapshot, digest left": {
			replaceIn(t, orig, `"KeyState": "Enabled"`, `"KeyState": "Disabled"`, 1),
			[]string{`evidence "DescribeKey"`, "CMK-CFG-5 status"}, []string{"not the"},
		},
		"a result's reference pointed elsewhere": {
			rewritten(t, orig, func(r *reports.Run) {
				r.Results[3].Evidence = []checks.EvidenceRef{{Member: "DescribeKey", Pointer: "/KeyMetadata/KeyId"}}
			}),
			[]string{`CMK-REG-1 evidence "DescribeKey"`}, []string{"the check is not judged on it"},
		},
		"a result's reference to a member the snapshot lacks": {
			rewritten(t, orig, func(r *reports.Run) {
				r.Results[3].Evidence = append(r.Results[3].Evidence, checks.EvidenceRef{Member: "GetCallerIdentity"})
			}),
			[]string{`CMK-REG-1 evidence "GetCallerIdentity"`}, []string{"a member the snapshot does not hold"},
		},
		"a result's pointer that resolves to nothing": {
			rewritten(t, orig, func(r *reports.Run) {
				r.Results[3].Evidence = []checks.EvidenceRef{{Member: "DescribeKey", Pointer: "/KeyMetadata/Nowhere"}}
			}),
			[]string{`CMK-REG-1 evidence "DescribeKey"`}, []string{"resolves to nothing"},
		},
		"a raw answer everywhere, digests recomputed, results left": {
			rewritten(t, orig, func(r *reports.Run) {
				r.Snapshot = bytes.ReplaceAll(r.Snapshot, []byte(`"KeyState": "Enabled"`), []byte(`"KeyState": "Disabled"`))
			}),
			[]string{"CMK-CFG-5 status", "CMK-CFG-5 observed"}, nil,
		},
		"a digest of an answer the snapshot lacks": {
			replaceIn(t, orig, `"snapshot_sha256": {`, `"snapshot_sha256": {"GetCallerIdentity": "00",`, 1),
			[]string{`evidence "GetCallerIdentity"`}, []string{"an answer the snapshot does not hold"},
		},
		"evidence dropped from a result": {
			rewritten(t, orig, func(r *reports.Run) { r.Results[3].Evidence = []checks.EvidenceRef{} }),
			[]string{`CMK-REG-1 evidence "DescribeKey"`}, []string{"no answer"},
		},
		"the profile's canonical form": {
			replaceIn(t, orig, `allow_key_deletion: true\n`, `allow_key_deletion: false\n`, -1),
			[]string{"profile.content", "CMK-ADM-2 observed"}, []string{`field "allow_key_deletion": the file gives true, the profile judged has false`},
		},
		"the profile's content, digest left": {
			replaceIn(t, orig, `shield: privacy-security`, `shield: healthcare`, 1),
			[]string{"profile.sha256", "profile.content"}, nil,
		},
		"the profile everywhere, consistently": {
			rewritten(t, orig, func(r *reports.Run) {
				c := strings.Replace(r.Profile.Content, "region: us-east-1", "region: eu-west-1", 1)
				r.Profile = reports.NewProfileRecord(r.Profile.Source, []byte(c))
				r.Profile.Canonical = `region: "eu-west-1"` + "\n"
				v, err := profile.Parse([]byte(c))
				require.NoError(t, err)
				canonical, err := v.Canonical()
				require.NoError(t, err)
				r.Profile.Canonical = string(canonical)
			}),
			[]string{"CMK-REG-1 status", "CMK-REG-1 observed"}, nil,
		},
		"the key ARN": {
			replaceIn(t, orig, `"key_arn": "arn:aws:kms:us-east-1:111122223333:key/`, `"key_arn": "arn:aws:kms:us-east-1:111122223333:key/0`, 1),
			[]string{"key_arn"}, nil,
		},
		"the account and region": {
			replaceIn(t, replaceIn(t, orig, `"account": "111122223333"`, `"account": "444455556666"`, 1), `"region": "us-east-1"`, `"region": "eu-west-1"`, 1),
			[]string{"account", "region"}, nil,
		},
		"a caller added": {
			replaceIn(t, orig, `"key_arn":`, `"caller": "arn:aws:iam::111122223333:role/Auditor", "key_arn":`, 1),
			[]string{"caller"}, nil,
		},
		"the target": {
			replaceIn(t, orig, `"kind": "snapshot"`, `"kind": "aws"`, 1),
			[]string{"target.kind"}, nil,
		},
		"a result removed": {
			rewritten(t, orig, func(r *reports.Run) { r.Results = append(r.Results[:15:15], r.Results[16:]...) }),
			[]string{"CMK-ADM-1"}, []string{`CMK-ADM-1: the file says no result; its evidence says status FAIL`},
		},
		"a result made up": {
			rewritten(t, orig, func(r *reports.Run) {
				extra := r.Results[0]
				extra.ID = "CMK-ZZZ-1"
				r.Results = append(r.Results, extra)
			}),
			[]string{`"CMK-ZZZ-1"`}, []string{"there is no such check"},
		},
		"a result twice": {
			rewritten(t, orig, func(r *reports.Run) { r.Results = append(r.Results, r.Results[0]) }),
			[]string{`"CMK-AVL-1"`}, []string{"a second result"},
		},
		"results reordered": {
			rewritten(t, orig, func(r *reports.Run) { r.Results[0], r.Results[1] = r.Results[1], r.Results[0] }),
			[]string{"results order"}, nil,
		},
		"a snapshot about another key": {
			replaceIn(t, orig, `"KeyId": "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"`,
				`"KeyId": "arn:aws:kms:us-east-1:111122223333:key/99999999-12ab-34cd-56ef-1234567890ab"`, -1),
			[]string{"snapshot"}, []string{"names key"},
		},
		"a snapshot that does not read": {
			replaceIn(t, orig, `"snapshot": {`, `"snapshot": {"Surprise": 1,`, 1),
			[]string{"snapshot"}, []string{"unknown member(s) Surprise"},
		},
	} {
		t.Run(name, func(t *testing.T) {
			ve := verifyError(t, tc.data)
			got := claims(ve)
			for _, c := range tc.claims {
				found := false
				for _, g := range got {
					found = found || strings.Contains(g, c)
				}
				assert.True(t, found, "claim %q among %q", c, got)
			}
			msg := ve.Error()
			assert.True(t, strings.HasPrefix(msg, "the results file was altered: "), msg)
			assert.Nil(t, ve.FileCatalog, "the same catalog: an alteration")
			for _, s := range tc.says {
				assert.Contains(t, msg, s)
			}
			assert.True(t, strings.HasSuffix(msg, "no report is rendered from it"), msg)
		})
	}
}

// What judging again cannot protect, pinned so the README cannot claim
// more: free metadata edits verify (only the file's digest, which an
// attestation signs, changes), and so does an answer fabricated together
// with what it judges to.
func TestVerifyDoesNotProtect(t *testing.T) {
	orig := written(t, fixtureRun(t, "../../fixtures/snapshots/noncompliant/lock-out.json", profileFile(t, exampleProfile)))
	for name, data := range map[string][]byte{
		"run id":            replaceIn(t, orig, `"run_id": "20260504T030201Z-0badcafe"`, `"run_id": "20260101T000000Z-00000000"`, 1),
		"times":             replaceIn(t, orig, `"start": "2026-05-04T03:02:01Z"`, `"start": "2026-01-01T00:00:00Z"`, 1),
		"tool and commit":   replaceIn(t, replaceIn(t, orig, `"commit": "feedface"`, `"commit": "0000000"`, 1), `"tool_version": "(devel)"`, `"tool_version": "v9"`, 1),
		"profile source":    replaceIn(t, orig, `"source": "../../fixtures/profiles/aep-example.yaml"`, `"source": "approved.yaml"`, 1),
		"snapshot path":     replaceIn(t, orig, `"endpoint": "../../fixtures/snapshots/noncompliant/lock-out.json"`, `"endpoint": "elsewhere.json"`, 1),
		"catalog label":     replaceIn(t, orig, `"version": "`+reports.Catalog().Version+`"`, `"version": "0"`, 1),
		"fabricated answer": written(t, fixtureRun(t, "../../fixtures/snapshots/compliant.json", profileFile(t, exampleProfile))),
		"profile changed where no result depends on it": rewritten(t, orig, func(r *reports.Run) {
			c := r.Profile.Content + "key: alias/Adobe-Experience-Platform-Key\n"
			v, err := profile.Parse([]byte(c))
			require.NoError(t, err)
			canonical, err := v.Canonical()
			require.NoError(t, err)
			r.Profile = reports.NewProfileRecord(r.Profile.Source, []byte(c))
			r.Profile.Canonical = string(canonical)
		}),
	} {
		t.Run(name, func(t *testing.T) {
			run, err := Verify(data)
			require.NoError(t, err, "judging again cannot see this edit")
			assert.NotEqual(t, reports.SHA256Hex(orig), run.ResultsSHA256, "but the file's digest, which an attestation signs, changes")
		})
	}
}

// A file judged by another catalog is judged by this one, and what differs
// is said to be the change of catalog, not an alteration.
func TestVerifyAnotherCatalog(t *testing.T) {
	orig := written(t, fixtureRun(t, "../../fixtures/snapshots/noncompliant/lock-out.json", profileFile(t, exampleProfile)))
	cat := reports.Catalog()
	data := replaceIn(t, orig, cat.SHA256, strings.Repeat("0", 64), 1)
	data = replaceIn(t, data, `"observed": "key administrators of account 111122223333 (each allowed kms:PutKeyPolicy, kms:EnableKey, kms:DisableKey, kms:UpdateKeyDescription, kms:TagResource, kms:UntagResource, kms:CreateAlias, kms:DeleteAlias, kms:EnableKeyRotation, kms:DisableKeyRotation): none; not every one of them: arn:aws:iam::111122223333:role/KMSKeyAdmin [kms:PutKeyPolicy NOT ALLOWED: no statement or grant allows it]"`, `"observed": "an older wording"`, 1)
	ve := verifyError(t, data)
	require.NotNil(t, ve.FileCatalog)
	msg := ve.Error()
	assert.Contains(t, msg, "judged by catalog "+cat.Version+" (sha256 "+strings.Repeat("0", 64)+"), not by this build's catalog "+cat.Version+" (sha256 "+cat.SHA256+")")
	assert.Contains(t, msg, "That is the change of catalog, unless the file was also altered (the file says cmkcheck (devel) at commit feedface wrote it)")
	assert.Contains(t, msg, `CMK-ADM-1 observed: the file says "an older wording"; this version judges "key administrators of account 111122223333 (each allowed kms:PutKeyPolicy`)
	assert.NotContains(t, msg, "was altered")
}

// A file written before the evidence was embedded, or with it removed,
// cannot be judged again: never verified.
func TestVerifyNeedsTheEvidence(t *testing.T) {
	// A file as cmkcheck wrote it before it kept the snapshot, the
	// canonical profile and the catalog.
	golden := rewritten(t, written(t, fixtureRun(t, "../../fixtures/snapshots/compliant.json", profileFile(t, exampleProfile))), func(r *reports.Run) {
		r.Snapshot, r.Profile.Canonical, r.Catalog = nil, "", nil
	})
	_, err := reports.ReadResults(bytes.NewReader(golden))
	require.NoError(t, err, "an old file still reads")
	_, err = Verify(golden)
	require.ErrorIs(t, err, ErrNotRejudgeable)
	assert.Contains(t, err.Error(), "it holds no snapshot of its evidence, no canonical profile, no catalog")
	assert.Contains(t, err.Error(), "so it is not verified")

	orig := written(t, fixtureRun(t, "../../fixtures/snapshots/compliant.json", profileFile(t, exampleProfile)))
	for name, data := range map[string][]byte{
		"snapshot removed":  rewritten(t, orig, func(r *reports.Run) { r.Snapshot = nil }),
		"canonical removed": rewritten(t, orig, func(r *reports.Run) { r.Profile.Canonical = "" }),
		"catalog removed":   rewritten(t, orig, func(r *reports.Run) { r.Catalog = nil }),
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Verify(data)
			assert.ErrorIs(t, err, ErrNotRejudgeable)
		})
	}
	// "snapshot": null is no snapshot.
	i := bytes.LastIndex(orig, []byte(`,`+"\n"+`  "snapshot": `))
	require.Greater(t, i, 0)
	nulled := append(append([]byte{}, orig[:i]...), []byte(",\n  \"snapshot\": null\n}\n")...)
	_, err = Verify(nulled)
	assert.ErrorIs(t, err, ErrNotRejudgeable)
}

func TestVerifyBadInput(t *testing.T) {
	orig := written(t, fixtureRun(t, "../../fixtures/snapshots/compliant.json", profileFile(t, exampleProfile)))
	for name, tc := range map[string]struct {
		data []byte
		want string
	}{
		"empty":          {nil, "the file is empty"},
		"not JSON":       {[]byte("status: PASS"), "not valid JSON"},
		"trailing data":  {append(append([]byte{}, orig...), "{}"...), "unexpected data after the results object"},
		"unknown field":  {replaceIn(t, orig, `"run_id"`, `"approved": true, "run_id"`, 1), `unknown field "approved"`},
		"too large":      {bytes.Repeat([]byte(" "), reports.MaxResultsSize+1), "larger than"},
		"bad canonical":  {replaceIn(t, orig, `"canonical": "`, `"canonical": "colour: red\n`, 1), "profile.canonical: the file says a profile that is not valid"},
		"not canonical":  {replaceIn(t, orig, `"canonical": "`, `"canonical": "# approved\n`, 1), "not in the canonical form"},
		"bad overrides":  {replaceIn(t, orig, `"canonical": "`, `"overrides": ["CMK_COLOUR"], "canonical": "`, 1), `"CMK_COLOUR" overrides no profile field`},
		"truncated":      {orig[:len(orig)/2], "truncated"},
		"status unknown": {replaceIn(t, orig, `"status": "PASS"`, `"status": "OK"`, 1), `CMK-AVL-1 status: the file says "OK"`},
	} {
		t.Run(name, func(t *testing.T) {
			run, err := Verify(tc.data)
			require.Error(t, err)
			assert.Nil(t, run)
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}

// A panic in the checks while judging again is an error, not a crash.
func TestVerifyPanicIsAnError(t *testing.T) {
	orig := written(t, fixtureRun(t, "../../fixtures/snapshots/compliant.json", profileFile(t, exampleProfile)))
	judge = func(*keystate.State, profile.Valid) ([]checks.Result, []checks.AccessRow) { panic("deliberate") }
	t.Cleanup(func() { judge = checks.Judge })
	_, err := Verify(orig)
	assert.ErrorContains(t, err, "the checks failed on the results file's evidence: deliberate")
}

// A profile changed in code after its file was read is recorded as what
// was judged, not as the file.
func TestEmbedEvidenceProfileChangedInCode(t *testing.T) {
	v := profileFile(t, exampleProfile)
	p := v.Profile()
	p.Roundtrip = false
	changed, err := p.Validate()
	require.NoError(t, err)
	run := fixtureRun(t, "../../fixtures/snapshots/compliant.json", changed)
	assert.Equal(t, "changed in code after reading "+exampleProfile, run.Profile.Source)
	assert.Equal(t, run.Profile.Canonical, run.Profile.Content)
	assert.NotContains(t, run.Profile.Content, "roundtrip")
	_, err = Verify(written(t, run))
	require.NoError(t, err)

	assert.Error(t, embed(nil, nil, v))
}

// FuzzVerifyEdits: one edit anywhere in a real results file (a byte range
// replaced) never makes it verify with another verdict, status or
// observation than the file had. What it may leave verified is what
// judging again does not protect (free metadata, formatting).
func FuzzVerifyEdits(f *testing.F) {
	orig := written(f, fixtureRun(f, "../../fixtures/snapshots/noncompliant/lock-out.json", profileFile(f, exampleProfile)))
	want, err := Verify(orig)
	require.NoError(f, err)
	f.Add(uint32(0), uint8(0), []byte{})
	for _, at := range []struct{ old, new string }{
		{`"status": "FAIL"`, `"status": "PASS"`},
		{`"verdict": "NOT READY"`, `"verdict": "READY"`},
		{`"KeyState": "Enabled"`, `"KeyState": "Disabled"`},
		{`allow_key_deletion: true`, `allow_key_deletion: false`},
		{`"run_id": "`, `"run_id": "x`},
	} {
		i := bytes.LastIndex(orig, []byte(at.old))
		require.GreaterOrEqual(f, i, 0, at.old)
		f.Add(uint32(i), uint8(len(at.old)), []byte(at.new))
	}
	f.Fuzz(func(t *testing.T, at uint32, n uint8, repl []byte) {
		i := int(at % uint32(len(orig)+1))
		j := min(i+int(n), len(orig))
		data := append(append(append([]byte{}, orig[:i]...), repl...), orig[j:]...)
		got, err := Verify(data)
		if err != nil {
			return
		}
		require.Equal(t, want.Verdict, got.Verdict)
		require.Len(t, got.Results, len(want.Results))
		for k := range want.Results {
			require.Equal(t, want.Results[k].Status, got.Results[k].Status, want.Results[k].ID)
			require.Equal(t, want.Results[k].Observed, got.Results[k].Observed, want.Results[k].ID)
		}
	})
}

// A live capture whose STS answered (LocalStack, AWS): the caller, target,
// account and region of the run are the capture's, and each is held to it.
func TestVerifyLiveCaptureWithCaller(t *testing.T) {
	data, err := os.ReadFile("../../fixtures/snapshots/compliant.json")
	require.NoError(t, err)
	var members map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(data, &members))
	members["Target"] = json.RawMessage(`{"Kind": "aws", "Region": "us-east-1", "Account": "111122223333"}`)
	members["GetCallerIdentity"] = json.RawMessage(`{"UserId": "AROAEXAMPLE:auditor", "Account": "111122223333", "Arn": "arn:aws:sts::111122223333:assumed-role/Auditor/auditor"}`)
	members["SimulatePrincipalPolicy"] = json.RawMessage(`{"NotRun": "not asked in this test"}`)
	members["RoundTrip"] = json.RawMessage(`{"Requested": false}`)
	capture, err := json.Marshal(members)
	require.NoError(t, err)
	state, err := keystate.Decode(capture)
	require.NoError(t, err)

	v := profileFile(t, exampleProfile)
	results, matrix := checks.Judge(state, v)
	run := &reports.Run{
		RunID: "r", Target: keystate.TargetFacts{Kind: "aws"}, Account: "111122223333", Region: "us-east-1",
		Caller: "arn:aws:sts::111122223333:assumed-role/Auditor/auditor", KeyARN: state.Key.Arn,
		Profile: reports.NewProfileRecord(exampleProfile, v.Profile().Content), Verdict: checks.Verdict(results), Results: results,
		AccessMatrix: matrix,
	}
	require.NoError(t, embed(run, state, v))
	orig := written(t, run)
	_, err = Verify(orig)
	require.NoError(t, err)

	for claim, data := range map[string][]byte{
		"caller":          replaceIn(t, orig, `"caller": "arn:aws:sts::111122223333:assumed-role/Auditor/auditor"`, `"caller": "arn:aws:sts::111122223333:assumed-role/Admin/x"`, 1),
		"target.kind":     replaceIn(t, orig, `"kind": "aws"`, `"kind": "localstack"`, 1),
		"target.endpoint": replaceIn(t, orig, `"kind": "aws"`, `"kind": "aws", "endpoint": "http://127.0.0.1:4566"`, 1),
		"region":          replaceIn(t, orig, `"region": "us-east-1"`, `"region": "us-west-2"`, 1),
	} {
		t.Run(claim, func(t *testing.T) {
			assert.Contains(t, claims(verifyError(t, data)), claim)
		})
	}
	// A saved capture evaluated offline is the other honest reading of it:
	// the same results, with "snapshot" as the target.
	_, err = Verify(replaceIn(t, orig, `"kind": "aws"`, `"kind": "snapshot"`, 1))
	assert.NoError(t, err)
}

// FuzzVerifyReadsBack: no input makes Verify panic; whatever it accepts,
// reports.ReadResults accepts too, and written again it verifies to the
// same results.
func FuzzVerifyReadsBack(f *testing.F) {
	f.Add([]byte(`{"schema_version":"1","run_id":"x","results":[],"target":{"kind":"aws"},"verdict":"READY","profile":{"content":"","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}`))
	f.Add([]byte(`{"schema_version":"1","run_id":"x","results":[],"target":{"kind":"snapshot"},"verdict":"READY","profile":{"content":"","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","canonical":"max_rotation_period_days: 365\n"},"catalog":{"version":"1","sha256":""},"snapshot":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		verified, err := Verify(data)
		if err != nil {
			return
		}
		read, err := reports.ReadResults(bytes.NewReader(data))
		require.NoError(t, err, "a verified file reads")
		again, err := Verify(written(t, read))
		require.NoError(t, err, "written again, it verifies")
		assert.Equal(t, verified.Results, again.Results)
		assert.Equal(t, verified.Verdict, again.Verdict)
	})
}

// The access matrix is derived like the verdict: a file whose matrix the
// evidence does not give (an unchosen holder hidden, a right softened) is
// not verified.
func TestVerifyHoldsTheAccessMatrix(t *testing.T) {
	data, err := os.ReadFile("../../fixtures/snapshots/noncompliant/user-may-disable.json")
	require.NoError(t, err)
	state, err := keystate.Decode(data)
	require.NoError(t, err)
	v := profileFile(t, exampleProfile)
	run, err := Evaluate(state, v, Source{Target: keystate.TargetFacts{Kind: keystate.KindSnapshot}})
	require.NoError(t, err)
	require.NotEmpty(t, run.AccessMatrix)
	orig := written(t, run)
	_, err = Verify(orig)
	require.NoError(t, err)

	// The chosen user's kms:DisableKey is not chosen (only administrators
	// may disable); a file that hides that is refused.
	require.Contains(t, string(orig), `"not_chosen": true`)
	tampered := replaceIn(t, orig, `"not_chosen": true`, `"not_chosen": false`, 1)
	_, err = Verify(tampered)
	var ve *VerifyError
	require.ErrorAs(t, err, &ve)
	assert.Contains(t, ve.Error(), "access_matrix")
}

// A results file names its format. One written before it did (catalog 6
// or earlier, whose judgement this build's checks do not repeat) or by a
// cmkcheck of another format is refused with what to do, not judged.
func TestVerifyHoldsTheSchemaVersion(t *testing.T) {
	orig := written(t, fixtureRun(t, "../../fixtures/snapshots/compliant.json", profileFile(t, exampleProfile)))
	require.True(t, bytes.HasPrefix(orig, []byte("{\n  \"schema_version\": \"1\",\n")), "the format is the file's first member")
	_, err := Verify(orig)
	require.NoError(t, err)

	for name, tc := range map[string]struct{ old, new, want string }{
		"missing": {"  \"schema_version\": \"1\",\n", "", "schema_version is missing: the file was written by a cmkcheck from before results files named their format (catalog 6 or earlier); read and verify it with the cmkcheck that wrote it, or evaluate its snapshot again"},
		"unknown": {`"schema_version": "1"`, `"schema_version": "2"`, `schema_version "2" is not one this cmkcheck reads (it reads "1"`},
	} {
		t.Run(name, func(t *testing.T) {
			_, err := Verify(bytes.Replace(orig, []byte(tc.old), []byte(tc.new), 1))
			require.Error(t, err)
			assert.NotErrorAs(t, err, new(*VerifyError), "not a claim judged again: the file is not read")
			assert.Contains(t, err.Error(), tc.want)
		})
	}
}
