package suites

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/aws-sdk-go-v2/service/kms/types"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/checks"
	"github.com/aep-cmk/cmkcheck/internal/collect"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/profile"
	"github.com/aep-cmk/cmkcheck/internal/targets"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
)

// Bounds of a collection under fault: the overall deadline, and the HTTP
// client's own timeout, which the Latency fault's delay exceeds. The client
// timeout leaves room for a loaded machine (a busy CI runner stalls loopback
// answers by up to a second); the deadline covers targets.MaxAttempts
// timed-out attempts and the rest of the collection.
const (
	clientTimeout = 2 * time.Second
	slowAnswer    = clientTimeout + time.Second
	faultDeadline = 10 * time.Second
	// safetyNet only catches a hang; timing is measured by the benchmarks.
	safetyNet = 30 * time.Second
)

// behind is a copy of tg whose requests go through the proxy, with an HTTP
// client that gives up after clientTimeout. The copy shares tg's emulator
// and must not be closed.
func behind(tg *targets.Conn, p *faultproxy.Proxy) *targets.Conn {
	c := *tg
	c.Endpoint = p.URL
	c.Config = tg.Config.Copy()
	c.Config.BaseEndpoint = aws.String(p.URL)
	c.Config.HTTPClient = awshttp.NewBuildableClient().WithTimeout(clientTimeout)
	return &c
}

// newProxy starts a fault proxy in front of tg's emulator, closed with the test.
func newProxy(t testing.TB, tg *targets.Conn, rules ...faultproxy.Rule) *faultproxy.Proxy {
	t.Helper()
	p, err := faultproxy.New(tg.Endpoint, rules...)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

// faultRun is one collection through a fault proxy, and what came of it.
type faultRun struct {
	state   *keystate.State
	rec     *collect.Record
	err     error
	results []checks.Result
	elapsed time.Duration
	seen    map[string]int // operation -> calls that reached the proxy
}

// collectThrough collects key through proxy and evaluates it against p. It
// touches no testing.T, so runs can go side by side in goroutines.
func collectThrough(tg *targets.Conn, proxy *faultproxy.Proxy, key string, p profile.Valid) faultRun {
	start := time.Now()
	s, rec, err := collect.Key(context.Background(), behind(tg, proxy), key, collect.Options{Roundtrip: p.Profile().Roundtrip, Timeout: faultDeadline})
	r := faultRun{state: s, rec: rec, err: err, elapsed: time.Since(start), seen: proxy.Seen()}
	if err == nil {
		r.results = checks.Evaluate(s, p)
	}
	return r
}

// hitBy lists the checks whose evidence a failed operation takes away: the
// checks that need its member, and the live probes that rest on it. Without
// DescribeKey the key ID is unknown and nothing else is asked.
func hitBy(op string) []string {
	var ids []string
	for _, c := range checks.Catalog() {
		switch {
		case op == keystate.DescribeKey && (len(c.Needs) > 0 || c.ID == "CMK-ACC-1" || c.ID == "CMK-CFG-6"):
		case slices.Contains(c.Needs, op):
		case (op == "Encrypt" || op == "Decrypt") && c.ID == "CMK-CFG-6":
		default:
			continue
		}
		ids = append(ids, c.ID)
	}
	return ids
}

// byID indexes results by check ID.
func byID(rs []checks.Result) map[string]checks.Result {
	m := make(map[string]checks.Result, len(rs))
	for _, r := range rs {
		m[r.ID] = r
	}
	return m
}

// statuses is the compact form of results for messages: "ID STATUS" lines.
func statuses(rs []checks.Result) string {
	var b strings.Builder
	for _, r := range rs {
		b.WriteString(r.ID + " " + string(r.Status) + ": " + r.Observed + "\n")
	}
	return b.String()
}

// keyStates lists every key in tg's emulator with its state: ListKeys, then
// DescribeKey of each.
func keyStates(t testing.TB, tg *targets.Conn) map[string]types.KeyState {
	t.Helper()
	ctx := context.Background()
	c := kms.NewFromConfig(tg.Config)
	out := map[string]types.KeyState{}
	p := kms.NewListKeysPaginator(c, &kms.ListKeysInput{})
	for p.HasMorePages() {
		page, err := p.NextPage(ctx)
		require.NoError(t, err, "kms:ListKeys")
		for _, k := range page.Keys {
			d, err := c.DescribeKey(ctx, &kms.DescribeKeyInput{KeyId: k.KeyId})
			require.NoError(t, err, "kms:DescribeKey %s", aws.ToString(k.KeyId))
			out[aws.ToString(k.KeyId)] = d.KeyMetadata.KeyState
		}
	}
	return out
}
