package main

import (
	"os"
	"path/filepath"
	"slices"
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

// --fail-on warn: a READY run with a WARN exits 1 and says which check;
// the verdict it prints stays READY. The default (error) and --fail-on
// error exit 0 for the same run; a run without WARN exits 0 either way,
// and NOT READY is 1 either way. On evaluate (snapshot, plan) and audit.
func TestFailOnWarn(t *testing.T) {
	// The example profile with an alias pattern the provisioned key's
	// alias does not match: CMK-LBL-2 is WARN, the key READY.
	data, err := os.ReadFile(example)
	require.NoError(t, err)
	strict := filepath.Join(t.TempDir(), "strict-alias.yaml")
	require.NoError(t, os.WriteFile(strict, append(data, "\nalias_pattern: \"^alias/no-such-prefix-\"\n"...), 0o644))

	noDescription := "../../fixtures/snapshots/noncompliant/no-description.json"
	rotationOff := "../../fixtures/iac/terraform/rotation-off/plan.json"
	for _, tc := range []struct {
		name     string
		args     []string
		warned   string // "" when the run has no WARN
		notReady bool
	}{
		{"snapshot with a WARN", []string{"evaluate", "--snapshot", noDescription, "--profile", example}, "CMK-LBL-3", false},
		{"snapshot without", []string{"evaluate", "--snapshot", compliant, "--profile", example}, "", false},
		{"snapshot NOT READY", []string{"evaluate", "--snapshot", "../../fixtures/snapshots/noncompliant/public-principal.json", "--profile", example}, "", true},
		{"plan with a WARN", []string{"evaluate", "--terraform-plan", rotationOff, "--profile", example}, "CMK-OPS-1", false},
		{"audit with a WARN", []string{"audit", "--profile", strict, "--out", t.TempDir()}, "CMK-LBL-2", false},
		{"audit without", []string{"audit", "--profile", example, "--out", t.TempDir()}, "", false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			byDefault := exitReady
			if tc.notReady {
				byDefault = exitNotReady
			}
			for _, extra := range [][]string{nil, {"--fail-on", "error"}} {
				code, stdout, stderr := cmkcheck(t, nil, append(slices.Clone(tc.args), extra...)...)
				assert.Equal(t, byDefault, code, "%v: %s", extra, stderr)
				assert.NotContains(t, stderr, "--fail-on warn", "%v", extra)
				if !tc.notReady {
					assert.Contains(t, stdout, "verdict: READY")
				}
			}
			code, stdout, stderr := cmkcheck(t, nil, append(slices.Clone(tc.args), "--fail-on", "warn")...)
			switch {
			case tc.notReady:
				assert.Equal(t, exitNotReady, code, stderr)
			case tc.warned != "":
				assert.Equal(t, exitNotReady, code, stderr)
				assert.Contains(t, stdout, "verdict: READY", "the verdict is the spec's; only the exit status changes")
				assert.Contains(t, stderr, "cmkcheck: exit 1: --fail-on warn, and "+tc.warned+" WARN")
			default:
				assert.Equal(t, exitReady, code, stderr)
				assert.NotContains(t, stderr, "--fail-on warn")
			}
		})
	}
}

// An unknown --fail-on is a usage error naming the choices, before any
// run; on evaluate, audit and a fleet alike. report and verify have no
// --fail-on and refuse it.
func TestFailOnUnknownValue(t *testing.T) {
	out := t.TempDir()
	for _, args := range [][]string{
		{"evaluate", "--snapshot", compliant, "--fail-on", "warning"},
		{"evaluate", "--terraform-plan", refPlan, "--fail-on", ""},
		{"audit", "--fail-on", "WARN", "--out", out},
		{"audit", "--all", "--fail-on", "fail", "--out", out},
	} {
		code, stdout, stderr := cmkcheck(t, nil, args...)
		assert.Equal(t, exitUsage, code, "%v", args)
		assert.Empty(t, stdout, "%v", args)
		assert.Contains(t, stderr, "-fail-on: want error or warn", "%v", args)
	}
	entries, err := os.ReadDir(out)
	require.NoError(t, err)
	assert.Empty(t, entries, "nothing was run")
	code, _, stderr := cmkcheck(t, nil, "verify", "--results", "r.json", "--fail-on", "warn")
	assert.Equal(t, exitUsage, code)
	assert.Contains(t, stderr, "unknown flag --fail-on")
	_, help, _ := cmkcheck(t, nil, "help", "audit")
	assert.True(t, strings.Contains(help, "  --fail-on error|warn\n"), help)
}

// A fleet on LocalStack (the embedded target of a new process holds no
// keys to list): one key made the way the guide says, READY with CMK-MON-1
// WARN (LocalStack has EventBridge, and no rule watches the key). The
// fleet exits 0 by default and 1 with --fail-on warn, naming the key.
// make test-localstack runs it (CMK_TARGET=localstack).
func TestLocalStackFleetFailOnWarn(t *testing.T) {
	if os.Getenv(env.Target) != keystate.KindLocalStack {
		t.Skip("needs CMK_TARGET=localstack and LOCALSTACK_ENDPOINT")
	}
	vars := env.Vars(os.Getenv)
	// The account the profile's administrators and users are in; LocalStack
	// acts in the account a 12-digit access key ID names.
	const account = "111122223333"
	tg, err := vars.Opener().Open(t.Context(), keystate.KindLocalStack, "", account)
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	p, err := profile.Load(example, func(string) string { return "" })
	require.NoError(t, err)
	key := provisiontest.CreateKey(t, tg.Config, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind), provisiontest.DeleteKey)
	keys := filepath.Join(t.TempDir(), "keys.txt")
	require.NoError(t, os.WriteFile(keys, []byte(key.KeyID+"\n"), 0o644))

	getenv := map[string]string{env.Target: keystate.KindLocalStack, env.LocalStackEndpoint: tg.Endpoint, env.AccessKeyID: account}
	args := []string{"audit", "--keys", keys, "--profile", example}
	code, stdout, stderr := cmkcheck(t, getenv, append(args, "--out", t.TempDir())...)
	require.Equal(t, exitReady, code, "%s\n%s", stdout, stderr)
	code, stdout, stderr = cmkcheck(t, getenv, append(args, "--out", t.TempDir(), "--fail-on", "warn")...)
	assert.Equal(t, exitNotReady, code, stderr)
	assert.Contains(t, stdout, "verdict: READY")
	assert.Contains(t, stderr, "cmkcheck: exit 1: --fail-on warn, and WARN in "+key.KeyID+" CMK-MON-1")
}
