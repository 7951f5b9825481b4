package suites

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/testkit/provisiontest"
)

// Identity policies of the IAM self-test.
const (
	iamAllowDelete  = `{"Version":"2012-10-17","Statement":[{"Sid":"Cleanup","Effect":"Allow","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`
	iamAllowKMS     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:*","Resource":"*"}]}`
	iamAllowDisable = `{"Version":"2012-10-17","Statement":[{"Sid":"OnCall","Effect":"Allow","Action":"kms:DisableKey","Resource":"arn:aws:kms:*:*:key/*"}]}`
	iamDenyDelete   = `{"Version":"2012-10-17","Statement":[{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*"}]}`
	iamReadOnly     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Describe*","kms:List*","kms:Get*"],"Resource":"*"}]}`
)

// TestIAMEffectiveAccess makes real IAM objects next to a key provisioned
// as the guide says (the console's root delegation kept) and holds the
// checks, which all ask one model with the IAM evidence, to what they
// allow: a role whose inline policy allows deletion on * fails CMK-ADM-4
// (named with its policy) and CMK-ADM-2 (a deletion holder nobody chose);
// a permissions boundary without the action, or the role's removal, passes
// them again; kms:* on * makes an unchosen administrator and user of the
// key; a group policy giving kms:DisableKey warns CMK-USR-4 too; an
// explicit Deny removes exactly what it denies. Every IAM object is
// deleted again.
func TestIAMEffectiveAccess(t *testing.T) {
	kind := targetKind(t)
	switch kind {
	case keystate.KindEmbedded:
		t.Skip("the embedded target has no IAM: CMK-ADM-4 is SKIP there, with the reason (TestSelfTest holds it)")
	case keystate.KindAWS:
		t.Skip("this test makes IAM roles, users and policies: it runs on LocalStack only")
	}
	ctx := t.Context()
	tg, err := opener().Open(ctx, kind, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	p := selfProfile(t, tg)
	key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
	judge := func(t *testing.T) map[string]checks.Result {
		t.Helper()
		out, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Key: key.KeyID})
		require.NoError(t, err)
		rs := map[string]checks.Result{}
		for _, r := range out.Run.Results {
			rs[r.ID] = r
		}
		return rs
	}
	base := judge(t)
	require.Equal(t, checks.Pass, base["CMK-ADM-4"].Status, "before any IAM object: %s", base["CMK-ADM-4"].Observed)
	// LocalStack does not simulate IAM faithfully: PRM-1 evaluates the
	// caller's own policies instead (LocalStack's caller is the root user).
	require.Equal(t, checks.Pass, base["CMK-PRM-1"].Status, base["CMK-PRM-1"].Observed)
	require.Contains(t, base["CMK-PRM-1"].Observed, "the caller's IAM policies, evaluated by this tool")
	// changed lists the results whose status differs from the baseline.
	changed := func(rs map[string]checks.Result) map[string]checks.Status {
		out := map[string]checks.Status{}
		for id, r := range rs {
			if r.Status != base[id].Status {
				out[id] = r.Status
			}
		}
		return out
	}
	// exactly: the statuses that change are want; CMK-ADM-4 says says.
	exactly := func(t *testing.T, rs map[string]checks.Result, want map[string]checks.Status, says ...string) {
		t.Helper()
		assert.Equal(t, want, changed(rs), "CMK-ADM-4: %s", rs["CMK-ADM-4"].Observed)
		for _, s := range says {
			assert.Contains(t, rs["CMK-ADM-4"].Observed, s)
		}
	}
	forget := func(t *testing.T, o *provisiontest.IAMObjects) {
		t.Helper()
		require.NoError(t, provisiontest.DeleteIAME(ctx, tg.Config, o))
	}

	t.Run("a role whose inline policy allows deletion on *", func(t *testing.T) {
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{Roles: []provisiontest.IAMRoleSpec{{Name: "Cleanup", Inline: map[string]string{"delete": iamAllowDelete}}}})
		role := o.Roles["Cleanup"]
		exactly(t, judge(t), map[string]checks.Status{"CMK-ADM-4": checks.Fail, "CMK-ADM-2": checks.Fail},
			role+" kms:ScheduleKeyDeletion (ALLOWED via inline policy \"delete\" of role "+o.Name("Cleanup"))
		forget(t, o)
		exactly(t, judge(t), map[string]checks.Status{})
	})
	t.Run("a permissions boundary without the action", func(t *testing.T) {
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{
			ManagedPolicies: map[string]string{"ReadOnlyBoundary": iamReadOnly},
			Roles:           []provisiontest.IAMRoleSpec{{Name: "Bounded", Inline: map[string]string{"all": iamAllowKMS}, Boundary: "ReadOnlyBoundary"}},
		})
		exactly(t, judge(t), map[string]checks.Status{})
		forget(t, o)
	})
	t.Run("an extra role with kms:* on * through a managed policy", func(t *testing.T) {
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{
			ManagedPolicies: map[string]string{"KMSAll": iamAllowKMS},
			Roles:           []provisiontest.IAMRoleSpec{{Name: "Power", Attached: []string{"KMSAll"}}},
		})
		role := o.Roles["Power"]
		rs := judge(t)
		exactly(t, rs, map[string]checks.Status{"CMK-ADM-4": checks.Fail, "CMK-ADM-1": checks.Fail, "CMK-ADM-2": checks.Fail, "CMK-USR-1": checks.Fail},
			role+" kms:DisableKey", role+" kms:PutKeyPolicy", role+" kms:ScheduleKeyDeletion", "managed policy "+o.Policies["KMSAll"])
		assert.Contains(t, rs["CMK-USR-1"].Observed, role, "an unchosen user of the key")
		forget(t, o)
	})
	t.Run("a group policy that allows kms:DisableKey", func(t *testing.T) {
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{
			Groups: []provisiontest.IAMGroupSpec{{Name: "OnCall", Inline: map[string]string{"disable": iamAllowDisable}}},
			Users:  []provisiontest.IAMUserSpec{{Name: "carol", Groups: []string{"OnCall"}}},
		})
		user := o.Users["carol"]
		rs := judge(t)
		exactly(t, rs, map[string]checks.Status{"CMK-ADM-4": checks.Fail, "CMK-USR-4": checks.Warn},
			user+" kms:DisableKey (ALLOWED via inline policy \"disable\" of group "+o.Groups["OnCall"])
		assert.NotContains(t, rs["CMK-ADM-4"].Observed, user+" kms:ScheduleKeyDeletion")
		forget(t, o)
	})
	t.Run("an explicit Deny on kms:ScheduleKeyDeletion", func(t *testing.T) {
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{
			Roles: []provisiontest.IAMRoleSpec{{Name: "Denied", Inline: map[string]string{"all": iamAllowKMS, "nodelete": iamDenyDelete}}},
		})
		role := o.Roles["Denied"]
		rs := judge(t)
		// kms:* makes it an administrator and a user nobody chose; the Deny
		// keeps it from deleting (CMK-ADM-2 unchanged).
		exactly(t, rs, map[string]checks.Status{"CMK-ADM-4": checks.Fail, "CMK-ADM-1": checks.Fail, "CMK-USR-1": checks.Fail}, role+" kms:DisableKey")
		assert.NotContains(t, rs["CMK-ADM-4"].Observed, role+" kms:ScheduleKeyDeletion", "the Deny wins")
		forget(t, o)
	})
	t.Run("the same role listed as break glass", func(t *testing.T) {
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{Roles: []provisiontest.IAMRoleSpec{{Name: "Emergency", Inline: map[string]string{"all": iamAllowKMS}}}})
		raised := p.Profile()
		raised.BreakGlass = []string{o.Roles["Emergency"]}
		v, err := raised.Validate()
		require.NoError(t, err)
		out, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: v, Key: key.KeyID})
		require.NoError(t, err)
		for _, r := range out.Run.Results {
			if r.ID == "CMK-ADM-4" {
				assert.Equal(t, checks.Pass, r.Status, r.Observed)
				assert.Contains(t, r.Observed, "expected holders: "+o.Roles["Emergency"])
			}
		}
		forget(t, o)
	})
	t.Run("--no-iam", func(t *testing.T) {
		out, err := audit.Run(ctx, audit.Options{Conn: tg, Profile: p, Key: key.KeyID, NoIAM: true})
		require.NoError(t, err)
		rs := map[string]checks.Result{}
		for _, r := range out.Run.Results {
			rs[r.ID] = r
		}
		// PRM-1, which evaluates the caller's IAM policies on LocalStack,
		// has nothing to evaluate either.
		assert.Equal(t, map[string]checks.Status{"CMK-ADM-4": checks.Skip, "CMK-PRM-1": checks.Skip}, changed(rs))
		assert.Contains(t, rs["CMK-ADM-4"].Observed, "--no-iam")
		assert.Contains(t, rs["CMK-PRM-1"].Observed, "the account's IAM policies were not read either")
	})
}
