package suites

import (
	"bytes"
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/eventbridge"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	kmstypes "github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/reports"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// resultOf is one check's result of a run.
func resultOf(t *testing.T, run *reports.Run, id string) checks.Result {
	t.Helper()
	for _, r := range run.Results {
		if r.ID == id {
			return r
		}
	}
	t.Fatalf("no %s in the run", id)
	return checks.Result{}
}

// openTarget opens CMK_TARGET for a suite that creates keys; aws only with
// CMK_PROVISION.
func openTarget(t *testing.T) *targets.Conn {
	t.Helper()
	kind := targetKind(t)
	if kind == keystate.KindAWS && !provisionAllowed(t) {
		t.Skip("this suite creates (and deletes) keys and monitoring on aws: set CMK_PROVISION=1 to run it")
	}
	tg, err := opener().Open(t.Context(), kind, "", "")
	require.NoError(t, err, "opening the %s target", kind)
	t.Cleanup(tg.Close)
	return tg
}

// TestMonitoringSelfTest makes each kind of monitoring for a key and holds
// CMK-MON-1 to exactly the expected status. On the embedded target, which
// has no EventBridge, MON-1 is SKIP with the reason.
func TestMonitoringSelfTest(t *testing.T) {
	tg := openTarget(t)
	p := selfProfile(t, tg)
	key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
	judge := func(t *testing.T) checks.Result {
		t.Helper()
		out, err := audit.Run(t.Context(), audit.Options{Conn: tg, Profile: p, Key: key.KeyID})
		require.NoError(t, err)
		return resultOf(t, out.Run, "CMK-MON-1")
	}
	if tg.Kind == keystate.KindEmbedded {
		r := judge(t)
		assert.Equal(t, checks.Skip, r.Status)
		assert.Contains(t, r.Observed, "no EventBridge")
		return
	}
	cfg := tg.Config
	for _, tc := range []struct {
		name    string
		make    func(ctx context.Context) (*provision.Watch, error)
		want    checks.Status
		observe string
	}{
		{"rule present and matching", func(ctx context.Context) (*provision.Watch, error) {
			return provision.CreateWatchE(ctx, cfg, key, provision.WatchSpec{})
		}, checks.Pass, "EventBridge rule cmk-watch-"},
		{"rule matching only EnableKey", func(ctx context.Context) (*provision.Watch, error) {
			return provision.CreateWatchE(ctx, cfg, key, provision.WatchSpec{Calls: []string{"EnableKey"}})
		}, checks.Warn, "nothing catches DisableKey, ScheduleKeyDeletion, PutKeyPolicy"},
		{"rule without target", func(ctx context.Context) (*provision.Watch, error) {
			return provision.CreateWatchE(ctx, cfg, key, provision.WatchSpec{NoTarget: true})
		}, checks.Warn, "has no target"},
		{"metric filter with alarm", func(ctx context.Context) (*provision.Watch, error) {
			return provision.CreateLogAlarmE(ctx, cfg, key, provision.LogAlarmSpec{})
		}, checks.Pass, "metric filter cmk-changes-"},
		{"metric filter without alarm", func(ctx context.Context) (*provision.Watch, error) {
			return provision.CreateLogAlarmE(ctx, cfg, key, provision.LogAlarmSpec{NoAlarm: true})
		}, checks.Warn, "no alarm with an action"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			w, err := tc.make(t.Context())
			require.NoError(t, err)
			deleted := false
			t.Cleanup(func() {
				if !deleted {
					assert.NoError(t, provision.DeleteWatchE(context.Background(), cfg, w))
				}
			})
			r := judge(t)
			assert.Equal(t, tc.want, r.Status, "CMK-MON-1: %s", r.Observed)
			assert.Contains(t, r.Observed, tc.observe)
			require.NoError(t, provision.DeleteWatchE(context.Background(), cfg, w))
			deleted = true
			if w.Rule != "" {
				rules, err := eventbridge.NewFromConfig(cfg).ListRules(context.Background(), &eventbridge.ListRulesInput{NamePrefix: aws.String(w.Rule)})
				require.NoError(t, err)
				assert.Empty(t, rules.Rules, "the rule was deleted")
			}
		})
	}
	// With nothing left, the key is not watched.
	r := judge(t)
	assert.Equal(t, checks.Warn, r.Status, r.Observed)
}

// driftKey audits a fresh key, keeps its results as the baseline (as a
// team keeps the signed results), changes the key, and audits it again
// against that baseline.
func driftKey(t *testing.T, tg *targets.Conn, change func(ctx context.Context, c *kms.Client, key *provision.Key)) checks.Result {
	t.Helper()
	ctx := t.Context()
	p := selfProfile(t, tg)
	key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
	signed, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Key: key.KeyID})
	require.NoError(t, err)
	require.Equal(t, checks.Skip, resultOf(t, signed.Run, "CMK-DRF-1").Status, "no baseline: SKIP")
	var file bytes.Buffer
	require.NoError(t, reports.WriteResults(&file, signed.Run))
	baseline, err := audit.LoadBaseline(file.Bytes())
	require.NoError(t, err, "the signed results verify")

	if change != nil {
		change(ctx, kms.NewFromConfig(tg.Config), key)
	}
	again, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Key: key.KeyID, Baseline: baseline})
	require.NoError(t, err)
	// The drift run's results verify from their own evidence.
	var rerun bytes.Buffer
	require.NoError(t, reports.WriteResults(&rerun, again.Run))
	_, err = audit.Verify(rerun.Bytes())
	require.NoError(t, err, "the drift run's results verify")
	return resultOf(t, again.Run, "CMK-DRF-1")
}

// editPolicy changes the key's policy statements and puts it back.
func editPolicy(t *testing.T, edit func([]any) []any) func(ctx context.Context, c *kms.Client, key *provision.Key) {
	return func(ctx context.Context, c *kms.Client, key *provision.Key) {
		out, err := c.GetKeyPolicy(ctx, &kms.GetKeyPolicyInput{KeyId: aws.String(key.KeyID), PolicyName: aws.String("default")})
		require.NoError(t, err)
		var doc map[string]any
		require.NoError(t, json.Unmarshal([]byte(aws.ToString(out.Policy)), &doc))
		doc["Statement"] = edit(doc["Statement"].([]any))
		b, err := json.MarshalIndent(doc, "", "    ")
		require.NoError(t, err)
		_, err = c.PutKeyPolicy(ctx, &kms.PutKeyPolicyInput{KeyId: aws.String(key.KeyID), PolicyName: aws.String("default"), Policy: aws.String(string(b))})
		require.NoError(t, err)
	}
}

// TestDriftSelfTest changes a signed-off key the ways drift matters (and
// one way it does not) and holds CMK-DRF-1 to exactly the expected status.
func TestDriftSelfTest(t *testing.T) {
	tg := openTarget(t)
	for _, tc := range []struct {
		name    string
		change  func(t *testing.T) func(ctx context.Context, c *kms.Client, key *provision.Key)
		want    checks.Status
		observe string
	}{
		{"nothing changed", func(t *testing.T) func(context.Context, *kms.Client, *provision.Key) { return nil }, checks.Pass, "no drift"},
		{"statements reordered only", func(t *testing.T) func(context.Context, *kms.Client, *provision.Key) {
			return editPolicy(t, func(st []any) []any {
				for i, j := 0, len(st)-1; i < j; i, j = i+1, j-1 {
					st[i], st[j] = st[j], st[i]
				}
				return st
			})
		}, checks.Pass, "no drift"},
		{"a principal added", func(t *testing.T) func(context.Context, *kms.Client, *provision.Key) {
			return editPolicy(t, func(st []any) []any {
				return append(st, map[string]any{"Sid": "Reader", "Effect": "Allow",
					"Principal": map[string]any{"AWS": "arn:aws:iam::" + tg.Account + ":role/Reader"}, "Action": "kms:Decrypt", "Resource": "*"})
			})
		}, checks.Fail, "arn:aws:iam::" + tg.Account + ":role/Reader kms:Decrypt: NOT ALLOWED → ALLOWED"},
		{"the platform's statement removed", func(t *testing.T) func(context.Context, *kms.Client, *provision.Key) {
			return editPolicy(t, func(st []any) []any {
				var out []any
				for _, s := range st {
					b, _ := json.Marshal(s)
					if !bytes.Contains(b, []byte("222233334444")) {
						out = append(out, s)
					}
				}
				return out
			})
		}, checks.Fail, "account:222233334444 kms:CreateGrant"},
		{"rotation disabled", func(t *testing.T) func(context.Context, *kms.Client, *provision.Key) {
			return func(ctx context.Context, c *kms.Client, key *provision.Key) {
				_, err := c.DisableKeyRotation(ctx, &kms.DisableKeyRotationInput{KeyId: aws.String(key.KeyID)})
				require.NoError(t, err)
			}
		}, checks.Fail, "rotation: enabled"},
		{"a grant added", func(t *testing.T) func(context.Context, *kms.Client, *provision.Key) {
			return func(ctx context.Context, c *kms.Client, key *provision.Key) {
				_, err := c.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(key.KeyID),
					GranteePrincipal: aws.String("arn:aws:iam::" + tg.Account + ":role/BatchJob"), Operations: []kmstypes.GrantOperation{kmstypes.GrantOperationDecrypt}})
				require.NoError(t, err)
			}
		}, checks.Fail, "grant: absent → arn:aws:iam::" + tg.Account + ":role/BatchJob may Decrypt"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := driftKey(t, tg, tc.change(t))
			assert.Equal(t, tc.want, r.Status, "CMK-DRF-1: %s", r.Observed)
			assert.Contains(t, r.Observed, tc.observe)
		})
	}
}
