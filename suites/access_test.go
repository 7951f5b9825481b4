package suites

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/iam"
	iamtypes "github.com/aws/aws-sdk-go-v2/service/iam/types"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/audit"
	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/provisiontest"
)

// Policies of the live access cases.
const (
	// accessNoKMS is a workload boundary that allows no KMS action.
	accessNoKMS = `{"Version":"2012-10-17","Statement":[{"Sid":"WorkloadServices","Effect":"Allow","Action":["s3:*","logs:*","sqs:*"],"Resource":"*"}]}`
	// accessKMSBoundary allows every KMS action: only the NotPrincipal rule
	// can take the administrator's rights away.
	accessKMSBoundary = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:*","iam:Get*","iam:List*"],"Resource":"*"}]}`
	// accessTrustEC2 is the trust policy the access model expects of a
	// workload role; accessTrustForeign lets account 444455556666 in.
	accessTrustEC2     = `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"Service":"ec2.amazonaws.com"},"Action":"sts:AssumeRole"}]}`
	accessTrustForeign = `{"Version":"2012-10-17","Statement":[{"Sid":"PartnerAssumes","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::444455556666:root"},"Action":"sts:AssumeRole"}]}`
	// accessDenySid is the key-policy Deny that exempts the administrator.
	accessDenySid = "Only listed principals may manage the key"
)

// noIAM is why the IAM cases skip on the embedded target.
const noIAM = "the embedded target has no IAM (local-kms serves KMS only): permissions boundaries and trust policies exist on LocalStack and AWS only"

// TestAccessLive holds issue 20's access model to real IAM objects and
// grants: each case judges one key twice, with and without the one thing
// that matters, and exactly the named checks change, naming the cause.
// Every IAM object, grant and key is deleted again.
func TestAccessLive(t *testing.T) {
	kind := targetKind(t)
	if kind == keystate.KindAWS {
		t.Skip("this test makes IAM roles, users, policies and grants: it runs on LocalStack and embedded only")
	}
	ctx := t.Context()
	tg, err := opener().Open(ctx, kind, "", "")
	require.NoError(t, err)
	t.Cleanup(tg.Close)
	self := selfProfile(t, tg)
	ic := iam.NewFromConfig(tg.Config)
	kc := kms.NewFromConfig(tg.Config)

	t.Run("a key-user role whose boundary holds no KMS action is not a key user", func(t *testing.T) {
		if kind == keystate.KindEmbedded {
			t.Skip(noIAM)
		}
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{
			ManagedPolicies: map[string]string{"NoKMS": accessNoKMS},
			Roles:           []provisiontest.IAMRoleSpec{{Name: "KeyUser", Boundary: "NoKMS"}},
		})
		role := o.Roles["KeyUser"]
		p := choose(t, self, nil, []string{role})
		key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
		bounded := judgeAccess(t, tg, p, key.KeyID)
		_, err := ic.DeleteRolePermissionsBoundary(ctx, &iam.DeleteRolePermissionsBoundaryInput{RoleName: aws.String(o.Name("KeyUser"))})
		require.NoError(t, err)
		free := judgeAccess(t, tg, p, key.KeyID)
		assertChanges(t, bounded, free, map[string]checks.Status{"CMK-USR-1": checks.Fail})
		assert.Contains(t, bounded["CMK-USR-1"].Observed, role)
	})

	t.Run("a boundary and a NotPrincipal Deny remove the administrator", func(t *testing.T) {
		if kind == keystate.KindEmbedded {
			t.Skip(noIAM)
		}
		// A user, as in corpus case 219: a role's sessions are never all
		// listed in a NotPrincipal, so a role is denied with or without a
		// boundary, and only a user shows what the boundary changes.
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{
			ManagedPolicies: map[string]string{"AdminBoundary": accessKMSBoundary},
			Users:           []provisiontest.IAMUserSpec{{Name: "kms-admin", Boundary: "AdminBoundary"}},
		})
		admin := o.Users["kms-admin"]
		p := choose(t, self, []string{admin}, nil)
		key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
		// The Deny exempts the administrator and the account's root user;
		// the boundary alone allows kms:*.
		putPolicyWith(t, kc, key, map[string]any{
			"Sid": accessDenySid, "Effect": "Deny",
			"NotPrincipal": map[string]any{"AWS": []string{admin, provision.RootARN(tg.Account)}},
			"Action":       []string{"kms:PutKeyPolicy", "kms:ScheduleKeyDeletion", "kms:DisableKey"},
			"Resource":     "*",
		})
		bounded := judgeAccess(t, tg, p, key.KeyID)
		if !boundaryListed(t, ic, o.Name("kms-admin")) {
			// What the tool does with the emulator's answer must still be
			// safe: the IAM evidence is unreadable, so no READY.
			assert.Equal(t, checks.Error, bounded["CMK-ADM-4"].Status, bounded["CMK-ADM-4"].Observed)
			assert.Contains(t, bounded["CMK-ADM-4"].Observed, "PermissionsBoundary lacks PermissionsBoundaryArn")
			assert.NotEqual(t, checks.Ready, verdictOf(bounded))
			t.Skipf("%s lists user %s's permissions boundary without its ARN in GetAccountAuthorizationDetails (LocalStack 4.14 stores a user's boundary where moto's serializer leaves it empty), so the boundary rule cannot be shown here; the tool failed closed: CMK-ADM-4 %s: %s",
				kind, admin, bounded["CMK-ADM-4"].Status, bounded["CMK-ADM-4"].Observed)
		}
		_, err := ic.DeleteUserPermissionsBoundary(ctx, &iam.DeleteUserPermissionsBoundaryInput{UserName: aws.String(o.Name("kms-admin"))})
		require.NoError(t, err)
		free := judgeAccess(t, tg, p, key.KeyID)
		assertChanges(t, bounded, free, map[string]checks.Status{"CMK-ADM-1": checks.Fail})
		assert.Contains(t, bounded["CMK-ADM-1"].Observed, admin)
		assert.Contains(t, bounded["CMK-ADM-1"].Observed, accessDenySid)
	})

	t.Run("a key-user role another account may assume fails CMK-USR-2", func(t *testing.T) {
		if kind == keystate.KindEmbedded {
			t.Skip(noIAM)
		}
		o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{
			Roles: []provisiontest.IAMRoleSpec{{Name: "KeyUser", Trust: accessTrustForeign}},
		})
		role := o.Roles["KeyUser"]
		p := choose(t, self, nil, []string{role})
		key := createKey(t, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))
		trusting := judgeAccess(t, tg, p, key.KeyID)
		_, err := ic.UpdateAssumeRolePolicy(ctx, &iam.UpdateAssumeRolePolicyInput{RoleName: aws.String(o.Name("KeyUser")), PolicyDocument: aws.String(accessTrustEC2)})
		require.NoError(t, err)
		contained := judgeAccess(t, tg, p, key.KeyID)
		assertChanges(t, trusting, contained, map[string]checks.Status{"CMK-USR-2": checks.Fail})
		assert.Contains(t, trusting["CMK-USR-2"].Observed, role)
		assert.Contains(t, trusting["CMK-USR-2"].Observed, "PartnerAssumes")
	})

	t.Run("a grant of Decrypt alone to an unchosen role fails CMK-USR-1", func(t *testing.T) {
		// On LocalStack the grantee is a real role; the embedded target
		// keeps grants itself and takes any own-account role ARN.
		reader := "arn:aws:iam::" + tg.Account + ":role/AuditReader"
		if kind != keystate.KindEmbedded {
			o := provisiontest.CreateIAM(t, tg.Config, provisiontest.IAMSpec{Roles: []provisiontest.IAMRoleSpec{{Name: "AuditReader"}}})
			reader = o.Roles["AuditReader"]
		}
		key := createKey(t, tg, provision.SpecFromProfile(self.Profile(), tg.Account, tg.Kind))
		before := judgeAccess(t, tg, self, key.KeyID)
		out, err := kc.CreateGrant(ctx, &kms.CreateGrantInput{KeyId: aws.String(key.KeyID), Name: aws.String("audit-reader"),
			GranteePrincipal: aws.String(reader), Operations: []types.GrantOperation{types.GrantOperationDecrypt}})
		require.NoError(t, err)
		grant := aws.ToString(out.GrantId)
		granted := judgeAccess(t, tg, self, key.KeyID)
		assertChanges(t, granted, before, map[string]checks.Status{"CMK-USR-1": checks.Fail})
		assert.Contains(t, granted["CMK-USR-1"].Observed, reader)
		assert.Contains(t, granted["CMK-USR-1"].Observed, grant)
		_, err = kc.RevokeGrant(ctx, &kms.RevokeGrantInput{KeyId: aws.String(key.KeyID), GrantId: aws.String(grant)})
		require.NoError(t, err)
		assertChanges(t, judgeAccess(t, tg, self, key.KeyID), before, map[string]checks.Status{})
	})
}

// choose is the self-test's profile with other chosen administrators or
// users (nil keeps the profile's).
func choose(t *testing.T, base profile.Valid, admins, users []string) profile.Valid {
	t.Helper()
	p := base.Profile()
	if admins != nil {
		p.KeyAdministrators = admins
	}
	if users != nil {
		p.KeyUsers = users
	}
	v, err := p.Validate()
	require.NoError(t, err)
	return v
}

// judgeAccess audits the key with the IAM evidence, results by check ID.
func judgeAccess(t *testing.T, tg *targets.Conn, p profile.Valid, keyID string) map[string]checks.Result {
	t.Helper()
	out, err := audit.Run(t.Context(), audit.Options{Conn: tg, Profile: p, Key: keyID})
	require.NoError(t, err)
	rs := map[string]checks.Result{}
	for _, r := range out.Run.Results {
		rs[r.ID] = r
	}
	return rs
}

// assertChanges holds that the results of got differ from those of ref in
// exactly the checks of want, with want's statuses in got.
func assertChanges(t *testing.T, got, ref map[string]checks.Result, want map[string]checks.Status) {
	t.Helper()
	changed := map[string]checks.Status{}
	for id, r := range got {
		if r.Status != ref[id].Status {
			changed[id] = r.Status
		}
	}
	assert.Equal(t, want, changed, "only these checks change:\n%s", describeAccess(got, ref))
	for id := range want {
		assert.Equal(t, checks.Pass, ref[id].Status, "%s without the cause: %s", id, ref[id].Observed)
	}
}

// describeAccess lists the results that differ, for a failing assertion.
func describeAccess(got, ref map[string]checks.Result) string {
	s := ""
	for id, r := range got {
		if r.Status != ref[id].Status {
			s += "  " + id + " " + string(r.Status) + " (was " + string(ref[id].Status) + "): " + r.Observed + "\n"
		}
	}
	return s
}

// boundaryListed says whether GetAccountAuthorizationDetails names the
// user's permissions boundary by its ARN, as AWS does.
func boundaryListed(t *testing.T, ic *iam.Client, user string) bool {
	t.Helper()
	pg := iam.NewGetAccountAuthorizationDetailsPaginator(ic, &iam.GetAccountAuthorizationDetailsInput{Filter: []iamtypes.EntityType{iamtypes.EntityTypeUser}})
	for pg.HasMorePages() {
		out, err := pg.NextPage(t.Context())
		require.NoError(t, err)
		for _, u := range out.UserDetailList {
			if aws.ToString(u.UserName) == user {
				return u.PermissionsBoundary != nil && aws.ToString(u.PermissionsBoundary.PermissionsBoundaryArn) != ""
			}
		}
	}
	t.Fatalf("user %s is not in GetAccountAuthorizationDetails", user)
	return false
}

// verdictOf is the verdict of a run's results.
func verdictOf(rs map[string]checks.Result) string {
	var all []checks.Result
	for _, r := range rs {
		all = append(all, r)
	}
	return checks.Verdict(all)
}

// putPolicyWith adds a statement to the key's final policy.
func putPolicyWith(t *testing.T, kc *kms.Client, key *provision.Key, st map[string]any) {
	t.Helper()
	var doc map[string]any
	require.NoError(t, json.Unmarshal([]byte(key.Policy), &doc))
	doc["Statement"] = append(doc["Statement"].([]any), st)
	b, err := json.Marshal(doc)
	require.NoError(t, err)
	_, err = kc.PutKeyPolicy(context.Background(), &kms.PutKeyPolicyInput{KeyId: aws.String(key.KeyID), PolicyName: aws.String("default"), Policy: aws.String(string(b))})
	require.NoError(t, err)
}
