package fleet

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/targets"
)

type answered struct{ n int }

func (a *answered) Do(*http.Request) (*http.Response, error) {
	a.n++
	return &http.Response{StatusCode: 200, Body: http.NoBody}, nil
}

func kmsRequest(t *testing.T, ctx context.Context, op string) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, "http://kms.invalid/", http.NoBody)
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "TrentService."+op)
	return req
}

// Each KMS operation waits for its own limiter, at the share of its quota;
// operations without a quota go at once.
func TestLimiterPerOperation(t *testing.T) {
	next := &answered{}
	l := newLimited(next, KMSQuotas, QuotaShare)
	assert.InDelta(t, 1000, float64(l.limiters["DescribeKey"].Limit()), 0.001, "half of DescribeKey's 2,000 a second")
	assert.InDelta(t, 50, float64(l.limiters["ListGrants"].Limit()), 0.001, "half of ListGrants' 100 a second")
	assert.Equal(t, 5, l.limiters["ListGrants"].Burst(), "a tenth of a second's worth at once")

	ctx := context.Background()
	for range 5 {
		_, err := l.Do(kmsRequest(t, ctx, "ListGrants"))
		require.NoError(t, err)
	}
	assert.Less(t, l.limiters["ListGrants"].Tokens(), 1.0, "the burst is spent")
	assert.InDelta(t, float64(l.limiters["DescribeKey"].Burst()), l.limiters["DescribeKey"].Tokens(), 1, "another operation's limiter is untouched")

	// The next ListGrants must wait; a request whose context ends first
	// is not sent.
	short, cancel := context.WithTimeout(ctx, time.Millisecond)
	defer cancel()
	_, err := l.Do(kmsRequest(t, short, "ListGrants"))
	assert.Error(t, err, "waiting beyond the request's deadline is an error, not a send")
	assert.Equal(t, 5, next.n)
	_, err = l.Do(kmsRequest(t, short, "Frobnicate"))
	require.NoError(t, err, "no quota, no wait")
	assert.Equal(t, 6, next.n)
}

// A place's client retries with the SDK's adaptive mode, bounded by the
// project's attempts, and is limited on AWS only.
func TestFleetConfig(t *testing.T) {
	tg := &targets.Conn{TargetFacts: keystate.TargetFacts{Kind: keystate.KindAWS}, Config: aws.Config{HTTPClient: &answered{}}}
	fleetConfig(tg, true, 8)
	r := tg.Config.Retryer()
	_, adaptive := r.(*retry.AdaptiveMode)
	assert.True(t, adaptive, "adaptive retry mode: %T", r)
	assert.Equal(t, targets.MaxAttempts, r.MaxAttempts())
	_, isLimited := tg.Config.HTTPClient.(*limited)
	assert.True(t, isLimited)

	emu := &targets.Conn{TargetFacts: keystate.TargetFacts{Kind: keystate.KindLocalStack}, Config: aws.Config{HTTPClient: &answered{}}}
	fleetConfig(emu, false, 8)
	_, isLimited = emu.Config.HTTPClient.(*limited)
	assert.False(t, isLimited, "emulators have no quotas to stay under")
}
