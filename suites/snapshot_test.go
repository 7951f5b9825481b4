package suites

import (
	"context"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
)

// snapshotVariants are the keys whose live runs are saved and re-judged:
// the right one, and wrong ones that reach every live fact (a round trip
// refused, failed or unsupported; rotation unreadable or off; policy
// findings; grants).
var snapshotVariants = []provision.Variant{
	provision.Correct, provision.Disabled, provision.PendingDeletion, provision.PublicPrincipal, provision.RotationOff,
	provision.HMAC, provision.Asymmetric, provision.Imported, provision.NoAlias, provision.MissingTag, provision.Lockout,
	provision.GrantOtherAccount, provision.GrantWithCreateGrant,
}

// TestSnapshotReproducesTheLiveRun saves live runs on the embedded target
// as snapshots and evaluates them offline: every status, observed text,
// piece of evidence and the verdict are the live run's.
func TestSnapshotReproducesTheLiveRun(t *testing.T) {
	reproduce(t, openEmbedded(t))
}

// The same on LocalStack, whose STS answers, so the capture holds a real
// caller identity. Runs with CMK_TARGET=localstack.
func TestSnapshotReproducesTheLiveRunOnLocalStack(t *testing.T) {
	if kind := targetKind(t); kind != keystate.KindLocalStack {
		t.Skipf("%s=%q: this test runs against LocalStack only (CMK_TARGET=localstack with LOCALSTACK_ENDPOINT)", env.Target, kind)
	}
	tg, err := opener().Open(t.Context(), keystate.KindLocalStack, "", "")
	require.NoError(t, err, "opening LocalStack")
	t.Cleanup(tg.Close)
	reproduce(t, tg)
}

func reproduce(t *testing.T, tg *targets.Conn) {
	ctx := t.Context()
	p := selfProfile(t, tg)
	for _, roundtrip := range []bool{true, false} {
		prof := p
		if !roundtrip {
			raw := p.Profile()
			raw.Roundtrip = false
			var err error
			prof, err = raw.Validate()
			require.NoError(t, err)
		}
		for _, v := range snapshotVariants {
			name := v.Name()
			if !roundtrip {
				name += "/no-roundtrip"
			}
			t.Run(name, func(t *testing.T) {
				out, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: prof, Variant: v})
				require.NoError(t, err)
				require.Len(t, out.State.Grants, len(out.Provisioned.Grants), "the capture holds the variant's grants")
				assertReproduced(t, out.State, prof, out.Run.Results, out.Run.Verdict)
			})
		}
	}

	t.Run("key not found", func(t *testing.T) {
		// A single audit stops on it (one error, nothing judged); a fleet
		// judges the state as its ERROR entry, and that reproduces.
		_, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Key: "alias/does-not-exist"})
		var unread *audit.UnreadableKeyError
		require.ErrorAs(t, err, &unread)
		s, rec, err := collect.Key(ctx, tg, "alias/does-not-exist", collect.Options{Roundtrip: true})
		require.NoError(t, err)
		require.NotNil(t, rec.Unreadable)
		results := checks.Evaluate(s, p)
		assert.Equal(t, checks.NotReady, checks.Verdict(results))
		assertReproduced(t, s, p, results, checks.Verdict(results))
	})

	t.Run("a call that failed", func(t *testing.T) {
		key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
		proxy := newProxy(t, tg, faultproxy.Rule{Operation: "GetKeyPolicy", Fault: faultproxy.AccessDenied})
		s, _, err := collect.Key(context.Background(), behind(tg, proxy), key.KeyID, collect.Options{Roundtrip: true, Timeout: faultDeadline})
		require.NoError(t, err)
		require.Contains(t, s.Problem(keystate.GetKeyPolicy), "AccessDeniedException")
		results := checks.Evaluate(s, p)
		assertReproduced(t, s, p, results, checks.Verdict(results))
	})
}

// assertReproduced saves a live state, reads it back as a snapshot file
// would be, judges it again and holds it to the live results.
func assertReproduced(t *testing.T, live *keystate.State, p profile.Valid, results []checks.Result, verdict string) {
	t.Helper()
	saved, err := live.Snapshot()
	require.NoError(t, err)
	offline, err := keystate.Decode(saved)
	require.NoError(t, err, "the capture reads back:\n%s", saved)
	for _, m := range keystate.LiveMembers {
		assert.Contains(t, offline.Raw, m, "a live capture records %s, or why there is none", m)
	}
	assert.Equal(t, live.Grants, offline.Grants, "the grants read back as they were collected")
	assert.Equal(t, live.Problems, offline.Problems, "and so does why any answer is missing")
	again := checks.Evaluate(offline, p)
	require.Len(t, again, len(results))
	for i := range results {
		assert.Equal(t, results[i], again[i], "%s judged from the saved capture", results[i].ID)
	}
	assert.Equal(t, verdict, checks.Verdict(again))
}
