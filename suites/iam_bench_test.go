package suites

import (
	"fmt"
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/testkit/provisiontest"
)

// BenchmarkIAMLargeAccount reads an account of 500 roles and 2,000
// customer managed policies (four attached to each role) from LocalStack
// with GetAccountAuthorizationDetails, every page, and judges one key with
// it, ADM-4 included. The IAM objects are made once, before the timer, and
// deleted after. LocalStack only: embedded has no IAM, and on aws it would
// make thousands of real objects.
func BenchmarkIAMLargeAccount(b *testing.B) {
	if kind := targetKind(b); kind != keystate.KindLocalStack {
		b.Skipf("needs IAM objects made on LocalStack (CMK_TARGET=localstack), not %s", kind)
	}
	ctx := b.Context()
	tg, err := opener().Open(ctx, keystate.KindLocalStack, "", "")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(tg.Close)
	p := selfProfile(b, tg)
	key := createKey(b, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))

	spec := provisiontest.IAMSpec{ManagedPolicies: map[string]string{}}
	for i := range 2000 {
		spec.ManagedPolicies[fmt.Sprintf("P%04d", i)] = fmt.Sprintf(`{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":["s3:GetObject","kms:Decrypt"],"Resource":["arn:aws:s3:::bucket-%d/*","arn:aws:kms:*:*:key/other-%d"]}]}`, i, i)
	}
	for i := range 500 {
		r := provisiontest.IAMRoleSpec{Name: fmt.Sprintf("R%03d", i), Inline: map[string]string{"read": `{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"kms:Describe*","Resource":"*"}]}`}}
		for j := range 4 {
			r.Attached = append(r.Attached, fmt.Sprintf("P%04d", (i*4+j)%2000))
		}
		spec.Roles = append(spec.Roles, r)
	}
	provisiontest.CreateIAM(b, tg.Config, spec)

	b.ResetTimer()
	for b.Loop() {
		s, _, err := collect.Key(ctx, tg, key.KeyID, collect.Options{})
		if err != nil {
			b.Fatal(err)
		}
		for _, r := range checks.Evaluate(s, p) {
			if r.ID == "CMK-ADM-4" && r.Status != checks.Pass {
				b.Fatalf("%s: %s", r.Status, r.Observed)
			}
		}
		if len(s.IAM.Roles) < 500 {
			b.Fatalf("read %d roles", len(s.IAM.Roles))
		}
	}
}
