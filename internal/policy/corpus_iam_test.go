package policy

import (
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
)

// corpusIAMDir holds the third review's IAM-side cases: each a key policy,
// its grants, the account's IAM as `aws iam get-account-authorization-details`
// prints it, and the answers AWS gives, each citing its page.
const corpusIAMDir = "../../fixtures/policies/corpus-iam"

// authDetails is the part of GetAccountAuthorizationDetails the model reads.
type authDetails struct {
	UserDetailList []struct {
		UserName, Arn           string
		GroupList               []string
		UserPolicyList          []inlineDoc
		AttachedManagedPolicies []struct{ PolicyArn string }
		PermissionsBoundary     *struct{ PermissionsBoundaryArn string }
	}
	GroupDetailList []struct {
		GroupName, Arn          string
		GroupPolicyList         []inlineDoc
		AttachedManagedPolicies []struct{ PolicyArn string }
	}
	RoleDetailList []struct {
		RoleName, Arn            string
		AssumeRolePolicyDocument json.RawMessage
		RolePolicyList           []inlineDoc
		AttachedManagedPolicies  []struct{ PolicyArn string }
		PermissionsBoundary      *struct{ PermissionsBoundaryArn string }
	}
	Policies []struct {
		Arn, DefaultVersionId string
		PolicyVersionList     []struct {
			Document         json.RawMessage
			VersionId        string
			IsDefaultVersion bool
		}
	}
}

type inlineDoc struct {
	PolicyName     string
	PolicyDocument json.RawMessage
}

// corpusIdentities builds the identities (by ARN) and the roles' trust
// documents of an authDetails, failing on anything it cannot read.
func corpusIdentities(t *testing.T, a authDetails) (map[string]Identity, map[string]*Document) {
	t.Helper()
	managed := map[string]*Document{}
	for _, p := range a.Policies {
		for _, v := range p.PolicyVersionList {
			if v.IsDefaultVersion || v.VersionId == p.DefaultVersionId {
				d, err := ParseIdentityPolicy(v.Document)
				require.NoError(t, err, p.Arn)
				managed[p.Arn] = d
			}
		}
	}
	get := func(arn string) IdentityPolicy {
		d, ok := managed[arn]
		require.True(t, ok, "managed policy %s not in the evidence", arn)
		return IdentityPolicy{Name: "managed policy " + arn, Doc: d}
	}
	inline := func(owner string, list []inlineDoc) []IdentityPolicy {
		var out []IdentityPolicy
		for _, p := range list {
			d, err := ParseIdentityPolicy(p.PolicyDocument)
			require.NoError(t, err, owner+" "+p.PolicyName)
			out = append(out, IdentityPolicy{Name: fmt.Sprintf("inline policy %q of %s", p.PolicyName, owner), Doc: d})
		}
		return out
	}
	boundary := func(b *struct{ PermissionsBoundaryArn string }) *IdentityPolicy {
		if b == nil || b.PermissionsBoundaryArn == "" {
			return nil
		}
		p := get(b.PermissionsBoundaryArn)
		p.Name = "permissions boundary " + b.PermissionsBoundaryArn
		return &p
	}
	ids := map[string]Identity{}
	trust := map[string]*Document{}
	for _, u := range a.UserDetailList {
		w, err := WhoARN(u.Arn)
		require.NoError(t, err)
		id := Identity{Who: w, Policies: inline("user "+u.UserName, u.UserPolicyList), Boundary: boundary(u.PermissionsBoundary)}
		for _, m := range u.AttachedManagedPolicies {
			id.Policies = append(id.Policies, get(m.PolicyArn))
		}
		for _, gn := range u.GroupList {
			found := false
			for _, g := range a.GroupDetailList {
				if g.GroupName != gn {
					continue
				}
				found = true
				id.Policies = append(id.Policies, inline("group "+g.GroupName, g.GroupPolicyList)...)
				for _, m := range g.AttachedManagedPolicies {
					id.Policies = append(id.Policies, get(m.PolicyArn))
				}
			}
			require.True(t, found, "group %s of %s", gn, u.Arn)
		}
		ids[shortIAMARN(u.Arn)] = id
	}
	for _, r := range a.RoleDetailList {
		w, err := WhoARN(r.Arn)
		require.NoError(t, err)
		id := Identity{Who: w, Policies: inline("role "+r.RoleName, r.RolePolicyList), Boundary: boundary(r.PermissionsBoundary)}
		for _, m := range r.AttachedManagedPolicies {
			id.Policies = append(id.Policies, get(m.PolicyArn))
		}
		ids[shortIAMARN(r.Arn)] = id
		if len(r.AssumeRolePolicyDocument) > 0 {
			d, err := ParseTrustPolicy(r.AssumeRolePolicyDocument)
			require.NoError(t, err, "trust policy of %s", r.Arn)
			trust[r.Arn] = d
		}
	}
	return ids, trust
}

// shortIAMARN drops the path of a user or role ARN: the corpus asks about
// principals by the ARN a key policy would name.
func shortIAMARN(arn string) string {
	f, ok := awsid.ARNFields(arn)
	if !ok {
		return arn
	}
	for _, kind := range []string{"role/", "user/"} {
		if strings.HasPrefix(f[5], kind) {
			f[5] = kind + f[5][strings.LastIndex(f[5], "/")+1:]
		}
	}
	return strings.Join(f[:], ":")
}

// corpusIAMDisputed: expectations this model answers differently on
// purpose, "file#index" -> the model's answer and why.
var corpusIAMDisputed = map[string]struct {
	answer Answer
	why    string
}{}

// The corpus-iam expectations at the policy level: each principal asked
// with the key policy, the grants and (for the account's own identities)
// its IAM policies, as DecideEffective combines them; everything else
// with Decide.
func TestCorpusIAMAtThePolicyLevel(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(corpusIAMDir, "*.json"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	var total, held int
	var wrong []string
	for _, file := range files {
		name := filepath.Base(file)
		data, err := os.ReadFile(file)
		require.NoError(t, err)
		var c struct {
			corpusCase
			IAM *authDetails `json:"iam"`
		}
		require.NoError(t, json.Unmarshal(data, &c), name)
		doc, err := Parse(c.Policy)
		require.NoError(t, err, name)
		var opts []Option
		if c.OrgAccounts != nil {
			opts = append(opts, WithOrganizations(c.OrgAccounts))
		}
		m, err := NewModel(doc, c.KeyARN, c.Grants, opts...)
		require.NoError(t, err, name)
		ids := map[string]Identity{}
		if c.IAM != nil {
			ids, _ = corpusIdentities(t, *c.IAM)
		}
		for i, e := range c.Expect {
			total++
			key := fmt.Sprintf("%s#%d", name, i)
			w, err := ParseWho(e.Principal)
			if err != nil && isHostName(e.Principal) {
				// The corpus names a service principal by its name alone.
				w, err = WhoService(e.Principal), nil
			}
			require.NoError(t, err, key)
			var answer Answer
			var why string
			if id, ok := corpusIdentity(m, ids, w, c.IAM != nil); ok {
				d := m.DecideEffective(id, e.Action)
				answer, why = d.Answer, d.Why()
			} else {
				d := m.Decide(w, e.Action)
				answer, why = d.Answer, d.Why()
				if c.IAM == nil && d.IAMDecides != e.IAMDecides {
					answer = "iam_decides differs"
				}
			}
			want := e.Answer
			if dis, ok := corpusIAMDisputed[key]; ok {
				t.Logf("%s: disputed: corpus says %s, model %s: %s", key, want, dis.answer, dis.why)
				want = dis.answer
			}
			if answer == want {
				held++
				continue
			}
			wrong = append(wrong, fmt.Sprintf("%s %s %s: want %s, got %s (%s)\n\tmodel: %s", key, e.Principal, e.Action, want, answer, e.Doc, why))
		}
	}
	t.Logf("corpus-iam at the policy level: %d files, %d expectations, %d as AWS answers", len(files), total, held)
	for _, w := range wrong {
		t.Error(w)
	}
}

// corpusIdentity: the identity to ask DecideEffective about, when IAM is in
// the evidence and w is an own-account user, role, role session or
// identity (the last with no IAM policy: one the evidence does not hold).
func corpusIdentity(m *Model, ids map[string]Identity, w Who, haveIAM bool) (Identity, bool) {
	if w.Kind == WhoKindRoot && m.isOwn(w) {
		return Identity{Who: w}, true // no IAM policy applies to the root user
	}
	if !haveIAM || !m.isOwn(w) {
		return Identity{}, false
	}
	switch w.Kind {
	case WhoKindUser, WhoKindRole:
		if id, ok := ids[shortIAMARN(w.ARN)]; ok {
			return id, true
		}
	case WhoKindSession:
		role := "arn:" + m.partitionOf(w.Partition) + ":iam::" + w.Account + ":role/" + w.Name
		if id, ok := ids[role]; ok {
			id.Who = w
			return id, true
		}
	}
	return Identity{Who: w}, true
}
