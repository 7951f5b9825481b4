package collect

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
)

// Operation names used by the guard: "<service>:<Operation>".
const (
	OpDescribeKey             = "kms:DescribeKey"
	OpGetKeyPolicy            = "kms:GetKeyPolicy"
	OpGetKeyRotationStatus    = "kms:GetKeyRotationStatus"
	OpListResourceTags        = "kms:ListResourceTags"
	OpListAliases             = "kms:ListAliases"
	OpListGrants              = "kms:ListGrants"
	OpEncrypt                 = "kms:Encrypt"
	OpDecrypt                 = "kms:Decrypt"
	OpGetCallerIdentity       = "sts:GetCallerIdentity"
	OpSimulatePrincipalPolicy = "iam:SimulatePrincipalPolicy"
	// OpGetAccountAuthorizationDetails reads the account's IAM users,
	// groups, roles and policies (every access check); it changes nothing.
	OpGetAccountAuthorizationDetails = "iam:GetAccountAuthorizationDetails"
)

// ReadOnly lists the operations inspect mode may call. Encrypt and Decrypt
// change nothing either, but they are only allowed when the profile asks
// for a roundtrip.
func ReadOnly(roundtrip bool) []string {
	ops := []string{OpDescribeKey, OpGetKeyPolicy, OpGetKeyRotationStatus, OpListResourceTags, OpListAliases, OpListGrants,
		OpGetCallerIdentity, OpSimulatePrincipalPolicy, OpGetAccountAuthorizationDetails}
	ops = append(ops, monitoringOps...)
	if roundtrip {
		ops = append(ops, OpEncrypt, OpDecrypt)
	}
	return ops
}

// RefusedError is the guard's refusal of an operation not on its allowlist.
// The request was never sent.
type RefusedError struct{ Op string }

func (e *RefusedError) Error() string {
	return fmt.Sprintf("%s refused: inspect mode only calls read-only operations, so the request was not sent", e.Op)
}

// RetryableError tells the SDK's retryer not to try a refusal again.
func (e *RefusedError) RetryableError() bool { return false }

// Guard is an aws.HTTPClient that sits between the SDK and the network. It
// names each request's operation, refuses (before sending) any operation not
// on its allowlist, and records every operation called: all of them, and
// each collection's own in the log its request context carries. Many
// collections may share one guard at once. (Each answer's body is kept by
// its own call; see answer.)
type Guard struct {
	next  aws.HTTPClient
	allow map[string]bool // nil: allow everything, only record

	mu      sync.Mutex
	calls   []string
	refused []string
}

// NewGuard wraps next (nil: the SDK's default client). A nil allow list
// allows every operation: the guard then only records and counts.
func NewGuard(next aws.HTTPClient, allow []string) *Guard {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	g := &Guard{next: next}
	if allow != nil {
		g.allow = map[string]bool{}
		for _, op := range allow {
			g.allow[op] = true
		}
	}
	return g
}

// Wrap returns a copy of cfg whose requests go through a new guard.
func Wrap(cfg aws.Config, allow []string) (aws.Config, *Guard) {
	g := NewGuard(cfg.HTTPClient, allow)
	cfg.HTTPClient = g
	return cfg, g
}

// Do implements aws.HTTPClient.
func (g *Guard) Do(req *http.Request) (*http.Response, error) {
	op, err := operation(req)
	if err != nil {
		if g.allow != nil { // fail closed: what cannot be named cannot be allowed
			return nil, &RefusedError{Op: "unrecognised request (" + err.Error() + ")"}
		}
		op = "unknown"
	}
	refused := g.allow != nil && !g.allow[op]
	g.mu.Lock()
	if refused {
		g.refused = append(g.refused, op)
	} else {
		g.calls = append(g.calls, op)
	}
	g.mu.Unlock()
	logFrom(req.Context()).add(op, refused)
	if refused {
		return nil, &RefusedError{Op: op}
	}

	resp, err := g.next.Do(req)
	if err != nil || resp == nil || resp.Body == nil {
		return resp, err
	}
	// The whole answer is read here, at the transport: a connection that
	// breaks mid-answer is a failed send, which the SDK retries.
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, fmt.Errorf("%s: reading the answer: %w", op, err)
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	return resp, nil
}

// Calls lists every operation sent, in order (a retried request twice).
func (g *Guard) Calls() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.calls)
}

// Refused lists the operations refused, in order.
func (g *Guard) Refused() []string {
	g.mu.Lock()
	defer g.mu.Unlock()
	return slices.Clone(g.refused)
}

// operation names a request: the X-Amz-Target of JSON protocols (KMS), or
// the Action of the query protocol (STS, IAM) with the service taken from
// the signature's credential scope.
func operation(req *http.Request) (string, error) {
	if target := req.Header.Get("X-Amz-Target"); target != "" {
		prefix, op, ok := strings.Cut(target, ".")
		if !ok || op == "" {
			return "", fmt.Errorf("X-Amz-Target %q", target)
		}
		if service, ok := targetServices[prefix]; ok {
			return service + ":" + op, nil
		}
		return strings.ToLower(prefix) + ":" + op, nil
	}
	service := signingService(req.Header.Get("Authorization"))
	if service == "" {
		return "", errors.New("no X-Amz-Target and no signed service")
	}
	if iam, ok := signingServices[service]; ok {
		service = iam
	}
	if req.Header.Get("Smithy-Protocol") != "" {
		// Smithy RPC v2 (CloudWatch): POST /service/<service>/operation/<Op>.
		_, op, ok := strings.Cut(req.URL.Path, "/operation/")
		if !ok || op == "" || strings.Contains(op, "/") {
			return "", fmt.Errorf("%s RPC v2 request to %q names no operation", service, req.URL.Path)
		}
		return service + ":" + op, nil
	}
	if req.Body == nil {
		return "", errors.New(service + " request without a body")
	}
	body, err := io.ReadAll(req.Body)
	req.Body.Close()
	if err != nil {
		return "", err
	}
	req.Body = io.NopCloser(bytes.NewReader(body))
	req.GetBody = func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(body)), nil }
	form, err := url.ParseQuery(string(body))
	if err != nil || form.Get("Action") == "" {
		return "", errors.New(service + " request without an Action")
	}
	return service + ":" + form.Get("Action"), nil
}

// signingService reads the service from a SigV4 Authorization header:
// "AWS4-HMAC-SHA256 Credential=AKID/20240101/us-east-1/sts/aws4_request, ...".
func signingService(auth string) string {
	_, cred, ok := strings.Cut(auth, "Credential=")
	if !ok {
		return ""
	}
	cred, _, _ = strings.Cut(cred, ",")
	parts := strings.Split(cred, "/")
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// targetServices names the IAM service of an X-Amz-Target prefix; any other
// prefix is named by itself, lowercased.
var targetServices = map[string]string{
	"TrentService":                  "kms",
	"AWSOrganizationsV20161128":     "organizations",
	"AWSEvents":                     "events",
	"Logs_20140328":                 "logs",
	"GraniteServiceVersion20100801": "cloudwatch",
}

// signingServices names the IAM service of a signing name that differs.
var signingServices = map[string]string{"monitoring": "cloudwatch"}
