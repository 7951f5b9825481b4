package suites

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
	"github.com/aep-cmk/cmkcheck/internal/testkit/provisiontest"
)

// TestInspectIsReadOnly audits an existing key in inspect mode through a
// proxy and holds the guard's record and the proxy's count (an independent
// witness on the wire) against the read-only allowlist: the key is not
// changed, and Encrypt/Decrypt go out only when roundtrip asks for them.
func TestInspectIsReadOnly(t *testing.T) {
	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))

	for _, roundtrip := range []bool{false, true} {
		t.Run(fmt.Sprintf("roundtrip=%v", roundtrip), func(t *testing.T) {
			raw := p.Profile()
			raw.Roundtrip = roundtrip
			prof, err := raw.Validate()
			require.NoError(t, err)
			proxy := newProxy(t, tg)
			out, err := audit.Run(context.Background(), audit.Options{Conn: behind(tg, proxy), Profile: prof, Key: key.KeyID})
			require.NoError(t, err)
			assert.Nil(t, out.Provisioned, "a named key is inspected, not provisioned")
			assert.Equal(t, checks.Ready, out.Run.Verdict, "%s", statuses(out.Run.Results))

			allowed := collect.ReadOnly(roundtrip)
			assert.Subset(t, allowed, out.Record.Calls, "the guard sent only allowed reads")
			assert.Empty(t, out.Record.Refused, "nothing had to be refused")
			sent := map[string]int{}
			for _, op := range out.Record.Calls {
				sent[strings.TrimPrefix(op, "kms:")]++
			}
			assert.Equal(t, sent, proxy.Seen(), "the proxy saw exactly what the guard recorded")
			for op := range proxy.Seen() {
				assert.Contains(t, allowed, "kms:"+op, "the proxy saw %s", op)
			}
			for _, op := range []string{"Encrypt", "Decrypt"} {
				assert.Equal(t, roundtrip, proxy.Calls(op) > 0, "%s is sent only with roundtrip", op)
			}
			assert.Equal(t, 1, proxy.Calls("ListGrants"), "the grants are read, one page")
		})
	}

	// Nothing changed: one key, enabled, with the policy it was given.
	assert.Equal(t, map[string]types.KeyState{key.KeyID: types.KeyStateEnabled}, keyStates(t, tg))
	pol, err := kms.NewFromConfig(tg.Config).GetKeyPolicy(context.Background(), &kms.GetKeyPolicyInput{KeyId: aws.String(key.KeyID), PolicyName: aws.String("default")})
	require.NoError(t, err)
	assert.JSONEq(t, key.Policy, aws.ToString(pol.Policy))
}

// TestMutationsRefusedBeforeSending: through the guarded config, every
// mutating call is refused before it is sent: the proxy in front of the
// emulator never sees one, and the key is unchanged.
func TestMutationsRefusedBeforeSending(t *testing.T) {
	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
	spec.Variant = provision.GrantAllowed // a grant to revoke or retire
	key := createKey(t, tg, spec)
	require.Len(t, key.Grants, 1)
	proxy := newProxy(t, tg)
	cfg, guard := collect.Wrap(behind(tg, proxy).Config, collect.ReadOnly(false))
	c := kms.NewFromConfig(cfg)
	ctx := context.Background()
	id := aws.String(key.KeyID)

	calls := []struct {
		op   string
		call func() error
	}{
		{"kms:ScheduleKeyDeletion", func() error {
			_, err := c.ScheduleKeyDeletion(ctx, &kms.ScheduleKeyDeletionInput{KeyId: id, PendingWindowInDays: aws.Int32(7)})
			return err
		}},
		{"kms:PutKeyPolicy", func() error {
			_, err := c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: id, PolicyName: aws.String("default"), Policy: aws.String(`{"Statement":[]}`)})
			return err
		}},
		{"kms:CreateKey", func() error { _, err := c.CreateKey(ctx, &kms.CreateKeyInput{}); return err }},
		{"kms:DisableKey", func() error { _, err := c.DisableKey(ctx, &kms.DisableKeyInput{KeyId: id}); return err }},
		{"kms:DisableKeyRotation", func() error {
			_, err := c.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: id})
			return err
		}},
		{"kms:DeleteAlias", func() error {
			_, err := c.DeleteAlias(ctx, &kms.DeleteAliasInput{AliasName: aws.String(key.Alias)})
			return err
		}},
		{"kms:UpdateKeyDescription", func() error {
			_, err := c.UpdateKeyDescription(ctx, &kms.UpdateKeyDescriptionInput{KeyId: id, Description: aws.String("x")})
			return err
		}},
		{"kms:UntagResource", func() error {
			_, err := c.UntagResource(ctx, &kms.UntagResourceInput{KeyId: id, TagKeys: []string{"Adobe"}})
			return err
		}},
		{"kms:CreateGrant", func() error {
			_, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: id, GranteePrincipal: aws.String("arn:aws:iam::999988887777:root"), Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
			return err
		}},
		{"kms:RevokeGrant", func() error {
			_, err := c.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: id, GrantId: aws.String(key.Grants[0])})
			return err
		}},
		{"kms:RetireGrant", func() error {
			_, err := c.RetireGrant(ctx, &kms.RetireGrantInput{KeyId: id, GrantId: aws.String(key.Grants[0])})
			return err
		}},
		// Encrypt changes nothing, but without roundtrip it is not asked for.
		{"kms:Encrypt", func() error {
			_, err := c.Encrypt(ctx, &kms.EncryptInput{KeyId: id, Plaintext: []byte("x")})
			return err
		}},
	}
	var want []string
	for _, tc := range calls {
		err := tc.call()
		var refused *collect.RefusedError
		if assert.True(t, errors.As(err, &refused), "%s: %v", tc.op, err) {
			assert.Equal(t, tc.op, refused.Op)
		}
		want = append(want, tc.op)
	}
	assert.Equal(t, 0, proxy.Total(), "no refused request reached the wire: %v", proxy.Seen())
	assert.Empty(t, guard.Calls())
	assert.Equal(t, want, guard.Refused(), "each refused once: a refusal is not retried")

	d, err := kms.NewFromConfig(tg.Config).DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: id})
	require.NoError(t, err)
	assert.Equal(t, types.KeyStateEnabled, d.KeyMetadata.KeyState)
	assert.Equal(t, provision.DefaultDescription, aws.ToString(d.KeyMetadata.Description))
	assert.Len(t, keyStates(t, tg), 1, "no key was created")
	grants, err := kms.NewFromConfig(tg.Config).ListGrants(ctx, &kms.ListGrantsInput{KeyId: id})
	require.NoError(t, err)
	require.Len(t, grants.Grants, 1, "the grant is still there")
	assert.Equal(t, key.Grants[0], aws.ToString(grants.Grants[0].GrantId))
}

// panicking is an HTTP client that panics on one operation: a bug deep in
// a run, after the key was provisioned.
type panicking struct {
	op   string
	next aws.HTTPClient
}

func (p panicking) Do(r *http.Request) (*http.Response, error) {
	if faultproxy.Operation(r) == p.op {
		panic("deliberate panic on " + p.op)
	}
	return p.next.Do(r)
}

// recovered runs f and returns what it panicked with (nil if it returned).
func recovered(f func()) (v any) {
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() { v = recover() }()
		f()
	}()
	<-done
	return v
}

// EnvLeakHelper names the emulator endpoint for TestLeakHelperPanics, which
// runs only in the subprocess TestNoKeyLeftEnabled starts.
const EnvLeakHelper = "CMKCHECK_LEAK_HELPER_ENDPOINT"

// TestNoKeyLeftEnabled provisions keys through every way a run can end (a
// pass, a failure, a failed provisioning step, a failed collection, a
// panic inside an audit, a test that panics in another process) and then
// lists the emulator's keys: every key is pending deletion.
func TestNoKeyLeftEnabled(t *testing.T) {
	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	ctx := context.Background()
	made := 0

	t.Run("passing audit", func(t *testing.T) {
		out, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p})
		require.NoError(t, err)
		require.NotNil(t, out.Provisioned)
		assert.Equal(t, checks.Ready, out.Run.Verdict, "%s", statuses(out.Run.Results))
		made++
	})
	t.Run("failing audit", func(t *testing.T) {
		out, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Variant: provision.PublicPrincipal})
		require.NoError(t, err)
		require.NotNil(t, out.Provisioned)
		assert.Equal(t, checks.NotReady, out.Run.Verdict)
		made++
	})
	t.Run("provisioning step fails", func(t *testing.T) {
		// The key is created, then PutKeyPolicy is denied: the key it made
		// is scheduled for deletion before the error returns.
		proxy := newProxy(t, tg, faultproxy.Rule{Operation: "PutKeyPolicy", Fault: faultproxy.AccessDenied})
		_, err := provision.CreateKeyE(ctx, behind(tg, proxy).Config, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
		require.Error(t, err)
		assert.Contains(t, err.Error(), "kms:PutKeyPolicy")
		assert.Contains(t, err.Error(), "AccessDeniedException")
		assert.Equal(t, 1, proxy.Calls("CreateKey"))
		assert.Equal(t, 1, proxy.Calls("ScheduleKeyDeletion"), "the cleanup ran")
		made++
	})
	t.Run("collection fails", func(t *testing.T) {
		proxy := newProxy(t, tg, faultproxy.Rule{Operation: "GetKeyPolicy", Fault: faultproxy.Internal})
		out, err := audit.Run(ctx, audit.Options{Conn: behind(tg, proxy), Profile: p})
		require.NoError(t, err)
		assert.Equal(t, checks.NotReady, out.Run.Verdict)
		assert.Equal(t, 1, proxy.Calls("ScheduleKeyDeletion"), "the cleanup ran")
		made++
	})
	t.Run("panic inside an audit", func(t *testing.T) {
		// The panic comes after provisioning, while collecting; audit.Run's
		// deferred cleanup still schedules the deletion as it unwinds.
		conn := *tg
		conn.Config = tg.Config.Copy()
		conn.Config.HTTPClient = panicking{op: "GetKeyPolicy", next: http.DefaultClient}
		v := recovered(func() { _, _ = audit.Run(ctx, audit.Options{Conn: &conn, Profile: p}) })
		assert.Equal(t, "deliberate panic on GetKeyPolicy", v)
		made++
	})
	t.Run("test panics in another process", func(t *testing.T) {
		// A panicking test kills its binary, so it runs in a child: the
		// helper provisions a key on this emulator with provision.CreateKey
		// (cleanup registered with t) and panics.
		cmd := exec.Command(os.Args[0], "-test.run=^TestLeakHelperPanics$", "-test.v", "-test.count=1")
		cmd.Env = append(os.Environ(), EnvLeakHelper+"="+tg.Endpoint)
		output, err := cmd.CombinedOutput()
		var exit *exec.ExitError
		require.True(t, errors.As(err, &exit), "the helper must fail by panicking: %v\n%s", err, output)
		assert.Contains(t, string(output), "panic: deliberate panic after provisioning")
		assert.Contains(t, string(output), "provisioned key ")
		made++
	})

	states := keyStates(t, tg)
	assert.Len(t, states, made, "the emulator holds exactly the keys the runs made")
	for id, st := range states {
		assert.Equal(t, types.KeyStatePendingDeletion, st, "key %s was left behind", id)
	}
}

// TestLeakHelperPanics is TestNoKeyLeftEnabled's child: it runs only when
// EnvLeakHelper names an emulator, provisions there, and panics.
func TestLeakHelperPanics(t *testing.T) {
	endpoint := vars(EnvLeakHelper)
	if endpoint == "" {
		t.Skip("a helper: TestNoKeyLeftEnabled runs it in a subprocess")
	}
	cfg := aws.Config{
		Region:           targets.DefaultRegion,
		Credentials:      credentials.NewStaticCredentialsProvider("test", "test", ""),
		BaseEndpoint:     aws.String(endpoint),
		RetryMaxAttempts: targets.MaxAttempts,
	}
	key := provisiontest.CreateKey(t, cfg, provision.Spec{Account: targets.DefaultAccount, Target: keystate.KindEmbedded}, teardown())
	fmt.Println("provisioned key " + key.KeyID)
	panic("deliberate panic after provisioning")
}

// Sentinel credentials: if any of them shows up in an output, it leaked.
const (
	sentinelKeyID  = "AKIASENTINEL0KEYID00"
	sentinelSecret = "wJalrXUtnFEMI/SENTINEL/SECRET/ACCESS/KEY"
	sentinelToken  = "FwoGZXIvYXdzSENTINEL//SESSION/TOKEN/VALUE"
)

// TestSecretsStayOut sets sentinel credentials in the environment (the aws
// target would read them; the emulators use fixed dummies, so the audits
// here are also given a config whose credentials ARE the sentinels), runs
// audits that pass, fail and hit faults, writes every report, and collects
// every error: no sentinel appears in any of it.
func TestSecretsStayOut(t *testing.T) {
	t.Setenv("AWS_ACCESS_KEY_ID", sentinelKeyID)
	t.Setenv("AWS_SECRET_ACCESS_KEY", sentinelSecret)
	t.Setenv("AWS_SESSION_TOKEN", sentinelToken)
	// Nothing below may reach a real AWS endpoint or read a real profile.
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_PROFILE", "")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv(env.AssumeRole, "")
	summary := filepath.Join(t.TempDir(), "summary.md")
	t.Setenv(env.StepSummary, summary)

	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	ctx := context.Background()
	secretive := func(proxy *faultproxy.Proxy) *targets.Conn {
		conn := behind(tg, proxy)
		conn.Config.Credentials = credentials.NewStaticCredentialsProvider(sentinelKeyID, sentinelSecret, sentinelToken)
		return conn
	}

	var outputs []string // everything a user or CI could see
	keep := func(what string, v any) {
		b, err := json.Marshal(v)
		require.NoError(t, err, what)
		outputs = append(outputs, what+": "+string(b))
	}
	dir := t.TempDir()
	for i, tc := range []struct {
		name    string
		variant provision.Variant
		rule    *faultproxy.Rule
	}{
		{name: "passing", variant: provision.Correct},
		{name: "failing", variant: provision.PublicPrincipal},
		{name: "access denied", variant: provision.Correct, rule: &faultproxy.Rule{Operation: "GetKeyPolicy", Fault: faultproxy.AccessDenied}},
		{name: "throttled", variant: provision.Correct, rule: &faultproxy.Rule{Operation: "DescribeKey", Fault: faultproxy.Throttling}},
	} {
		var rules []faultproxy.Rule
		if tc.rule != nil {
			rules = append(rules, *tc.rule)
		}
		out, err := audit.Run(ctx, audit.Options{Conn: secretive(newProxy(t, tg, rules...)), Profile: p, Variant: tc.variant})
		require.NoError(t, err, tc.name)
		keep(tc.name+" state", out.State)
		keep(tc.name+" record", out.Record)
		paths, err := reports.Write(filepath.Join(dir, fmt.Sprint(i)), reports.DefaultName, out.Run)
		require.NoError(t, err, tc.name)
		written, err := os.ReadFile(paths.Results)
		require.NoError(t, err, tc.name)
		_, err = audit.Verify(written)
		require.NoError(t, err, "%s: the results file verifies", tc.name)
		require.NoError(t, reports.AppendStepSummary(vars(env.StepSummary), out.Run), tc.name)
	}

	// The aws target reads the sentinels from the environment; its errors
	// (here: no endpoint answers) must not repeat them.
	closed := closedPort(t)
	t.Setenv(env.EndpointURL, closed)
	t.Setenv(env.Region, targets.DefaultRegion)
	_, err := opener().Open(ctx, keystate.KindAWS, "", "")
	require.Error(t, err)
	assert.Contains(t, err.Error(), "sts:GetCallerIdentity", "the error says what failed")
	outputs = append(outputs, err.Error())
	_, err = audit.Run(ctx, audit.Options{Target: keystate.KindAWS, Profile: p, Key: "alias/x", Opener: opener()})
	require.Error(t, err)
	outputs = append(outputs, err.Error())

	require.NoError(t, filepath.WalkDir(dir, func(path string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(path)
		outputs = append(outputs, path+": "+string(b))
		return err
	}))
	b, err := os.ReadFile(summary)
	require.NoError(t, err)
	outputs = append(outputs, "step summary: "+string(b))
	require.Len(t, outputs, 4*2+2+4*3+1, "every output was gathered")

	for _, out := range outputs {
		what, _, _ := strings.Cut(out, ": ")
		for _, s := range []string{sentinelKeyID, sentinelSecret, sentinelToken, "SENTINEL"} {
			assert.NotContains(t, out, s, "%s repeats a credential", what)
		}
	}
}

// closedPort is a loopback URL where nothing listens.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	require.NoError(t, err)
	addr := l.Addr().String()
	require.NoError(t, l.Close())
	return "http://" + addr
}
