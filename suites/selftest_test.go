package suites

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/env"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// selfTestProfile is what the self-test judges every variant against:
// the console's choices for role/KeyAdmin and role/KeyUser of the target's
// account, no deletion right, one Adobe account, a roundtrip.
const selfTestProfile = `
region: %s
shield: privacy-security
key_administrators: [%s]
key_users: [%s]
allow_key_deletion: false
adobe_principals: ["222233334444"]
roundtrip: true
`

type want = map[string]checks.Status

const (
	fail = checks.Fail
	warn = checks.Warn
	skip = checks.Skip
	errS = checks.Error
)

// expected lists, per variant, the non-PASS results the checks must give
// on every target (the target's own baseline added).
var expected = map[provision.Variant]want{
	provision.Correct:         {},
	provision.MultiRegion:     {"CMK-REG-2": fail},
	provision.Asymmetric:      {"CMK-CFG-1": fail, "CMK-CFG-2": fail, "CMK-CFG-6": fail, "CMK-OPS-1": warn},
	provision.HMAC:            {"CMK-CFG-1": fail, "CMK-CFG-2": fail, "CMK-CFG-6": fail, "CMK-OPS-1": warn},
	provision.Imported:        {"CMK-CFG-3": warn, "CMK-OPS-1": warn},
	provision.Disabled:        {"CMK-CFG-5": fail, "CMK-CFG-6": fail},
	provision.PendingDeletion: {"CMK-CFG-5": fail, "CMK-CFG-6": fail},
	provision.NoAlias:         {"CMK-LBL-1": fail, "CMK-LBL-2": warn},
	provision.GenericAlias:    {"CMK-LBL-2": warn},
	provision.NoDescription:   {"CMK-LBL-3": warn},
	provision.MissingTag:      {"CMK-LBL-4": warn},
	// Another account using the key is a user of the key nobody chose
	// (USR-1) as well as another account's access (USR-2).
	provision.OtherAccount: {"CMK-USR-1": fail, "CMK-USR-2": fail},
	// "*" reaches anonymous callers (USR-3) and every other account's
	// identities (USR-2).
	provision.PublicPrincipal:      {"CMK-USR-1": fail, "CMK-USR-2": fail, "CMK-USR-3": fail},
	provision.UsersDelete:          {"CMK-ADM-2": fail, "CMK-ADM-4": fail},
	provision.NoAdmins:             {"CMK-ADM-1": fail, "CMK-ADM-4": fail},
	provision.Lockout:              {"CMK-ADM-1": fail, "CMK-ADM-3": fail, "CMK-ADM-4": fail, "CMK-USR-4": warn},
	provision.MissingPlatformGrant: {"CMK-AEP-1": fail},
	provision.RotationOff:          {"CMK-OPS-1": warn},
	// A grant gives its grantee its operations: a role of another account
	// holds Decrypt and Encrypt (USR-2), and the grant goes to an account
	// that is neither the key's, Adobe's nor allowed (GRT-1).
	provision.GrantOtherAccount: {"CMK-GRT-1": fail, "CMK-USR-1": fail, "CMK-USR-2": fail},
	// A grant that lets its grantee CreateGrant is reported, not failed
	// (REQUIREMENTS.md, CMK-GRT-1); the grantee is the profile's key user.
	provision.GrantWithCreateGrant: {},
	// The key-user role with its data-key operations: what the checks accept.
	provision.GrantAllowed: {},
}

// targetBaseline is what a target adds to every variant, with the reason.
var targetBaseline = map[string]struct {
	add    want
	ignore []string // results that depend on the account, not the key
	why    string
}{
	keystate.KindEmbedded: {add: want{"CMK-PRM-1": skip, "CMK-ADM-4": skip, "CMK-DRF-1": skip, "CMK-MON-1": skip},
		why: "local-kms has no IAM to simulate or read, nor EventBridge or CloudWatch to alert; no baseline is given"},
	keystate.KindLocalStack: {add: want{"CMK-DRF-1": skip, "CMK-MON-1": warn},
		why: "LocalStack does not simulate IAM faithfully: PRM-1 evaluates the caller's (root's) policies instead; the variants are made without monitoring (TestMonitoringSelfTest adds it); no baseline is given"},
	keystate.KindAWS: {add: want{"CMK-DRF-1": skip}, ignore: []string{"CMK-PRM-1", "CMK-ADM-4", "CMK-MON-1"},
		why: "the simulation, the IAM holders and the monitoring depend on the account; no baseline is given"},
}

// difference is one target answering a variant unlike AWS documents, or
// unlike the other targets; each carries its reason.
type difference struct {
	set         want   // results replaced
	unsupported bool   // the target cannot make the variant at all
	why         string // always given
}

// Both emulators make the grant variants and list their grants; neither
// as AWS does it, so each says how (the results are AWS's all the same).
const (
	embeddedGrants   = "local-kms has no grants: the embedded wrapper keeps them (internal/targets/grants.go), in AWS's shape, enforcing nothing"
	localStackGrants = "LocalStack accepts any grantee string (a non-ARN too) and lists grants with the key ID, not the ARN, in KeyId and without IssuingAccount"
)

var differences = map[string]map[provision.Variant]difference{
	keystate.KindEmbedded: {
		provision.MultiRegion: {unsupported: true, why: "local-kms ignores MultiRegion"},
		provision.HMAC: {set: want{"CMK-CFG-6": errS},
			why: "local-kms answers Encrypt with an HMAC key with InternalFailureException (\"key type not yet supported\"), not InvalidKeyUsageException: the probe could not complete"},
		provision.Imported: {set: want{"CMK-OPS-1": errS},
			why: "local-kms refuses GetKeyRotationStatus for EXTERNAL keys (UnsupportedOperationException), where LocalStack answers false: the rotation status is missing evidence"},
		provision.GrantOtherAccount: {why: embeddedGrants},
		provision.UsersDelete: {set: want{"CMK-ADM-4": fail},
			why: "without IAM, ADM-4 still judges the key policy, and the key users' deletion right is in it (the baseline's SKIP is for what only IAM could show)"},
		provision.GrantWithCreateGrant: {why: embeddedGrants},
		provision.GrantAllowed:         {why: embeddedGrants},
	},
	keystate.KindLocalStack: {
		provision.GrantOtherAccount:    {why: localStackGrants},
		provision.GrantWithCreateGrant: {why: localStackGrants},
		provision.GrantAllowed:         {why: localStackGrants},
	},
	keystate.KindAWS: {
		provision.Lockout: {unsupported: true, why: "a locked-out key could not be cleaned up by the provisioner on a real account"},
		provision.PendingDeletion: {set: want{"CMK-OPS-1": warn},
			why: "AWS documents that a key pending deletion reports rotation false; both emulators keep it true"},
	},
}

// expectedFor is the full expected non-PASS set of a variant on a target.
func expectedFor(kind string, v provision.Variant) (want, []string, *difference) {
	w := maps.Clone(expected[v])
	base := targetBaseline[kind]
	maps.Copy(w, base.add)
	d, ok := differences[kind][v]
	if !ok {
		return w, base.ignore, nil
	}
	maps.Copy(w, d.set)
	return w, base.ignore, &d
}

// TestSelfTest provisions the right key and every wrong variant on the
// target and asserts that exactly the expected checks are not PASS: each
// wrong key is caught, and only by the checks that should catch it.
func TestSelfTest(t *testing.T) {
	kind := targetKind(t)
	provisionOK := provisionAllowed(t)
	if kind == keystate.KindAWS && !provisionOK {
		t.Skipf("the self-test creates (and schedules for deletion) %d real keys on aws: set %s=1 to run it", len(provision.Variants)+1, env.Provision)
	}
	ctx := t.Context()
	tg, err := opener().Open(ctx, kind, "", "")
	require.NoError(t, err, "opening the %s target", kind)
	t.Cleanup(tg.Close)
	p := selfProfile(t, tg)

	var made []string
	for _, v := range append([]provision.Variant{provision.Correct}, provision.Variants...) {
		t.Run(v.Name(), func(t *testing.T) {
			w, ignore, diff := expectedFor(kind, v)
			out, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Variant: v, Provision: provisionOK})
			var unsup *provision.UnsupportedError
			if errors.As(err, &unsup) {
				if diff != nil && diff.unsupported {
					t.Skipf("the %s target cannot make this variant: %s (expected: %s)", kind, unsup.Reason, diff.why)
				}
				t.Fatalf("the %s target could not make the variant, and the table does not say so: %v", kind, err)
			}
			require.NoError(t, err)
			made = append(made, out.Provisioned.KeyID)
			// The collection saw exactly the grants the variant made.
			var seen []string
			for _, g := range out.State.Grants {
				seen = append(seen, g.GrantID)
			}
			assert.Empty(t, out.State.Problem(keystate.ListGrants), "the grants could be listed")
			assert.Equal(t, out.Provisioned.Grants, seen, "the grants collected are the ones made")
			if diff != nil && diff.unsupported {
				t.Errorf("the table says %s cannot make this variant (%s), but it did: update the table", kind, diff.why)
			}
			if diff != nil {
				t.Logf("%s differs here: %s", kind, diff.why)
			}
			got := want{}
			for _, r := range out.Run.Results {
				if r.Status != checks.Pass {
					got[r.ID] = r.Status
				}
			}
			for _, id := range ignore {
				delete(got, id)
				delete(w, id)
			}
			assert.Equal(t, w, got, "non-PASS results of the %s variant on %s:\n%s", v.Name(), kind, describe(out.Run.Results))
			wantVerdict := checks.Verdict(expectedResults(out.Run.Results, w))
			assert.Equal(t, wantVerdict, out.Run.Verdict)
			if v == provision.Correct {
				assert.Equal(t, checks.Ready, out.Run.Verdict, "inspect mode on a key provisioned as the guide says is READY")
			}
			if v == provision.GrantWithCreateGrant {
				// Reported, not failed: the result names the grant.
				for _, r := range out.Run.Results {
					if r.ID == "CMK-GRT-1" {
						assert.Contains(t, r.Observed, "create grants for others", "the CreateGrant grant is reported")
					}
				}
			}
		})
	}

	// Whatever the self-test made is pending deletion: none left Enabled.
	c := kms.NewFromConfig(tg.Config)
	ids := made
	if kind == keystate.KindEmbedded { // a fresh database: every key in it is ours
		keys, err := c.ListKeys(context.Background(), &kms.ListKeysInput{})
		require.NoError(t, err)
		ids = nil
		for _, k := range keys.Keys {
			ids = append(ids, aws.ToString(k.KeyId))
		}
		assert.Len(t, ids, len(made))
	}
	for _, id := range ids {
		d, err := c.DescribeKey(context.Background(), &kms.DescribeKeyInput{KeyId: aws.String(id)})
		require.NoError(t, err)
		assert.Equal(t, types.KeyStatePendingDeletion, d.KeyMetadata.KeyState, "key %s was left behind", id)
	}
}

// selfProfile is the self-test profile for the target's account. On aws the
// roles must exist: they come from CMK_PROFILE's administrators and users.
func selfProfile(t testing.TB, tg *targets.Conn) profile.Valid {
	t.Helper()
	admin := "arn:aws:iam::" + tg.Account + ":role/KeyAdmin"
	user := "arn:aws:iam::" + tg.Account + ":role/KeyUser"
	if tg.Kind == keystate.KindAWS {
		cp := loadProfile(t).Profile()
		if len(cp.KeyAdministrators) != 1 || len(cp.KeyUsers) != 1 {
			t.Skipf("on aws the self-test needs CMK_PROFILE to name one existing key administrator and one key user role of account %s", tg.Account)
		}
		admin, user = cp.KeyAdministrators[0], cp.KeyUsers[0]
	}
	p, err := profile.Parse(fmt.Appendf(nil, selfTestProfile, tg.Region, admin, user))
	require.NoError(t, err)
	return p
}

// expectedResults is the results as the table says they should be, to
// derive the verdict the table implies.
func expectedResults(rs []checks.Result, w want) []checks.Result {
	out := make([]checks.Result, len(rs))
	for i, r := range rs {
		r.Status = checks.Pass
		if st, ok := w[r.ID]; ok {
			r.Status = st
		}
		out[i] = r
	}
	return out
}

func describe(rs []checks.Result) string {
	var b strings.Builder
	for _, r := range rs {
		if r.Status != checks.Pass {
			fmt.Fprintf(&b, "  %s %s: %s\n", r.ID, r.Status, r.Observed)
		}
	}
	return b.String()
}
