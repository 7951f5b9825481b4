package checks_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// largeAccount is an IAM answer with roles roles and policies customer
// managed policies (four attached to each role, one inline policy each),
// documents URL-encoded as IAM sends them.
func largeAccount(roles, policies int) map[string]any {
	enc := func(s string) string { return strings.ReplaceAll(url.QueryEscape(s), "+", "%20") }
	var ps, rs []any
	for i := range policies {
		doc := fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Sid":"S%d","Effect":"Allow","Action":["s3:GetObject","s3:PutObject","kms:Decrypt","kms:Encrypt"],"Resource":["arn:aws:s3:::bucket-%d/*","arn:aws:kms:us-east-1:111122223333:key/other-%d"]},{"Effect":"Deny","Action":"kms:ScheduleKeyDeletion","Resource":"*","Condition":{"Bool":{"aws:MultiFactorAuthPresent":"false"}}}]}`, i, i, i)
		ps = append(ps, map[string]any{"PolicyName": fmt.Sprintf("P%d", i), "Arn": fmt.Sprintf("arn:aws:iam::111122223333:policy/P%d", i), "DefaultVersionId": "v1",
			"PolicyVersionList": []any{map[string]any{"Document": enc(doc), "VersionId": "v1", "IsDefaultVersion": true}}})
	}
	for i := range roles {
		var att []any
		for j := range 4 {
			n := (i*4 + j) % policies
			att = append(att, map[string]any{"PolicyName": fmt.Sprintf("P%d", n), "PolicyArn": fmt.Sprintf("arn:aws:iam::111122223333:policy/P%d", n)})
		}
		inline := `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["kms:Describe*","kms:List*"],"Resource":"*"}]}`
		rs = append(rs, map[string]any{"RoleName": fmt.Sprintf("R%d", i), "Arn": fmt.Sprintf("arn:aws:iam::111122223333:role/team/R%d", i),
			"RolePolicyList": []any{map[string]any{"PolicyName": "read", "PolicyDocument": enc(inline)}}, "AttachedManagedPolicies": att})
	}
	return map[string]any{"UserDetailList": []any{}, "GroupDetailList": []any{}, "RoleDetailList": rs, "Policies": ps, "IsTruncated": false}
}

// BenchmarkADM4LargeAccount decodes an account of 500 roles and 2,000
// managed policies and judges one key with it: every check, ADM-4
// included (the bound is 2 s for reading and evaluating).
func BenchmarkADM4LargeAccount(b *testing.B) {
	s := compliant(b)
	s[keystate.GetAccountAuthorizationDetails] = largeAccount(500, 2000)
	answers := map[string]json.RawMessage{}
	for k, v := range s {
		raw, err := json.Marshal(v)
		require.NoError(b, err)
		answers[k] = raw
	}
	b.Logf("GetAccountAuthorizationDetails member: %d bytes", len(answers[keystate.GetAccountAuthorizationDetails]))
	p := mustProfile(b, "allow_key_deletion: true")
	b.ReportAllocs()
	for b.Loop() {
		st := keystate.FromAnswers(answers)
		r := result(b, checks.Evaluate(st, p), "CMK-ADM-4")
		if r.Status != checks.Pass {
			b.Fatalf("%s: %s", r.Status, r.Observed)
		}
	}
}
