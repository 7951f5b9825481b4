package suites

import (
	"context"
	"testing"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/provision"
)

// BenchmarkGatherEvaluate is one gather (read-only collection, roundtrip
// included) and one evaluation of a key on the embedded target; calls/op
// is the API requests one key costs.
func BenchmarkGatherEvaluate(b *testing.B) {
	ctx := context.Background()
	tg := openEmbedded(b)
	p := selfProfile(b, tg)
	key := createKey(b, tg, provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind))

	calls := 0
	b.ResetTimer()
	for b.Loop() {
		s, rec, err := collect.Key(ctx, tg, key.KeyID, collect.Options{Roundtrip: p.Profile().Roundtrip})
		if err != nil {
			b.Fatal(err)
		}
		if v := checks.Verdict(checks.Evaluate(s, p)); v != checks.Ready {
			b.Fatalf("verdict %s", v)
		}
		calls += rec.APICalls()
	}
	b.ReportMetric(float64(calls)/float64(b.N), "calls/op")
}
