package faultproxy

import (
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

const answer = `{"KeyMetadata":{"KeyId":"k","Arn":"arn:aws:kms:us-east-1:111122223333:key/k"}}`

// upstream answers every request with answer, and echoes the body it got
// in a header so tests can see the proxy forwards it whole.
func upstream(t *testing.T) *httptest.Server {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(r.Body)
		w.Header().Set("X-Echo", string(body))
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, answer)
	}))
	t.Cleanup(srv.Close)
	return srv
}

func start(t *testing.T, rules ...Rule) *Proxy {
	t.Helper()
	p, err := New(upstream(t).URL, rules...)
	require.NoError(t, err)
	t.Cleanup(p.Close)
	return p
}

// kms sends a KMS JSON request for op through the proxy.
func kms(t *testing.T, p *Proxy, op string) (*http.Response, []byte, error) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, p.URL, strings.NewReader(`{"KeyId":"k"}`))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "TrentService."+op)
	req.Header.Set("Content-Type", "application/x-amz-json-1.1")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return nil, nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	return resp, body, err
}

func TestNewRejectsABadUpstream(t *testing.T) {
	for _, u := range []string{"", "127.0.0.1:1", "::"} {
		_, err := New(u)
		assert.Error(t, err, u)
	}
}

func TestOperationNames(t *testing.T) {
	r := httptest.NewRequest(http.MethodPost, "/", nil)
	r.Header.Set("X-Amz-Target", "TrentService.GetKeyPolicy")
	assert.Equal(t, "GetKeyPolicy", Operation(r))

	form := url.Values{"Action": {"GetCallerIdentity"}, "Version": {"2011-06-15"}}.Encode()
	r = httptest.NewRequest(http.MethodPost, "/", strings.NewReader(form))
	assert.Equal(t, "GetCallerIdentity", Operation(r))
	body, err := io.ReadAll(r.Body)
	require.NoError(t, err)
	assert.Equal(t, form, string(body), "the body is still there to forward")

	// Smithy RPC v2 (CloudWatch) names the operation in the path.
	r = httptest.NewRequest(http.MethodPost, "/service/GraniteServiceVersion20100801/operation/DescribeAlarms", strings.NewReader("\xbf\xff"))
	r.Header.Set("Smithy-Protocol", "rpc-v2-cbor")
	assert.Equal(t, "DescribeAlarms", Operation(r))

	assert.Equal(t, "", Operation(httptest.NewRequest(http.MethodGet, "/", nil)))
}

// Without a matching rule the proxy is transparent, and it counts.
func TestForwardsAndCounts(t *testing.T) {
	p := start(t, Rule{Operation: "Encrypt", Fault: Internal})
	for range 2 {
		resp, body, err := kms(t, p, "DescribeKey")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, answer, string(body))
		assert.Equal(t, `{"KeyId":"k"}`, resp.Header.Get("X-Echo"), "the request body reaches upstream whole")
	}
	assert.Equal(t, 2, p.Calls("DescribeKey"))
	assert.Equal(t, 0, p.Calls("Encrypt"))
	assert.Equal(t, map[string]int{"DescribeKey": 2}, p.Seen())
	assert.Equal(t, 2, p.Total())
}

// Times > 0 hits only the first Times calls: then the retry gets through.
func TestTimes(t *testing.T) {
	p := start(t, Rule{Operation: "GetKeyPolicy", Fault: Throttling, Times: 2})
	var codes []int
	for range 3 {
		resp, _, err := kms(t, p, "GetKeyPolicy")
		require.NoError(t, err)
		codes = append(codes, resp.StatusCode)
	}
	assert.Equal(t, []int{400, 400, 200}, codes)
	assert.Equal(t, 3, p.Calls("GetKeyPolicy"))
}

// Each fault as the client meets it on the wire.
func TestFaultsOnTheWire(t *testing.T) {
	tests := []struct {
		fault  Fault
		status int
		typ    string // __type of an AWS error body
	}{
		{Throttling, 400, "ThrottlingException"},
		{TooMany, 429, "ThrottlingException"},
		{Internal, 500, "KMSInternalException"},
		{Unavailable, 503, ""},
		{AccessDenied, 400, "AccessDeniedException"},
		{NotFound, 400, "NotFoundException"},
		{"no such fault", http.StatusTeapot, ""},
	}
	for _, tc := range tests {
		t.Run(string(tc.fault), func(t *testing.T) {
			p := start(t, Rule{Fault: tc.fault})
			resp, body, err := kms(t, p, "DescribeKey")
			require.NoError(t, err)
			assert.Equal(t, tc.status, resp.StatusCode)
			if tc.typ != "" {
				var e struct {
					Type string `json:"__type"`
				}
				require.NoError(t, json.Unmarshal(body, &e), string(body))
				assert.Equal(t, tc.typ, e.Type)
			}
		})
	}

	t.Run("reset", func(t *testing.T) {
		_, _, err := kms(t, start(t, Rule{Fault: Reset}), "DescribeKey")
		require.Error(t, err)
	})
	t.Run("truncated", func(t *testing.T) {
		resp, body, err := kms(t, start(t, Rule{Fault: Truncated}), "DescribeKey")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, answer[:len(answer)/2], string(body))
		assert.False(t, json.Valid(body))
	})
	t.Run("rewrite", func(t *testing.T) {
		p := start(t, Rule{Operation: "DescribeKey", Fault: Rewrite, Times: 1, Rewrite: func(b []byte) []byte {
			return []byte(strings.ReplaceAll(string(b), "key/k", "key/other"))
		}})
		resp, body, err := kms(t, p, "DescribeKey")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.Equal(t, "application/x-amz-json-1.1", resp.Header.Get("Content-Type"), "headers kept")
		assert.Equal(t, strings.ReplaceAll(answer, "key/k", "key/other"), string(body))
		assert.Equal(t, `{"KeyId":"k"}`, resp.Header.Get("X-Echo"), "the request reached upstream whole")
		_, body, err = kms(t, p, "DescribeKey")
		require.NoError(t, err)
		assert.Equal(t, answer, string(body), "Times: 1, then the genuine answer")

		resp, _, err = kms(t, start(t, Rule{Fault: Rewrite}), "DescribeKey")
		require.NoError(t, err)
		assert.Equal(t, http.StatusTeapot, resp.StatusCode, "a Rewrite rule needs its function")
	})
	t.Run("malformed", func(t *testing.T) {
		resp, body, err := kms(t, start(t, Rule{Fault: Malformed}), "DescribeKey")
		require.NoError(t, err)
		assert.Equal(t, http.StatusOK, resp.StatusCode)
		assert.False(t, json.Valid(body))
	})
}

// Latency answers late, and not at all to a client that gave up.
func TestLatency(t *testing.T) {
	p := start(t, Rule{Fault: Latency, Delay: 200 * time.Millisecond, Times: 1})
	begin := time.Now()
	resp, body, err := kms(t, p, "DescribeKey")
	require.NoError(t, err)
	assert.Equal(t, http.StatusOK, resp.StatusCode)
	assert.Equal(t, answer, string(body))
	assert.GreaterOrEqual(t, time.Since(begin), 200*time.Millisecond)

	slow := start(t, Rule{Fault: Latency, Delay: time.Minute})
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, slow.URL, strings.NewReader(`{}`))
	require.NoError(t, err)
	req.Header.Set("X-Amz-Target", "TrentService.DescribeKey")
	_, err = http.DefaultClient.Do(req)
	require.ErrorIs(t, err, context.DeadlineExceeded)
	closed := make(chan struct{})
	go func() { slow.Close(); close(closed) }()
	select {
	case <-closed: // the handler noticed the client leave: Close did not wait a minute
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for a handler whose client had left")
	}
}

// A rule with Match strikes only requests whose body holds it (one key of
// a fleet); with Region only those signed for that region.
func TestMatchAndRegion(t *testing.T) {
	p := start(t, Rule{Operation: "GetKeyPolicy", Match: `"key-b"`, Fault: AccessDenied},
		Rule{Region: "eu-west-1", Fault: Internal})
	send := func(body, region string) int {
		req, err := http.NewRequest(http.MethodPost, p.URL, strings.NewReader(body))
		require.NoError(t, err)
		req.Header.Set("X-Amz-Target", "TrentService.GetKeyPolicy")
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKID/20260101/"+region+"/kms/aws4_request, SignedHeaders=host, Signature=x")
		resp, err := http.DefaultClient.Do(req)
		require.NoError(t, err)
		resp.Body.Close()
		return resp.StatusCode
	}
	assert.Equal(t, 200, send(`{"KeyId":"key-a"}`, "us-east-1"))
	assert.Equal(t, 400, send(`{"KeyId":"key-b"}`, "us-east-1"), "key-b is struck")
	assert.Equal(t, 500, send(`{"KeyId":"key-a"}`, "eu-west-1"), "eu-west-1 is struck")
	assert.Equal(t, "eu-west-1", signedRegion("AWS4-HMAC-SHA256 Credential=AKID/20260101/eu-west-1/kms/aws4_request, ..."))
	assert.Empty(t, signedRegion("Bearer x"))
}

// The proxy keeps its connections: N clients calling side by side, round
// after round, reach the upstream over at most N connections, as AWS's
// endpoints are reached over kept-alive ones. (http.Transport keeps 2 idle
// connections a host by default: the others were closed after each
// answer and dialled again, a cost no AWS client pays.)
func TestKeepsConnectionsAlive(t *testing.T) {
	const clients, rounds = 8, 5
	var upstreamConns atomic.Int32
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.WriteString(w, answer)
	}))
	srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			upstreamConns.Add(1)
		}
	}
	srv.Start()
	t.Cleanup(srv.Close)
	// Every call waits, so the clients' calls overlap.
	p, err := New(srv.URL, Rule{Fault: Latency, Delay: 20 * time.Millisecond})
	require.NoError(t, err)
	t.Cleanup(p.Close)

	client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: clients}}
	t.Cleanup(client.CloseIdleConnections)
	for range rounds {
		var wg sync.WaitGroup
		for range clients {
			wg.Go(func() {
				req, err := http.NewRequest(http.MethodPost, p.URL, strings.NewReader(`{"KeyId":"k"}`))
				if !assert.NoError(t, err) {
					return
				}
				req.Header.Set("X-Amz-Target", "TrentService.DescribeKey")
				resp, err := client.Do(req)
				if !assert.NoError(t, err) {
					return
				}
				io.Copy(io.Discard, resp.Body)
				resp.Body.Close()
			})
		}
		wg.Wait()
	}
	st := p.Stats()
	assert.Equal(t, clients*rounds, st.Requests)
	assert.LessOrEqual(t, int(upstreamConns.Load()), clients, "connections the upstream accepted")
	assert.Equal(t, int(upstreamConns.Load()), st.UpstreamConns, "connections the proxy dialled")
	assert.LessOrEqual(t, st.ClientConns, clients, "connections the proxy accepted")
	assert.Greater(t, st.Busy, time.Duration(0))
}
