package main

import (
	"encoding/json"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
)

// The JSON Schemas of docs/schemas are checked by check-jsonschema (PyPI,
// pinned in scripts/check-jsonschema/requirements.txt), never by reading
// back what cmkcheck wrote. scripts/check-jsonschema.sh installs it and
// prints its path, which CMK_CHECK_JSONSCHEMA names (make test does both).
const checkJSONSchemaEnv = "CMK_CHECK_JSONSCHEMA"

const (
	resultsSchema  = "../../docs/schemas/results.schema.json"
	snapshotSchema = "../../docs/schemas/snapshot.schema.json"
	profileSchema  = "../../docs/schemas/profile.schema.json"
)

// checkJSONSchema is the validator CMK_CHECK_JSONSCHEMA names. Unset, the
// test skips; set to something that does not run, the test fails: a
// schema check that silently did nothing would pass for one that passed.
func checkJSONSchema(t *testing.T) string {
	t.Helper()
	path := os.Getenv(checkJSONSchemaEnv)
	if path == "" {
		t.Skip(checkJSONSchemaEnv + " is not set (run scripts/check-jsonschema.sh, or make test), so the JSON Schema check is skipped")
	}
	out, err := exec.Command(path, "--version").CombinedOutput()
	require.NoError(t, err, "%s=%s does not run: %s", checkJSONSchemaEnv, path, out)
	return path
}

// schemaFailures validates files against schema in one run and returns
// the files that fail it, each with what check-jsonschema says of it.
func schemaFailures(t *testing.T, schema string, files []string) map[string][]string {
	t.Helper()
	require.NotEmpty(t, files)
	bin := checkJSONSchema(t)
	out, err := exec.Command(bin, append([]string{"--output-format", "json", "--schemafile", schema}, files...)...).Output()
	var report struct {
		Status string `json:"status"`
		Errors []struct {
			Filename string `json:"filename"`
			Path     string `json:"path"`
			Message  string `json:"message"`
		} `json:"errors"`
		ParseErrors []struct {
			Filename string `json:"filename"`
			Message  string `json:"message"`
		} `json:"parse_errors"`
	}
	require.NoError(t, json.Unmarshal(out, &report), "check-jsonschema did not answer in JSON (%v): %s", err, out)
	require.Empty(t, report.ParseErrors, "files check-jsonschema could not read")
	failed := map[string][]string{}
	for _, e := range report.Errors {
		failed[e.Filename] = append(failed[e.Filename], e.Path+": "+e.Message)
	}
	// The exit status and the report agree: nothing failed unseen.
	assert.Equal(t, len(failed) == 0, err == nil, "check-jsonschema's exit status (%v) and its report (%s)", err, report.Status)
	return failed
}

// requireSchemaValid fails the test for each file the schema refuses.
func requireSchemaValid(t *testing.T, schema string, files []string) {
	t.Helper()
	failed := schemaFailures(t, schema, files)
	for f, why := range failed {
		t.Errorf("%s does not fit %s:\n  %s", f, filepath.Base(schema), strings.Join(why, "\n  "))
	}
	t.Logf("%d of %d files fit %s", len(files)-len(failed), len(files), filepath.Base(schema))
}

// resultsFiles lists the results files under dir.
func resultsFiles(t *testing.T, dir string) []string {
	t.Helper()
	var files []string
	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(path, ".results.json") {
			files = append(files, path)
		}
		return err
	}))
	return files
}

func TestSchemasAreDraft202012(t *testing.T) {
	bin := checkJSONSchema(t)
	schemas, err := filepath.Glob("../../docs/schemas/*.schema.json")
	require.NoError(t, err)
	require.ElementsMatch(t, []string{resultsSchema, snapshotSchema, profileSchema}, schemas)
	for _, s := range schemas {
		var doc struct {
			Schema string `json:"$schema"`
		}
		data, err := os.ReadFile(s)
		require.NoError(t, err)
		require.NoError(t, json.Unmarshal(data, &doc), s)
		assert.Equal(t, "https://json-schema.org/draft/2020-12/schema", doc.Schema, s)
	}
	out, err := exec.Command(bin, append([]string{"--check-metaschema"}, schemas...)...).CombinedOutput()
	assert.NoError(t, err, "%s", out)
}

// Every fixture snapshot fits the snapshot schema, and so does a live
// capture (--save-snapshot of an audit on the embedded target).
func TestSnapshotSchemaFitsEveryFixture(t *testing.T) {
	checkJSONSchema(t)
	live := filepath.Join(t.TempDir(), "live.json")
	code, _, stderr := cmkcheck(t, nil, "audit", "--out", filepath.Join(t.TempDir(), "out"), "--save-snapshot", live, "--profile", example)
	require.Contains(t, []int{exitReady, exitNotReady}, code, stderr)
	requireSchemaValid(t, snapshotSchema, append(fixtureSnapshots(t), live))
}

// A snapshot cmkcheck refuses, or one whose answer it cannot read (its
// checks are ERROR), does not fit the schema: each edit of the compliant
// fixture is judged by keystate and by the schema, which must agree.
func TestSnapshotSchemaRefusesWhatCmkcheckCannotRead(t *testing.T) {
	checkJSONSchema(t)
	base, err := os.ReadFile(compliant)
	require.NoError(t, err)
	var members map[string]json.RawMessage
	require.NoError(t, json.Unmarshal(base, &members))
	edit := func(changes map[string]string) []byte {
		m := map[string]json.RawMessage{}
		for k, v := range members {
			m[k] = v
		}
		for k, v := range changes {
			if v == "" {
				delete(m, k)
			} else {
				m[k] = json.RawMessage(v)
			}
		}
		b, err := json.Marshal(m)
		require.NoError(t, err)
		return b
	}
	bad := map[string][]byte{
		"not an object":                 []byte(`[1, 2]`),
		"unknown member":                edit(map[string]string{"DescribeKeys": `{}`}),
		"target without region":         edit(map[string]string{"Target": `{"kind": "aws"}`}),
		"target with an unknown field":  edit(map[string]string{"Target": `{"kind": "aws", "region": "us-east-1", "profile": "x"}`}),
		"collection error for a member": edit(map[string]string{"CollectionErrors": `{"DescribeKey": "denied"}`}),
		"collection error, no reason":   edit(map[string]string{"DescribeKey": "", "CollectionErrors": `{"DescribeKey": " "}`}),
		"key without an ARN":            edit(map[string]string{"DescribeKey": `{"KeyMetadata": {"KeyId": "k"}}`}),
		"rotation as a string":          edit(map[string]string{"GetKeyRotationStatus": `{"KeyRotationEnabled": "yes"}`}),
		"truncated grants":              edit(map[string]string{"ListGrants": `{"Grants": [], "Truncated": true}`}),
		"grant without operations":      edit(map[string]string{"ListGrants": `{"Grants": [{"GrantId": "g", "GranteePrincipal": "arn:aws:iam::111122223333:role/R", "Operations": []}]}`}),
		"policy not a string":           edit(map[string]string{"GetKeyPolicy": `{"Policy": {"Version": "2012-10-17"}}`}),
		"identity of two forms":         edit(map[string]string{"GetCallerIdentity": `{"Account": "111122223333", "Arn": "arn:aws:iam::111122223333:user/a", "NotRun": "no STS"}`}),
		"round trip not requested, run": edit(map[string]string{"RoundTrip": `{"Requested": false, "PlaintextMatches": true}`}),
		"error without detail":          edit(map[string]string{"SimulatePrincipalPolicy": `{"Error": {"Code": "AccessDenied"}}`}),
		"IAM answer without roles":      edit(map[string]string{"GetAccountAuthorizationDetails": `{"UserDetailList": [], "GroupDetailList": [], "Policies": []}`}),
		"rules with a page left":        edit(map[string]string{"ListRules": `{"Rules": [], "NextToken": "t"}`}),
		"baseline of a baseline":        edit(map[string]string{"Baseline": `{"SHA256": "` + strings.Repeat("a", 64) + `", "Kind": "snapshot", "Snapshot": {"Baseline": {}}}`}),
	}
	good := map[string][]byte{
		"the fixture":                   base,
		"a member missing":              edit(map[string]string{"ListGrants": ""}),
		"an answer with a newer field":  edit(map[string]string{"GetKeyRotationStatus": `{"KeyRotationEnabled": true, "NextRotationDate": "2027-01-01T00:00:00Z"}`}),
		"a collection error, no answer": edit(map[string]string{"ListGrants": "", "CollectionErrors": `{"ListGrants": "kms:ListGrants failed: AccessDenied"}`}),
		"epoch seconds":                 edit(map[string]string{"DescribeKey": `{"KeyMetadata": {"KeyId": "k", "Arn": "arn:aws:kms:us-east-1:111122223333:key/k", "CreationDate": 1700000000.5}}`}),
	}
	dir := t.TempDir()
	var files []string
	refused := map[string]bool{}
	for _, set := range []map[string][]byte{bad, good} {
		for name, data := range set {
			path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
			require.NoError(t, os.WriteFile(path, data, 0o644))
			files = append(files, path)
			refused[path] = unreadable(data)
		}
	}
	failed := schemaFailures(t, snapshotSchema, files)
	sort.Strings(files)
	for _, f := range files {
		_, schemaRefuses := failed[f]
		assert.Equal(t, refused[f], schemaRefuses, "%s: cmkcheck refuses or cannot read it: %v; the schema refuses it: %v %v", filepath.Base(f), refused[f], schemaRefuses, failed[f])
	}
	for name := range bad {
		assert.True(t, refused[filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")], "%s: the case is one cmkcheck does not read", name)
	}
}

// unreadable says whether cmkcheck refuses a snapshot, or holds an answer
// of it it cannot read.
func unreadable(data []byte) bool {
	s, err := keystate.Decode(data)
	if err != nil {
		return true
	}
	for name := range s.Raw {
		if s.Problem(name) != "" {
			return true
		}
	}
	return false
}

// Every fixture profile fits the profile schema; profiles cmkcheck refuses
// for a value a schema can describe do not.
func TestProfileSchema(t *testing.T) {
	checkJSONSchema(t)
	profiles := slices.DeleteFunc(fixtureProfiles(t), func(p string) bool { return p == "" })
	requireSchemaValid(t, profileSchema, profiles)

	bad := map[string]string{
		"unknown field":        "regoin: us-east-1\n",
		"wrong type":           "roundtrip: sometimes\n",
		"list for a string":    "region: [us-east-1]\n",
		"string for a list":    "key_users: arn:aws:iam::111122223333:role/A\n",
		"malformed admin ARN":  "key_administrators: [arn:aws:iam::1111:role/A]\n",
		"group for a user":     "key_users: ['arn:aws:iam::111122223333:group/G']\n",
		"short account":        "allowed_external_accounts: ['12345']\n",
		"region typo":          "region: useast1\n",
		"shield":               "shield: gold\n",
		"rotation too short":   "max_rotation_period_days: 30\n",
		"fraction for days":    "max_rotation_period_days: 365.5\n",
		"bad key":              "key: my key\n",
		"empty list item":      "adobe_principals:\n  - \n",
		"not a mapping":        "- a\n- b\n",
		"list for a tag value": "required_tags: {Adobe: [x]}\n",
	}
	dir := t.TempDir()
	var files []string
	for name, text := range bad {
		_, err := profile.Parse([]byte(text))
		require.Error(t, err, "%s: cmkcheck refuses it", name)
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".yaml")
		require.NoError(t, os.WriteFile(path, []byte(text), 0o644))
		files = append(files, path)
	}
	failed := schemaFailures(t, profileSchema, files)
	for _, f := range files {
		assert.Contains(t, failed, f, "the schema accepts %s, which cmkcheck refuses", filepath.Base(f))
	}
}

// The results files of an audit on the embedded target and of a fleet
// fit the results schema (every fixture's are checked where they are
// written, in TestEveryFixtureWritesAResultsFileThatVerifies), and the
// schema holds the verdict to the results.
func TestResultsSchema(t *testing.T) {
	checkJSONSchema(t)
	dir := t.TempDir()
	code, _, stderr := cmkcheck(t, nil, "audit", "--out", filepath.Join(dir, "audit"), "--profile", example)
	require.Contains(t, []int{exitReady, exitNotReady}, code, stderr)
	keys := filepath.Join(dir, "keys.txt")
	require.NoError(t, os.WriteFile(keys, []byte("alias/Not-Made-Yet\n"), 0o644))
	code, _, stderr = cmkcheck(t, map[string]string{"CMK_KEYS_FILE": keys}, "audit", "--out", filepath.Join(dir, "fleet"))
	require.Equal(t, exitNotReady, code, stderr)
	files := resultsFiles(t, dir)
	require.GreaterOrEqual(t, len(files), 2, "the audit's and the fleet key's")
	requireSchemaValid(t, resultsSchema, files)

	data, err := os.ReadFile(files[0])
	require.NoError(t, err)
	edited := map[string]string{}
	for name, change := range map[string]func(map[string]any){
		"verdict contradicting the results": func(d map[string]any) {
			if d["verdict"] == "READY" {
				d["verdict"] = "NOT READY"
			} else {
				d["verdict"] = "READY"
			}
		},
		"no schema_version":       func(d map[string]any) { delete(d, "schema_version") },
		"another schema":          func(d map[string]any) { d["schema_version"] = "2" },
		"a status of its own":     func(d map[string]any) { d["results"].([]any)[0].(map[string]any)["status"] = "OK" },
		"a start that is no time": func(d map[string]any) { d["start"] = "yesterday" },
		"an unknown member":       func(d map[string]any) { d["surprise"] = 1 },
		"an unknown snapshot member": func(d map[string]any) {
			d["snapshot"].(map[string]any)["Surprise"] = 1
		},
	} {
		var d map[string]any
		require.NoError(t, json.Unmarshal(data, &d))
		change(d)
		b, err := json.Marshal(d)
		require.NoError(t, err)
		path := filepath.Join(dir, strings.ReplaceAll(name, " ", "-")+".json")
		require.NoError(t, os.WriteFile(path, b, 0o644))
		edited[name] = path
	}
	failed := schemaFailures(t, resultsSchema, slices.Collect(maps.Values(edited)))
	for name, path := range edited {
		assert.Contains(t, failed, path, "the schema accepts a file with %s", name)
		code, _, _ := cmkcheck(t, nil, "verify", "--results", path)
		assert.Equal(t, exitUsage, code, "cmkcheck refuses a file with %s too", name)
	}
}
