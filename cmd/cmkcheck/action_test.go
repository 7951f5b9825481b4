package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/testkit/provisiontest"
)

// actionRun is one run of scripts/action.sh, the GitHub Action's shell.
type actionRun struct {
	code                    int
	log, summary, outputs   string
	out                     string // the evidence directory
	resultsWritten, sarifed bool
}

// runAction runs scripts/action.sh with the Action's inputs in env (and
// nothing of the caller's CMK_ or GITHUB_ environment), as GitHub would.
func runAction(t *testing.T, inputs map[string]string) actionRun {
	t.Helper()
	for _, tool := range []string{"bash", "curl", "sha256sum"} {
		if _, err := exec.LookPath(tool); err != nil {
			t.Skipf("scripts/action.sh needs %s", tool)
		}
	}
	script, err := filepath.Abs("../../scripts/action.sh")
	require.NoError(t, err)
	work := t.TempDir()
	r := actionRun{out: filepath.Join(work, "evidence")}
	summary, outputs := filepath.Join(work, "summary.md"), filepath.Join(work, "outputs")
	cmd := exec.Command("bash", script)
	cmd.Dir = work
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "CMK_") && !strings.HasPrefix(kv, "GITHUB_") && !strings.HasPrefix(kv, "CMKCHECK_") {
			cmd.Env = append(cmd.Env, kv)
		}
	}
	cmd.Env = append(cmd.Env, "GITHUB_STEP_SUMMARY="+summary, "GITHUB_OUTPUT="+outputs, "RUNNER_TEMP="+work, "CMK_ACTION_OUT="+r.out)
	for k, v := range inputs {
		cmd.Env = append(cmd.Env, k+"="+v)
	}
	log, err := cmd.CombinedOutput()
	r.log = string(log)
	var exit *exec.ExitError
	if err != nil {
		require.ErrorAs(t, err, &exit, r.log)
		r.code = exit.ExitCode()
	}
	read := func(path string) string { b, _ := os.ReadFile(path); return string(b) }
	r.summary, r.outputs = read(summary), read(outputs)
	_, err = os.Stat(filepath.Join(r.out, "cmk-audit.results.json"))
	r.resultsWritten = err == nil
	return r
}

// A release as the release workflow publishes it (scripts/dist.sh for the
// host), under DIR/v9.9.9, and the binary in it.
func release(t *testing.T) (dir, binary string) {
	t.Helper()
	built, said, err := dist(t, "VERSION=v9.9.9", "COMMIT=0123456789abcdef0123456789abcdef01234567", "DATE=2026-12-06T10:00:00Z")
	require.NoError(t, err, said)
	dir = t.TempDir()
	require.NoError(t, os.Rename(built, filepath.Join(dir, "v9.9.9")))
	return dir, hostBinary(filepath.Join(dir, "v9.9.9"))
}

// The Action's script on the embedded emulator: with a binary given, or a
// release downloaded and checked against its SHA256SUMS (from a file://
// copy of one); it exits as cmkcheck does, with fail-on warn too, writes the
// job summary and its outputs, and refuses a tampered download and bad
// inputs with exit 2 before any audit.
func TestActionScript(t *testing.T) {
	releases, binary := release(t)
	data, err := os.ReadFile(example)
	require.NoError(t, err)
	prof, err := filepath.Abs(example)
	require.NoError(t, err)
	strict := filepath.Join(t.TempDir(), "strict-alias.yaml") // CMK-LBL-2 WARN, as in TestFailOnWarn
	require.NoError(t, os.WriteFile(strict, append(data, "\nalias_pattern: \"^alias/no-such-prefix-\"\n"...), 0o644))
	embedded := map[string]string{"CMK_ACTION_TARGET": "embedded", "CMK_ACTION_PROFILE": prof}
	with := func(extra ...string) map[string]string {
		m := map[string]string{}
		for k, v := range embedded {
			m[k] = v
		}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}

	t.Run("binary given", func(t *testing.T) {
		r := runAction(t, with("CMKCHECK_BINARY", binary))
		require.Equal(t, 0, r.code, r.log)
		assert.True(t, r.resultsWritten, r.log)
		assert.NotContains(t, r.log, "downloading")
		assert.Contains(t, r.summary, "### cmkcheck audit: exit 0\n\nREADY.")
		assert.Contains(t, r.summary, "cmkcheck v9.9.9, fail-on error")
		assert.Contains(t, r.summary, "READY", "cmkcheck's own table follows")
		assert.Contains(t, r.outputs, "exit-code=0\nout="+r.out+"\nsarif=\n")
	})
	t.Run("release downloaded and checked", func(t *testing.T) {
		r := runAction(t, with("CMKCHECK_VERSION", "v9.9.9", "CMKCHECK_RELEASES", "file://"+releases))
		require.Equal(t, 0, r.code, r.log)
		assert.Contains(t, r.log, "downloading "+filepath.Base(binary)+" and SHA256SUMS of v9.9.9")
		assert.Contains(t, r.log, filepath.Base(binary)+": OK")
		assert.True(t, r.resultsWritten)
	})
	t.Run("built from the Action's source", func(t *testing.T) {
		if _, err := exec.LookPath("go"); err != nil {
			t.Skip("no go to build with")
		}
		src, err := filepath.Abs("../..")
		require.NoError(t, err)
		r := runAction(t, with("CMKCHECK_SOURCE", src))
		require.Equal(t, 0, r.code, r.log)
		assert.Contains(t, r.log, "building cmkcheck from "+src)
		assert.True(t, r.resultsWritten)
	})
	t.Run("sarif", func(t *testing.T) {
		r := runAction(t, with("CMKCHECK_BINARY", binary, "CMK_ACTION_PROFILE", strict, "CMK_ACTION_SARIF", "true"))
		require.Equal(t, 0, r.code, r.log)
		sarif := filepath.Join(r.out, "cmkcheck.sarif")
		assert.Contains(t, r.outputs, "sarif="+sarif+"\n", "the upload step is given the file")
		data, err := os.ReadFile(sarif)
		require.NoError(t, err, r.log)
		assert.True(t, strings.Contains(string(data), `"ruleId":"CMK-LBL-2"`), "the WARN is a code-scanning result")
	})
	t.Run("fail-on warn", func(t *testing.T) {
		r := runAction(t, with("CMKCHECK_BINARY", binary, "CMK_ACTION_PROFILE", strict, "CMK_ACTION_FAIL_ON", "warn"))
		assert.Equal(t, 1, r.code, r.log)
		assert.Contains(t, r.log, "--fail-on warn, and CMK-LBL-2 WARN")
		assert.Contains(t, r.summary, "### cmkcheck audit: exit 1")
		assert.Contains(t, r.outputs, "exit-code=1\n")
		assert.True(t, r.resultsWritten, "the evidence of a failing audit is kept for the upload")
		r = runAction(t, with("CMKCHECK_BINARY", binary, "CMK_ACTION_PROFILE", strict))
		assert.Equal(t, 0, r.code, "the same key with fail-on error: %s", r.log)
	})
	t.Run("tampered download", func(t *testing.T) {
		// A copy of the release whose binary is not the one summed.
		tampered := t.TempDir()
		require.NoError(t, os.Mkdir(filepath.Join(tampered, "v9.9.9"), 0o755))
		sums, err := os.ReadFile(filepath.Join(releases, "v9.9.9", "SHA256SUMS"))
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(tampered, "v9.9.9", "SHA256SUMS"), sums, 0o644))
		require.NoError(t, os.WriteFile(filepath.Join(tampered, "v9.9.9", filepath.Base(binary)), []byte("#!/bin/sh\necho READY\n"), 0o755))
		r := runAction(t, with("CMKCHECK_VERSION", "v9.9.9", "CMKCHECK_RELEASES", "file://"+tampered))
		assert.Equal(t, 2, r.code, r.log)
		assert.Contains(t, r.log, "does not match its digest in SHA256SUMS of v9.9.9: not used")
		assert.NotContains(t, r.log, "echo READY")
		assert.False(t, r.resultsWritten)
		assert.Empty(t, r.outputs, "no outputs, so no evidence upload of a run that did not happen")
	})
	for _, tc := range []struct {
		name   string
		inputs []string
		says   string
	}{
		{"two selections", []string{"CMK_ACTION_KEY", "alias/x", "CMK_ACTION_ALL", "true"}, "inputs key all are given: give one of key, keys-file, all"},
		{"all not a boolean", []string{"CMK_ACTION_ALL", "yes"}, `input all is "yes": want true or false`},
		{"sarif not a boolean", []string{"CMK_ACTION_SARIF", "1"}, `input sarif is "1": want true or false`},
		{"version not a tag", []string{"CMKCHECK_VERSION", "latest; rm -rf /"}, "want a release tag such as v1.2.3"},
		{"binary not there", []string{"CMKCHECK_BINARY", "/no/such/cmkcheck"}, "input binary /no/such/cmkcheck is not an executable file"},
		{"no way to get cmkcheck", []string{"CMKCHECK_SOURCE", t.TempDir()}, "no binary, no version and no source tree"},
		{"fail-on unknown", []string{"CMKCHECK_BINARY", "", "CMK_ACTION_FAIL_ON", "sometimes"}, "-fail-on: want error or warn"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inputs := with(tc.inputs...)
			if _, ok := inputs["CMKCHECK_BINARY"]; ok && inputs["CMKCHECK_BINARY"] == "" {
				inputs["CMKCHECK_BINARY"] = binary
			}
			r := runAction(t, inputs)
			assert.Equal(t, 2, r.code, r.log)
			assert.Contains(t, r.log, tc.says)
			assert.False(t, r.resultsWritten)
		})
	}
}

// The Action's script against LocalStack (make test-localstack): a key
// made the way the guide says is READY with CMK-MON-1 WARN there, so the
// Action passes with fail-on error and fails with fail-on warn; as a fleet
// (keys-file) the job summary holds the fleet's index.
func TestLocalStackActionScript(t *testing.T) {
	if os.Getenv(env.Target) != keystate.KindLocalStack {
		t.Skip("needs CMK_TARGET=localstack and LOCALSTACK_ENDPOINT")
	}
	_, binary := release(t)
	const account = "111122223333" // the profile's principals' (see TestLocalStackFleetFailOnWarn)
	tg, err := env.Vars(os.Getenv).Opener().Open(t.Context(), keystate.KindLocalStack, "", account)
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	p, err := profile.Load(example, func(string) string { return "" })
	require.NoError(t, err)
	key := provisiontest.CreateKey(t, tg.Config, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind), provisiontest.DeleteKey)
	prof, err := filepath.Abs(example)
	require.NoError(t, err)
	keys := filepath.Join(t.TempDir(), "keys.txt")
	require.NoError(t, os.WriteFile(keys, []byte(key.KeyID+"\n"), 0o644))
	inputs := func(extra ...string) map[string]string {
		m := map[string]string{"CMKCHECK_BINARY": binary, "CMK_ACTION_TARGET": "localstack", "CMK_ACTION_PROFILE": prof,
			env.LocalStackEndpoint: tg.Endpoint, env.AccessKeyID: account}
		for i := 0; i < len(extra); i += 2 {
			m[extra[i]] = extra[i+1]
		}
		return m
	}

	r := runAction(t, inputs("CMK_ACTION_KEY", key.KeyID))
	require.Equal(t, 0, r.code, r.log)
	assert.True(t, r.resultsWritten)
	assert.Contains(t, r.summary, "### cmkcheck audit: exit 0")
	r = runAction(t, inputs("CMK_ACTION_KEY", key.KeyID, "CMK_ACTION_FAIL_ON", "warn"))
	assert.Equal(t, 1, r.code, r.log)
	assert.Contains(t, r.log, "CMK-MON-1 WARN")

	r = runAction(t, inputs("CMK_ACTION_KEYS_FILE", keys))
	require.Equal(t, 0, r.code, r.log)
	assert.Contains(t, r.summary, "# Fleet audit: READY", "the fleet's index is the summary")
	assert.Contains(t, r.summary, key.KeyID)
}
