package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/reports"
)

func sha256Hex(b []byte) string {
	sum := sha256.Sum256(b)
	return hex.EncodeToString(sum[:])
}

// resultsOf writes the results file of a snapshot evaluation and of a live
// audit on the embedded emulator, the two ways a team makes one.
func resultsOf(t *testing.T) map[string][]byte {
	t.Helper()
	dir := t.TempDir()
	offline := filepath.Join(dir, "offline.json")
	code, _, errOut := cmkcheck(t, nil, "evaluate", "--snapshot", "../../fixtures/snapshots/noncompliant/lock-out.json", "--profile", example, "--results", offline)
	require.Equal(t, exitNotReady, code, errOut)
	live := filepath.Join(dir, "live")
	code, _, errOut = cmkcheck(t, nil, "audit", "--target", "embedded", "--profile", example, "--out", live)
	require.Equal(t, exitReady, code, errOut)
	out := map[string][]byte{}
	for name, path := range map[string]string{"offline": offline, "live": filepath.Join(live, "cmk-audit.results.json")} {
		b, err := os.ReadFile(path)
		require.NoError(t, err)
		out[name] = b
	}
	return out
}

// The issue's edit, and a byte-identical copy, through both commands.
func TestVerifyCatchesTheIssue14Edit(t *testing.T) {
	dir := t.TempDir()
	orig := resultsOf(t)["offline"]
	copyPath := filepath.Join(dir, "copy.json")
	require.NoError(t, os.WriteFile(copyPath, orig, 0o600))
	code, out, errOut := cmkcheck(t, nil, "verify", "--results", copyPath)
	assert.Equal(t, exitNotReady, code, errOut)
	assert.True(t, strings.HasPrefix(out, "verified: "+copyPath+"\n"), out)
	assert.Contains(t, out, "sha256:       "+sha256Hex(orig))
	assert.Contains(t, out, fmt.Sprintf("judged again: %d results", len(checks.Catalog())))
	assert.Contains(t, out, "not judged:   the run ID, times")
	assert.True(t, strings.HasSuffix(out, "verdict: NOT READY\n"), out)

	edited := strings.ReplaceAll(string(orig), `"status": "FAIL"`, `"status": "PASS"`)
	edited = strings.ReplaceAll(edited, `"verdict": "NOT READY"`, `"verdict": "READY"`)
	editedPath := filepath.Join(dir, "edited.json")
	require.NoError(t, os.WriteFile(editedPath, []byte(edited), 0o600))
	for _, cmd := range [][]string{
		{"verify", "--results", editedPath},
		{"report", "--results", editedPath, "--junit", filepath.Join(dir, "r.xml"), "--markdown", filepath.Join(dir, "r.md")},
	} {
		code, out, errOut := cmkcheck(t, nil, cmd...)
		assert.Equal(t, exitUsage, code, "%s: %s", cmd[0], out)
		assert.Empty(t, out, "%s prints no verdict", cmd[0])
		assert.Contains(t, errOut, "cmkcheck: results "+editedPath+": the results file was altered: 3 of its claims differ")
		for _, line := range []string{
			`CMK-ADM-1 status: the file says "PASS"; its evidence says "FAIL"`,
			`CMK-ADM-3 status: the file says "PASS"; its evidence says "FAIL"`,
			`verdict: the file says "READY"; its evidence says "NOT READY"`,
		} {
			assert.Contains(t, errOut, "\n  "+line+"\n", cmd[0])
		}
		assert.NotContains(t, errOut, "verdict: READY")
	}
	assert.NoFileExists(t, filepath.Join(dir, "r.xml"), "nothing is rendered from an altered file")
	assert.NoFileExists(t, filepath.Join(dir, "r.md"))
}

// edit is one alteration of a results file, and the claim verify must name.
type edit struct {
	name  string
	apply func(t *testing.T, data []byte) []byte
	claim string
}

// replaceNth replaces the n-th match (from 1; -1 the last) of re.
func replaceNth(t *testing.T, data []byte, re, repl string, n int) []byte {
	t.Helper()
	locs := regexp.MustCompile(re).FindAllIndex(data, -1)
	require.NotEmpty(t, locs, "%s in the results file", re)
	if n < 0 {
		n = len(locs)
	}
	require.LessOrEqual(t, n, len(locs))
	l := locs[n-1]
	return append(append(append([]byte{}, data[:l[0]]...), repl...), data[l[1]:]...)
}

// viaRun edits the run and writes the file again, every digest recomputed.
func viaRun(t *testing.T, data []byte, f func(*reports.Run)) []byte {
	t.Helper()
	run, err := reports.ReadResults(bytes.NewReader(data))
	require.NoError(t, err)
	f(run)
	var b bytes.Buffer
	require.NoError(t, reports.WriteResults(&b, run))
	return b.Bytes()
}

// TestVerifyTamperTable: issue 14 item 2. Each part of a results file,
// edited, in a file from a snapshot evaluation and in one from a live
// audit: verify and report both exit 2 naming it, and render nothing.
func TestVerifyTamperTable(t *testing.T) {
	files := resultsOf(t)
	edits := []edit{
		{"a status", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `"status": "PASS"`, `"status": "WARN"`, 1)
		}, "CMK-AVL-1 status"},
		{"the verdict", func(t *testing.T, d []byte) []byte {
			if bytes.Contains(d, []byte(`"verdict": "NOT READY"`)) {
				return replaceNth(t, d, `"verdict": "NOT READY"`, `"verdict": "READY"`, 1)
			}
			return replaceNth(t, d, `"verdict": "READY"`, `"verdict": "NOT READY"`, 1)
		}, "verdict"},
		{"an observed text", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `"observed": "[^"]*"`, `"observed": "all good"`, 1)
		}, "CMK-AVL-1 observed"},
		{"a raw answer (in the snapshot)", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `"Description": ?"[^"]*"`, `"Description": "approved by security"`, -1)
		}, "CMK-LBL-3 observed"},
		// The answers are in the snapshot once; a result names them. The
		// edit of a result's copy of an answer now edits its reference.
		{"a result's evidence reference (file rewritten)", func(t *testing.T, d []byte) []byte {
			return viaRun(t, d, func(r *reports.Run) {
				for i := range r.Results {
					if r.Results[i].ID == "CMK-CFG-5" {
						r.Results[i].Evidence = []checks.EvidenceRef{{Member: "DescribeKey", Pointer: "/KeyMetadata/KeyId"}}
					}
				}
			})
		}, `CMK-CFG-5 evidence "DescribeKey"`},
		{"the profile", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `allow_key_deletion: true\\n`, `allow_key_deletion: false\n`, -1)
		}, "profile.content"},
		{"the profile file (digest left)", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `shield: privacy-security`, `shield: healthcare`, 1)
		}, "profile.sha256"},
		{"the run metadata: key ARN", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `"key_arn": "arn:aws:kms:([^:]*):([0-9]*):key/`, `"key_arn": "arn:aws:kms:$1:$2:key/0`, 1)
		}, "key_arn"},
		{"the run metadata: account", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `"account": "[0-9]*"`, `"account": "444455556666"`, 1)
		}, "account"},
		{"the run metadata: region", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `"region": "[a-z0-9-]*"`, `"region": "eu-central-1"`, 1)
		}, "region"},
		{"the run metadata: target", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `"kind": "[a-z]*"`, `"kind": "aws"`, 1)
		}, "target.kind"},
		{"the run metadata: caller", func(t *testing.T, d []byte) []byte {
			return replaceNth(t, d, `"key_arn":`, `"caller": "arn:aws:iam::111122223333:role/Auditor", "key_arn":`, 1)
		}, "caller"},
	}
	for fileName, orig := range files {
		for _, e := range edits {
			t.Run(fileName+"/"+e.name, func(t *testing.T) {
				dir := t.TempDir()
				path := filepath.Join(dir, "results.json")
				data := e.apply(t, orig)
				require.NotEqual(t, string(orig), string(data), "the edit changed the file")
				require.NoError(t, os.WriteFile(path, data, 0o600))
				for _, cmd := range [][]string{
					{"verify", "--results", path},
					{"report", "--results", path, "--junit", filepath.Join(dir, "r.xml"), "--markdown", filepath.Join(dir, "r.md")},
				} {
					code, out, errOut := cmkcheck(t, nil, cmd...)
					assert.Equal(t, exitUsage, code, "%s: %s", cmd[0], out)
					assert.Contains(t, errOut, "the results file was altered", cmd[0])
					assert.Contains(t, errOut, "\n  "+e.claim, cmd[0])
					assert.Contains(t, errOut, "no report is rendered from it", cmd[0])
				}
				assert.NoFileExists(t, filepath.Join(dir, "r.xml"))
				assert.NoFileExists(t, filepath.Join(dir, "r.md"))
			})
		}
	}
}

// The file unchanged verifies, and report renders it with its digest; a
// file without the evidence is never verified.
func TestVerifyUnchangedAndOldFiles(t *testing.T) {
	for name, orig := range resultsOf(t) {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "results.json")
			require.NoError(t, os.WriteFile(path, orig, 0o600))
			want := exitReady
			if bytes.Contains(orig, []byte(`"verdict": "NOT READY"`)) {
				want = exitNotReady
			}
			code, out, errOut := cmkcheck(t, nil, "verify", "--results", path, "--format", "json")
			assert.Equal(t, want, code, errOut)
			assert.Contains(t, errOut, "verified: "+path, "with --format json the statement goes to stderr")
			var c contract
			require.NoError(t, json.Unmarshal([]byte(out), &c), "stdout is the contract's JSON")
			assert.Len(t, c.Results, len(checks.Catalog()))

			md := filepath.Join(dir, "r.md")
			code, _, errOut = cmkcheck(t, nil, "report", "--results", path, "--markdown", md)
			assert.Equal(t, want, code, errOut)
			b, err := os.ReadFile(md)
			require.NoError(t, err)
			assert.Contains(t, string(b), "- Results file: sha256 "+sha256Hex(orig)+" ")
		})
	}

	// A file as written before cmkcheck kept its evidence, the canonical
	// profile and the catalog in it.
	old := filepath.Join(t.TempDir(), "old.json")
	require.NoError(t, os.WriteFile(old, viaRun(t, resultsOf(t)["offline"], func(r *reports.Run) {
		r.Snapshot, r.Profile.Canonical, r.Catalog = nil, "", nil
	}), 0o600))
	for _, cmd := range [][]string{{"verify", "--results", old}, {"report", "--results", old}} {
		code, out, errOut := cmkcheck(t, nil, cmd...)
		assert.Equal(t, exitUsage, code, cmd[0])
		assert.Empty(t, out)
		assert.Contains(t, errOut, "the results file cannot be judged again: it holds no snapshot of its evidence")
		assert.Contains(t, errOut, "so it is not verified")
	}
}

func TestVerifyUsage(t *testing.T) {
	for name, tc := range map[string]struct {
		args []string
		want string
	}{
		"no file":     {[]string{"verify"}, "verify needs --results FILE"},
		"absent file": {[]string{"verify", "--results", filepath.Join(t.TempDir(), "none.json")}, "none.json"},
		"bad format":  {[]string{"verify", "--results", "x", "--format", "xml"}, `--format "xml"`},
		"a snapshot":  {[]string{"verify", "--results", compliant}, `unknown field "DescribeKey"`},
	} {
		t.Run(name, func(t *testing.T) {
			code, _, errOut := cmkcheck(t, nil, tc.args...)
			assert.Equal(t, exitUsage, code)
			assert.Contains(t, errOut, tc.want)
		})
	}
}
