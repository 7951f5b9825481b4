package reports

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
)

func TestResultsRoundTrip(t *testing.T) {
	for name, run := range map[string]*Run{"sample": sampleRun(t), "hostile": hostileRun(t)} {
		t.Run(name, func(t *testing.T) {
			var first bytes.Buffer
			require.NoError(t, WriteResults(&first, run))
			got, err := ReadResults(bytes.NewReader(first.Bytes()))
			require.NoError(t, err)
			var second bytes.Buffer
			require.NoError(t, WriteResults(&second, got))
			again, err := ReadResults(bytes.NewReader(second.Bytes()))
			require.NoError(t, err)
			var third bytes.Buffer
			require.NoError(t, WriteResults(&third, again))

			assert.Equal(t, second.String(), third.String(), "write, read, write is stable")
			assert.Equal(t, got, again)
			if name == "sample" {
				assert.Equal(t, run, got, "valid data comes back exactly")
				assert.Equal(t, first.String(), second.String())
			} else {
				// JSON cannot hold invalid UTF-8: the first write turns it into
				// U+FFFD (escaped as \ufffd), which later writes keep as is.
				assert.Equal(t, strings.ReplaceAll(run.Results[0].Title, "\xff\xfe", "\uFFFD\uFFFD"), got.Results[0].Title)
				assert.Equal(t, run.Snapshot, got.Snapshot, "the evidence comes back byte for byte")
				assert.Equal(t, run.SnapshotSHA256, got.SnapshotSHA256)
			}
		})
	}
}

// TestEvidenceVerbatim: the evidence in the file is the recorded bytes, so
// an auditor can cut it out and check it with sha256sum.
func TestEvidenceVerbatim(t *testing.T) {
	var b bytes.Buffer
	require.NoError(t, WriteResults(&b, sampleRun(t)))
	assert.Contains(t, b.String(), describeKeyRaw)

	assert.Equal(t, 1, strings.Count(b.String(), `"AWSAccountId"`), "each answer once")

	var doc struct {
		Results []struct {
			Evidence []checks.EvidenceRef `json:"evidence"`
		} `json:"results"`
		SnapshotSHA256 map[string]string          `json:"snapshot_sha256"`
		Snapshot       map[string]json.RawMessage `json:"snapshot"`
	}
	require.NoError(t, json.Unmarshal(b.Bytes(), &doc))
	require.Len(t, doc.Results, 5)
	assert.Equal(t, describeKeyRaw, string(doc.Snapshot["DescribeKey"]))
	assert.Equal(t, sha256Hex([]byte(describeKeyRaw)), doc.SnapshotSHA256["DescribeKey"])
	assert.Equal(t, []checks.EvidenceRef{{Member: "DescribeKey", Pointer: "/KeyMetadata/KeySpec"}}, doc.Results[0].Evidence)
	assert.Equal(t, []checks.EvidenceRef{}, doc.Results[3].Evidence, "none is [], never null")
}

func TestReadResultsRejects(t *testing.T) {
	var good bytes.Buffer
	require.NoError(t, WriteResults(&good, sampleRun(t)))
	valid := good.String()
	replace := func(old, new string) string {
		require.Contains(t, valid, old)
		return strings.Replace(valid, old, new, 1)
	}

	for name, tc := range map[string]struct{ input, want string }{
		"empty":                 {"", "the file is empty"},
		"not JSON":              {"hello", "not valid JSON at byte 1"},
		"YAML":                  {"run_id: x\n", "not valid JSON"},
		"truncated":             {valid[:len(valid)/2], "truncated"},
		"array":                 {"[]", "must hold one JSON object, not a JSON array"},
		"null":                  {"null", "results is missing"},
		"no results":            {`{"schema_version": "1", "run_id": "x"}`, "results is missing"},
		"no schema_version":     {replace(`"schema_version": "1",`, ``), "schema_version is missing: the file was written by a cmkcheck from before results files named their format (catalog 6 or earlier)"},
		"null schema_version":   {replace(`"schema_version": "1"`, `"schema_version": null`), "schema_version is missing"},
		"newer schema_version":  {replace(`"schema_version": "1"`, `"schema_version": "2", "new_member": true`), `schema_version "2" is not one this cmkcheck reads (it reads "1"`},
		"number schema_version": {replace(`"schema_version": "1"`, `"schema_version": 1`), `schema_version must be a string ("1"), not 1`},
		"trailing data":         {valid + "{}", "unexpected data after the results object"},
		"unknown field":         {replace(`"run_id"`, `"surprise": 1, "run_id"`), `unknown field "surprise"`},
		"unknown result field":  {replace(`"id": "CMK-CFG-1"`, `"id": "CMK-CFG-1", "extra": true`), `unknown field "extra"`},
		"number for string":     {replace(`"run_id": "run-0001"`, `"run_id": 7`), `field "run_id" must be a string, not a JSON number`},
		"string for object":     {replace(`"target": {`, `"target": "aws", "x": {`), `field "target" must be an object, not a JSON string`},
		"target with a region":  {replace(`"target": {`, `"target": {"region": "eu-west-1", `), "a run record's target is its kind and endpoint only"},
		"bad time":              {replace(`"start": "2025-03-14T09:26:53Z"`, `"start": "yesterday"`), "yesterday"},
		"status":                {replace(`"status": "PASS"`, `"status": "OK"`), `status "OK" is not one of`},
		"verdict tampered":      {replace(`"verdict": "NOT READY"`, `"verdict": "READY"`), "contradicts the results"},
		"evidence altered":      {replace(`"KeyState": "PendingDeletion"`, `"KeyState": "Enabled"`), `snapshot member "DescribeKey" does not match its sha256`},
		"digest missing":        {replace(`"snapshot_sha256": {`, `"snapshot_sha256": null, "x": {`), `unknown field "x"`},
		"digests missing":       {strings.Replace(valid, valid[strings.Index(valid, `"snapshot_sha256": {`):strings.Index(valid, `"snapshot": {`)], "", 1), "snapshot_sha256 is missing"},
		"an earlier format":     {replace(`"evidence": []`, `"evidence": {}`), "an earlier format"},
		"profile altered":       {replace(`shield: privacy-security`, `shield: healthcare`), "profile sha256"},
	} {
		t.Run(name, func(t *testing.T) {
			run, err := ReadResults(strings.NewReader(tc.input))
			require.Error(t, err)
			assert.Nil(t, run)
			assert.Contains(t, err.Error(), tc.want)
			assert.True(t, strings.HasPrefix(err.Error(), "read results file: "), err.Error())
		})
	}
}

// FuzzReadResults: no input makes ReadResults panic; whatever it accepts
// can be written and read again unchanged. (What audit.Verify accepts is
// audit's FuzzVerifyReadsBack.)
func FuzzReadResults(f *testing.F) {
	var b bytes.Buffer
	if err := WriteResults(&b, sampleRun(f)); err != nil {
		f.Fatal(err)
	}
	// Small seeds only: Go's fuzzer all but stalls on inputs the size of
	// a real results file (tens of KB); FuzzVerifyEdits edits one instead.
	f.Add(b.Bytes())
	f.Add([]byte(`{"schema_version":"1","run_id":"x","results":[],"target":{"kind":"aws"},"verdict":"READY","profile":{"content":"","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"}}`))
	f.Add([]byte(`{"schema_version":"1","results":[{"evidence":{"a":1}}]}`))
	f.Add([]byte(`{"schema_version":"1","run_id":"x","results":[],"target":{"kind":"snapshot"},"verdict":"READY","profile":{"content":"","sha256":"e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855","canonical":"max_rotation_period_days: 365\n"},"catalog":{"version":"1","sha256":""},"snapshot":{}}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := ReadResults(bytes.NewReader(data))
		if err != nil {
			return
		}
		var out bytes.Buffer
		require.NoError(t, WriteResults(&out, run))
		again, err := ReadResults(bytes.NewReader(out.Bytes()))
		require.NoError(t, err)
		var out2 bytes.Buffer
		require.NoError(t, WriteResults(&out2, again))
		assert.Equal(t, out.String(), out2.String())
	})
}
