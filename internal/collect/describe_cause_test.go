package collect

import (
	"context"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/aep-cmk/cmkcheck/internal/keystate"
	"github.com/aep-cmk/cmkcheck/internal/provision"
	"github.com/aep-cmk/cmkcheck/internal/testkit/faultproxy"
)

// When DescribeKey fails, every member it keeps from being asked, and the
// roundtrip, names the error itself: a reader of any one ERROR sees that it
// was throttling (not only that DescribeKey failed).
func TestDescribeKeyFailureNamesItsCause(t *testing.T) {
	tg := openEmbedded(t)
	key := makeKey(t, tg, provision.Correct)
	proxy, err := faultproxy.New(tg.Endpoint, faultproxy.Rule{Operation: "DescribeKey", Fault: faultproxy.Throttling})
	require.NoError(t, err)
	t.Cleanup(proxy.Close)
	through := *tg
	through.Config = tg.Config.Copy()
	through.Config.BaseEndpoint = aws.String(proxy.URL)

	s, rec, err := Key(context.Background(), &through, key.KeyID, Options{Roundtrip: true})
	require.NoError(t, err)
	for _, m := range keystate.Members[1:] {
		assert.Contains(t, s.Problem(m), "not asked", m)
		assert.Contains(t, s.Problem(m), "kms:DescribeKey failed", m)
		assert.Contains(t, s.Problem(m), "ThrottlingException", m)
	}
	assert.Contains(t, s.RoundTrip.NotRun, "ThrottlingException")
	r := judged(t, s, "roundtrip: true")
	assert.Contains(t, r["CMK-CFG-6"].Observed, "ThrottlingException")
	assert.Contains(t, r["CMK-ACC-1"].Observed, "ThrottlingException")
	assert.Equal(t, []string{OpDescribeKey, OpDescribeKey, OpDescribeKey}, rec.Calls, "three attempts, nothing else asked")
	assert.Nil(t, rec.Unreadable, "a throttle does not say the key is missing")
}

// DescribeKey's NotFoundException is recorded as the key being unreadable
// (a single audit stops on it); the state still names the cause, for a
// fleet's ERROR entry.
func TestDescribeKeyNotFoundMarksTheKeyUnreadable(t *testing.T) {
	tg := openEmbedded(t)
	s, rec, err := Key(context.Background(), tg, "alias/not-there", Options{})
	require.NoError(t, err)
	require.NotNil(t, rec.Unreadable)
	assert.Equal(t, OpDescribeKey, rec.Unreadable.Operation)
	assert.Equal(t, "NotFoundException", rec.Unreadable.Code)
	assert.Contains(t, s.Problem(keystate.DescribeKey), "NotFoundException")
}
