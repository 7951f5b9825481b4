package suites

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
)

// faultScenario is one way the service misbehaves.
type faultScenario struct {
	name     string
	fault    faultproxy.Fault
	times    int    // calls hit; 0 means every call
	recovers bool   // the SDK's retries (targets.MaxAttempts) bring the genuine answer
	attempts int    // calls of the faulty operation the proxy sees
	says     string // a regexp: how the Observed text names the error
}

// faultScenarios: every retryable fault both persistent and transient (hit
// fewer times than targets.MaxAttempts, so the retries recover), and once
// hit exactly MaxAttempts times, the bound; the non-retryable ones once.
var faultScenarios = []faultScenario{
	{name: "throttling", fault: faultproxy.Throttling, attempts: targets.MaxAttempts, says: "ThrottlingException"},
	{name: "throttling x2", fault: faultproxy.Throttling, times: 2, recovers: true, attempts: 3},
	{name: "throttling x3", fault: faultproxy.Throttling, times: targets.MaxAttempts, attempts: targets.MaxAttempts, says: "ThrottlingException"},
	{name: "HTTP 429", fault: faultproxy.TooMany, attempts: targets.MaxAttempts, says: `StatusCode: 429`},
	{name: "HTTP 429 x1", fault: faultproxy.TooMany, times: 1, recovers: true, attempts: 2},
	{name: "HTTP 500", fault: faultproxy.Internal, attempts: targets.MaxAttempts, says: `StatusCode: 500`},
	{name: "HTTP 500 x2", fault: faultproxy.Internal, times: 2, recovers: true, attempts: 3},
	{name: "HTTP 503", fault: faultproxy.Unavailable, attempts: targets.MaxAttempts, says: `StatusCode: 503`},
	{name: "HTTP 503 x1", fault: faultproxy.Unavailable, times: 1, recovers: true, attempts: 2},
	{name: "connection reset", fault: faultproxy.Reset, attempts: targets.MaxAttempts, says: "reset"},
	{name: "connection reset x2", fault: faultproxy.Reset, times: 2, recovers: true, attempts: 3},
	{name: "truncated JSON", fault: faultproxy.Truncated, attempts: 1, says: "deserialization failed"},
	{name: "malformed JSON", fault: faultproxy.Malformed, attempts: 1, says: "deserialization failed"},
	{name: "latency beyond the timeout", fault: faultproxy.Latency, attempts: targets.MaxAttempts, says: `Client\.Timeout exceeded|context deadline exceeded`},
	{name: "latency beyond the timeout x1", fault: faultproxy.Latency, times: 1, recovers: true, attempts: 2},
	{name: "access denied", fault: faultproxy.AccessDenied, attempts: 1, says: "AccessDeniedException"},
	{name: "key not found", fault: faultproxy.NotFound, attempts: 1, says: "NotFoundException"},
}

// concurrentRuns bounds the runs in flight: enough to overlap the sleeps,
// few enough that the emulator answers well within clientTimeout on 2 cores.
const concurrentRuns = 16

// faultOps are the operations a collection with roundtrip sends.
var faultOps = []string{"DescribeKey", "GetKeyPolicy", "GetKeyRotationStatus", "ListResourceTags", "ListAliases", "ListGrants", "Encrypt", "Decrypt"}

// unread lists the operations whose answer no check reads yet, and which
// checks will: the affected set of a fault on them is empty. Such a fault
// must still leave its member a problem naming the operation and the
// error (fail closed: never an empty list), and every result as it was.
// When a check comes to need the member, TestFaults fails until the
// operation leaves this table.
var unread = map[string]string{}

// TestFaults puts a fault proxy between the collector and the embedded
// emulator and proves, for every scenario on every operation, that the run
// ends, that what the fault took away is ERROR and named, that nothing is a
// false PASS, and that a recovered run is exactly the fault-free one.
func TestFaults(t *testing.T) {
	ctx := context.Background()
	tg := openEmbedded(t)
	p := selfProfile(t, tg)
	// The key has one grant (to the key-user role, nothing to report), so
	// a recovered ListGrants must bring a real list back, not an empty one.
	spec := provision.SpecFromProfile(p.Profile(), tg.Account, tg.Kind)
	spec.Variant = provision.GrantAllowed
	key := createKey(t, tg, spec)

	// The fault-free baseline goes through a proxy too, and must equal a
	// direct collection: the proxy itself changes nothing.
	baseline := collectThrough(tg, newProxy(t, tg), key.KeyID, p)
	require.NoError(t, baseline.err)
	require.Len(t, baseline.state.Grants, 1, "the fault-free run sees the grant")
	require.Equal(t, checks.Ready, checks.Verdict(baseline.results), "the fault-free run:\n%s", statuses(baseline.results))
	// The same key judged with rotation and tags required: every check
	// that a fault can hit is then required.
	raise := p.Profile()
	raise.RotationRequired = true
	raise.RequiredTags = map[string]string{"Adobe": "Experience-Platform"}
	strict, err := raise.Validate()
	require.NoError(t, err)
	require.Equal(t, checks.Ready, checks.Verdict(checks.Evaluate(baseline.state, strict)), "the fault-free run, strictly judged")
	direct, _, err := collect.Key(ctx, tg, key.KeyID, collect.Options{Roundtrip: p.Profile().Roundtrip})
	require.NoError(t, err)
	require.Equal(t, checks.Evaluate(direct, p), baseline.results, "the proxy is transparent")

	// Every run goes at once: most of their time is the SDK's backoff and
	// the client timeout, spent asleep.
	type job struct {
		sc  faultScenario
		op  string
		run faultRun
	}
	var jobs []*job
	for _, sc := range faultScenarios {
		for _, op := range faultOps {
			jobs = append(jobs, &job{sc: sc, op: op})
		}
	}
	proxies := make([]*faultproxy.Proxy, len(jobs))
	for i, j := range jobs {
		proxies[i] = newProxy(t, tg, faultproxy.Rule{Operation: j.op, Fault: j.sc.fault, Times: j.sc.times, Delay: slowAnswer})
	}
	var wg sync.WaitGroup
	slots := make(chan struct{}, concurrentRuns)
	for i, j := range jobs {
		wg.Go(func() {
			slots <- struct{}{}
			defer func() { <-slots }()
			j.run = collectThrough(tg, proxies[i], key.KeyID, p)
		})
	}
	wg.Wait()

	var table []string
	for _, j := range jobs {
		t.Run(j.sc.name+"/"+j.op, func(t *testing.T) {
			table = append(table, assertFault(t, j.sc, j.op, j.run, baseline, strict))
		})
	}
	t.Logf("fault scenarios (scenario | operation | attempts seen by the proxy | affected checks | verdict):\n%s", strings.Join(table, "\n"))
}

// assertFault checks one run under fault against the baseline and returns
// its row of the scenario table.
func assertFault(t *testing.T, sc faultScenario, op string, run, baseline faultRun, strict profile.Valid) string {
	require.NoError(t, run.err, "a fault is never an error of the collection itself")
	assert.Less(t, run.elapsed, safetyNet, "the deadline and the retry bound end the run")
	assert.Equal(t, sc.attempts, run.seen[op], "attempts of %s that reached the proxy: %v", op, run.seen)
	assert.Empty(t, run.rec.Refused, "the collector sends reads only")

	hit := hitBy(op)
	got, base := byID(run.results), byID(baseline.results)
	verdict := checks.Verdict(run.results)
	if sc.recovers {
		assert.Equal(t, baseline.results, run.results, "the retries recovered: the results are the fault-free ones")
		assert.Equal(t, baseline.state.Raw[op], run.state.Raw[op], "the retries recovered: %s's answer is the fault-free one", op)
		assert.Equal(t, checks.Ready, verdict)
		return fmt.Sprintf("%s | %s | %d | recovered: the fault-free results | %s", sc.name, op, run.seen[op], verdict)
	}
	if who, ok := unread[op]; ok {
		require.Empty(t, hit, "a check now reads %s: take it off the unread table (%s)", op, who)
		problem := run.state.Problem(op)
		assert.Contains(t, problem, "kms:"+op, "the member's problem names the operation")
		assert.Regexp(t, sc.says, problem, "the member's problem names the error")
		assert.False(t, run.state.Has(op), "no list stands in for the lost answer")
		assert.Equal(t, baseline.results, run.results, "no check reads %s yet", op)
		return fmt.Sprintf("%s | %s | %d | none yet (%s); the member is a problem | %s", sc.name, op, run.seen[op], who, verdict)
	}

	for _, id := range hit {
		r := got[id]
		if assert.Equal(t, checks.Error, r.Status, "%s rests on %s, which failed: %s", id, op, r.Observed) {
			assert.Contains(t, r.Observed, op, "%s names the operation", id)
			assert.Regexp(t, sc.says, r.Observed, "%s names the error", id)
		}
	}
	// A PASS under fault must be a PASS without it, on evidence the fault
	// did not touch.
	for _, r := range run.results {
		if r.Status == checks.Pass {
			assert.Equal(t, checks.Pass, base[r.ID].Status, "%s is PASS only under fault", r.ID)
			assert.NotContains(t, hit, r.ID, "%s is PASS though %s failed", r.ID, op)
		}
	}
	// The verdict follows the contract: NOT READY when a required check lost
	// its evidence. OPS-1 and LBL-4 are recommended under the self-test
	// profile, so a fault on their evidence alone leaves READY with an
	// ERROR; judged against a profile that requires them it is NOT READY.
	wantVerdict := checks.Ready
	for _, id := range hit {
		if got[id].Severity == checks.Required {
			wantVerdict = checks.NotReady
		}
	}
	assert.Equal(t, wantVerdict, verdict, "the verdict:\n%s", statuses(run.results))
	strictVerdict := checks.Verdict(checks.Evaluate(run.state, strict))
	assert.Equal(t, checks.NotReady, strictVerdict, "with every check required")

	var counts = map[checks.Status]int{}
	for _, id := range hit {
		counts[got[id].Status]++
	}
	var parts []string
	for _, st := range checks.Statuses {
		if counts[st] > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", counts[st], st))
		}
	}
	var others []string
	for _, r := range run.results {
		if !slices.Contains(hit, r.ID) && r.Status != base[r.ID].Status {
			others = append(others, r.ID+" "+string(r.Status))
		}
	}
	sort.Strings(others)
	affected := strings.Join(parts, ", ") + " (" + strings.Join(hit, " ") + ")"
	if len(others) > 0 {
		affected += "; also changed: " + strings.Join(others, " ")
	}
	if verdict != strictVerdict {
		verdict += " (" + strictVerdict + " with rotation_required / required_tags)"
	}
	return fmt.Sprintf("%s | %s | %d | %s | %s", sc.name, op, run.seen[op], affected, verdict)
}
