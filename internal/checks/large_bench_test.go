package checks_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/policy"
)

// largeKey is the compliant snapshot with its key policy grown to just
// under KMS's 32 KB limit (teams' roles with encryption-context
// conditions, every tenth statement a conditional Deny) and grants
// grants: to roles, to accounts and to services, some constrained by
// encryption context, some with a retiring principal. No fixture holds a
// policy this large.
// https://docs.aws.amazon.com/kms/latest/developerguide/resource-limits.html#key-policy-limit
func largeKey(t testing.TB, grants int) snap {
	s := compliant(t)
	n := 0
	s.statements(t, func(st []any) []any {
		for ; ; n++ {
			var add map[string]any
			if n%10 == 9 {
				add = map[string]any{"Sid": fmt.Sprintf("DenyOutside%03d", n), "Effect": "Deny", "Principal": "*",
					"Action": []string{"kms:Decrypt", "kms:ReEncrypt*"}, "Resource": "*",
					"Condition": map[string]any{"StringNotEquals": map[string]any{"aws:SourceVpce": fmt.Sprintf("vpce-%08d", n)},
						"ArnLike": map[string]any{"aws:PrincipalArn": fmt.Sprintf("arn:aws:iam::111122223333:role/team/T%03d*", n-1)}}}
			} else {
				add = map[string]any{"Sid": fmt.Sprintf("Team%03d", n), "Effect": "Allow",
					"Principal": map[string]any{"AWS": fmt.Sprintf("arn:aws:iam::111122223333:role/team/T%03d", n)},
					"Action":    []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"}, "Resource": "*",
					"Condition": map[string]any{"StringEquals": map[string]any{"kms:EncryptionContext:team": fmt.Sprintf("t%03d", n)},
						"Bool": map[string]any{"aws:SecureTransport": "true"}}}
			}
			grown := append(append([]any(nil), st...), add)
			doc := map[string]any{"Version": "2012-10-17", "Statement": grown}
			if len(mustJSON(t, doc)) > policy.MaxSize-256 {
				return st
			}
			st = grown
		}
	})
	var gs []any
	for i := range grants {
		g := map[string]any{"GrantId": fmt.Sprintf("%064x", i), "KeyId": s.meta()["Arn"], "Name": fmt.Sprintf("g%d", i),
			"IssuingAccount": "arn:aws:iam::111122223333:root", "Operations": []string{"Decrypt", "Encrypt", "GenerateDataKey", "RetireGrant"}}
		switch i % 4 {
		case 0:
			g["GranteePrincipal"] = fmt.Sprintf("arn:aws:iam::111122223333:role/team/T%03d", i%n)
		case 1:
			g["GranteePrincipal"] = "rds.us-east-1.amazonaws.com"
			g["RetiringPrincipal"] = "arn:aws:iam::111122223333:role/team/T000"
		case 2:
			g["GranteePrincipal"] = fmt.Sprintf("arn:aws:sts::111122223333:assumed-role/T%03d/s%d", i%n, i)
			g["Constraints"] = map[string]any{"EncryptionContextSubset": map[string]any{"team": fmt.Sprintf("t%03d", i%n)}}
		default:
			g["GranteePrincipal"] = "111122223333"
		}
		gs = append(gs, g)
	}
	s[keystate.ListGrants] = map[string]any{"Grants": gs, "Truncated": false}
	return s
}

// BenchmarkEvaluateLargePolicy is BenchmarkEvaluate on a key policy of
// nearly 32 KB with 200 grants.
func BenchmarkEvaluateLargePolicy(b *testing.B) {
	s := largeKey(b, 200).state(b)
	b.Logf("key policy: %d bytes, grants: %d", len(s.Policy), len(s.Grants))
	p := loadProfile(b, "aep-example.yaml")
	b.ReportAllocs()
	for b.Loop() {
		checks.Judge(s, p)
	}
}

// The large key is what the benchmark says it is, and judging it gives
// every check a verdict.
func TestLargeKey(t *testing.T) {
	s := largeKey(t, 200).state(t)
	require.Greater(t, len(s.Policy), policy.MaxSize-1024)
	require.Len(t, s.Grants, 200)
	results, matrix := checks.Judge(s, loadProfile(t, "aep-example.yaml"))
	require.Len(t, results, len(checks.Catalog()))
	for _, r := range results {
		require.NotContains(t, r.Observed, "could not be parsed", r.ID)
	}
	require.NotEmpty(t, matrix)
}
