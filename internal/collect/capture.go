package collect

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sync"

	"github.com/aws/aws-sdk-go-v2/service/kms"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"
)

// answer keeps the raw body of one call's answer: the evidence, exactly as
// the service sent it. It joins the middleware stack of that one call (as
// a per-call option), so calls running side by side through one client
// each keep their own body; nothing is looked up after the fact.
type answer struct{ body []byte }

// kms adds the capture to one KMS call: c.DescribeKey(ctx, in, a.kms).
func (a *answer) kms(o *kms.Options) { o.APIOptions = append(o.APIOptions, a.addTo) }

// addTo places the capture just inside the operation's deserializer, so it
// sees each attempt's response before the deserializer reads it.
func (a *answer) addTo(s *middleware.Stack) error {
	return s.Deserialize.Insert(a, "OperationDeserializer", middleware.After)
}

// ID names the middleware in the stack.
func (a *answer) ID() string { return "cmkcheck.answer" }

// HandleDeserialize keeps the body of the response and hands the
// deserializer a fresh reader over the same bytes. A retried call keeps
// the last attempt's body: the one the call's result came from.
func (a *answer) HandleDeserialize(ctx context.Context, in middleware.DeserializeInput, next middleware.DeserializeHandler) (
	middleware.DeserializeOutput, middleware.Metadata, error,
) {
	a.body = nil
	out, md, err := next.HandleDeserialize(ctx, in)
	resp, ok := out.RawResponse.(*smithyhttp.Response)
	if err != nil || !ok || resp == nil || resp.Body == nil {
		return out, md, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return out, md, fmt.Errorf("reading the answer: %w", err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	a.body = body
	return out, md, nil
}

// callLog is one collection's record of what went out, kept apart from the
// other collections that share the guard.
type callLog struct {
	mu      sync.Mutex
	calls   []string
	refused []string
}

type logKey struct{}

// withLog makes the guard record the requests made with ctx in l too.
func withLog(ctx context.Context, l *callLog) context.Context {
	return context.WithValue(ctx, logKey{}, l)
}

// logFrom is the collection's log a request belongs to, nil if none.
func logFrom(ctx context.Context) *callLog {
	l, _ := ctx.Value(logKey{}).(*callLog)
	return l
}

func (l *callLog) add(op string, refused bool) {
	if l == nil {
		return
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	if refused {
		l.refused = append(l.refused, op)
	} else {
		l.calls = append(l.calls, op)
	}
}

func (l *callLog) record() *Record {
	l.mu.Lock()
	defer l.mu.Unlock()
	return &Record{Calls: slices.Clone(l.calls), Refused: slices.Clone(l.refused)}
}
