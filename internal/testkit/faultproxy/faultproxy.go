// Package faultproxy is a real HTTP hop in front of an emulator that injects
// faults per AWS operation: throttling, server errors, resets, broken JSON,
// latency, access denied, missing keys, rewritten answers. Tests use it to
// prove that a fault never turns into a PASS; benchmarks put AWS-like
// round trips in front of an emulator with a Latency rule for every
// operation (cmd latencyproxy serves one to other programs).
package faultproxy

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Fault is one kind of misbehaviour.
type Fault string

const (
	Throttling   Fault = "ThrottlingException" // 400 with the KMS throttling error
	TooMany      Fault = "HTTP 429"
	Internal     Fault = "HTTP 500"
	Unavailable  Fault = "HTTP 503"
	Reset        Fault = "connection reset"
	Truncated    Fault = "truncated JSON"
	Malformed    Fault = "malformed JSON"
	Latency      Fault = "latency"
	AccessDenied Fault = "AccessDeniedException"
	NotFound     Fault = "NotFoundException"
	// Rewrite hands the genuine answer to Rule.Rewrite and sends what it
	// returns, status and headers kept: a well-formed answer that says
	// something else (another key's ID, a list that never ends).
	Rewrite Fault = "rewritten body"
)

// Rule injects Fault into calls of Operation ("" for every operation). With
// Times > 0 only the first Times matching calls are hit, so a retry can
// recover; Times == 0 hits every call.
type Rule struct {
	Operation string
	Fault     Fault
	Times     int
	Delay     time.Duration            // for Latency
	Rewrite   func(body []byte) []byte // for Rewrite: the answer to send instead
	// Match, when set, hits only requests whose body contains it (a key
	// ID: one key of a fleet); Region only requests signed for that region.
	Match  string
	Region string
}

// Proxy forwards to an upstream endpoint, applying its rules.
type Proxy struct {
	URL string

	srv       *httptest.Server
	upstream  *httputil.ReverseProxy
	transport *http.Transport // the proxy's own, so proxies share no connections
	mu        sync.Mutex
	rules     []Rule
	hits      map[int]int    // rule index -> calls hit
	calls     map[string]int // operation -> calls seen
	stats     Stats
}

// Stats are what the proxy saw on the wire.
type Stats struct {
	Requests      int
	ClientConns   int           // connections clients opened to the proxy
	UpstreamConns int           // connections the proxy opened upstream
	Busy          time.Duration // the requests' time in the proxy, summed: Busy / wall time is the calls in flight on average
}

// New starts a proxy on 127.0.0.1 in front of upstream (a base URL).
func New(upstream string, rules ...Rule) (*Proxy, error) {
	u, err := url.Parse(upstream)
	if err != nil || u.Scheme == "" || u.Host == "" {
		return nil, fmt.Errorf("faultproxy: upstream %q is not a base URL", upstream)
	}
	p := &Proxy{
		upstream: httputil.NewSingleHostReverseProxy(u),
		rules:    rules,
		hits:     map[int]int{},
		calls:    map[string]int{},
	}
	// An upstream failure is the client's business, not the test log's: a
	// client that left (a Latency timeout) gets nothing, anyone else a 502.
	p.transport = http.DefaultTransport.(*http.Transport).Clone()
	// Keep every connection the clients' concurrency needs: by default
	// only 2 a host stay idle, and the rest are dialled again and again,
	// which no AWS endpoint makes a client pay.
	p.transport.MaxIdleConns = 0
	p.transport.MaxIdleConnsPerHost = 1024
	dial := p.transport.DialContext
	p.transport.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		p.count(func(s *Stats) { s.UpstreamConns++ })
		return dial(ctx, network, addr)
	}
	p.upstream.Transport = p.transport
	p.upstream.ErrorHandler = func(w http.ResponseWriter, r *http.Request, err error) {
		if r.Context().Err() != nil {
			return
		}
		awsError(w, http.StatusBadGateway, "BadGateway", "faultproxy: upstream: "+err.Error())
	}
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(p.serve))
	p.srv.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		if s == http.StateNew {
			p.count(func(s *Stats) { s.ClientConns++ })
		}
	}
	p.srv.Start()
	p.URL = p.srv.URL
	return p, nil
}

// Close stops the proxy.
func (p *Proxy) Close() {
	p.srv.CloseClientConnections()
	p.srv.Close()
	p.transport.CloseIdleConnections()
}

// Stats is what the proxy saw so far.
func (p *Proxy) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

func (p *Proxy) count(f func(*Stats)) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f(&p.stats)
}

// Calls is how many calls of an operation reached the proxy.
func (p *Proxy) Calls(op string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.calls[op]
}

// Seen is every operation that reached the proxy, with its count: an
// independent witness of what a client sent, faults included.
func (p *Proxy) Seen() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.calls)
}

// Total is how many calls reached the proxy.
func (p *Proxy) Total() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	n := 0
	for _, c := range p.calls {
		n += c
	}
	return n
}

// Operation names the AWS operation of a request: the X-Amz-Target suffix
// (JSON protocols such as KMS), the path's last part (Smithy RPC v2, as
// CloudWatch speaks it) or the Action form value (query protocols such as
// STS and IAM). It leaves the body readable.
func Operation(r *http.Request) string {
	if t := r.Header.Get("X-Amz-Target"); t != "" {
		return t[strings.LastIndex(t, ".")+1:]
	}
	if r.Header.Get("Smithy-Protocol") != "" {
		_, op, _ := strings.Cut(r.URL.Path, "/operation/")
		return op
	}
	if r.Body == nil {
		return ""
	}
	body, err := io.ReadAll(r.Body)
	r.Body = io.NopCloser(bytes.NewReader(body))
	if err != nil {
		return ""
	}
	v, err := url.ParseQuery(string(body))
	if err != nil {
		return ""
	}
	return v.Get("Action")
}

// match returns the rule to apply to this call, if any, and counts it.
func (p *Proxy) match(op string, body []byte, region string) (Rule, bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.calls[op]++
	for i, r := range p.rules {
		if r.Operation != "" && r.Operation != op {
			continue
		}
		if r.Match != "" && !bytes.Contains(body, []byte(r.Match)) || r.Region != "" && r.Region != region {
			continue
		}
		if r.Times > 0 && p.hits[i] >= r.Times {
			continue
		}
		p.hits[i]++
		return r, true
	}
	return Rule{}, false
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	begin := time.Now()
	defer func() {
		took := time.Since(begin)
		p.count(func(s *Stats) { s.Requests++; s.Busy += took })
	}()
	// Reading the whole request first lets the server notice a client that
	// gives up (its context is then done), and keeps the body for upstream.
	body, err := io.ReadAll(r.Body)
	if err != nil {
		return
	}
	r.Body = io.NopCloser(bytes.NewReader(body))
	op := Operation(r)
	rule, ok := p.match(op, body, signedRegion(r.Header.Get("Authorization")))
	if !ok {
		p.upstream.ServeHTTP(w, r)
		return
	}
	switch rule.Fault {
	case Throttling:
		awsError(w, http.StatusBadRequest, "ThrottlingException", "Rate exceeded")
	case TooMany:
		awsError(w, http.StatusTooManyRequests, "ThrottlingException", "Too Many Requests")
	case Internal:
		awsError(w, http.StatusInternalServerError, "KMSInternalException", "injected internal error")
	case Unavailable:
		http.Error(w, "Service Unavailable", http.StatusServiceUnavailable)
	case AccessDenied:
		awsError(w, http.StatusBadRequest, "AccessDeniedException",
			"User: arn:aws:iam::111122223333:user/auditor is not authorized to perform: kms:"+op)
	case NotFound:
		awsError(w, http.StatusBadRequest, "NotFoundException", "Key does not exist")
	case Reset:
		reset(w)
	case Latency:
		select {
		case <-time.After(rule.Delay):
			p.upstream.ServeHTTP(w, r)
		case <-r.Context().Done(): // the client gave up: nothing to answer
		}
	case Truncated, Malformed, Rewrite:
		if rule.Fault == Rewrite && rule.Rewrite == nil {
			http.Error(w, "faultproxy: a Rewrite rule without a Rewrite function", http.StatusTeapot)
			return
		}
		rec := httptest.NewRecorder()
		p.upstream.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		switch rule.Fault {
		case Truncated:
			body = body[:len(body)/2]
		case Malformed:
			body = []byte(`{"KeyMetadata": {"KeyId": ` + "\x00" + `]`)
		case Rewrite:
			body = rule.Rewrite(bytes.Clone(body))
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		w.WriteHeader(rec.Code)
		w.Write(body)
	default:
		http.Error(w, "faultproxy: unknown fault "+string(rule.Fault), http.StatusTeapot)
	}
}

func awsError(w http.ResponseWriter, status int, typ, msg string) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-ErrorType", typ)
	w.WriteHeader(status)
	fmt.Fprintf(w, `{"__type":%q,"message":%q}`, typ, msg)
}

// reset closes the connection with a TCP RST instead of a response.
func reset(w http.ResponseWriter) {
	hj, ok := w.(http.Hijacker)
	if !ok {
		http.Error(w, "faultproxy: cannot hijack", http.StatusInternalServerError)
		return
	}
	conn, _, err := hj.Hijack()
	if err != nil {
		return
	}
	if tcp, ok := conn.(*net.TCPConn); ok {
		tcp.SetLinger(0)
	}
	conn.Close()
}

// signedRegion reads the region from a SigV4 Authorization header:
// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/kms/aws4_request, ...".
func signedRegion(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[2]
}
