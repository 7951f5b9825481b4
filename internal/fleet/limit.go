package fleet

import (
	"net/http"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"golang.org/x/time/rate"

	"github.com/aep-cmk/cmkcheck/internal/targets"
)

// KMSQuotas are the default request quotas (requests per second, per
// account and Region, shared by every caller there) of the operations a
// fleet run sends, from the AWS KMS Developer Guide, "Request quotas"
// (requests-per-second.html, the table "Request quotas for each AWS KMS
// API operation"). Encrypt and Decrypt (roundtrip only) share the
// "Cryptographic operations (symmetric)" quota, 5,500 to 100,000 by
// Region: the lowest is taken.
var KMSQuotas = map[string]float64{
	"DescribeKey":          2000,
	"GetKeyPolicy":         1000,
	"GetKeyRotationStatus": 1000,
	"ListResourceTags":     2000,
	"ListGrants":           100,
	"ListAliases":          500,
	"ListKeys":             500,
	"Encrypt":              5500 / 2, // shared with Decrypt
	"Decrypt":              5500 / 2,
}

// QuotaShare is the part of each quota a fleet run takes for itself: the
// quotas are the account's, and its applications (and the services acting
// for it) keep the rest. Throttling that still happens is the SDK's
// adaptive retry mode's to slow down for.
const QuotaShare = 0.5

// limited is an HTTP client that holds each KMS request until its
// operation's limiter lets it go: one per account and region, under the
// read-only guard, so each attempt (retries too) is counted and a refused
// request costs nothing.
type limited struct {
	next     aws.HTTPClient
	limiters map[string]*rate.Limiter
}

// newLimited limits next to share×quota of each KMS operation; an
// operation without a quota goes out at once.
func newLimited(next aws.HTTPClient, quotas map[string]float64, share float64) *limited {
	if next == nil {
		next = awshttp.NewBuildableClient()
	}
	l := &limited{next: next, limiters: map[string]*rate.Limiter{}}
	for op, q := range quotas {
		r := q * share
		burst := max(1, int(r/10)) // a tenth of a second's worth at once
		l.limiters[op] = rate.NewLimiter(rate.Limit(r), burst)
	}
	return l
}

func (l *limited) Do(req *http.Request) (*http.Response, error) {
	if target := req.Header.Get("X-Amz-Target"); strings.HasPrefix(target, "TrentService.") {
		if lim := l.limiters[strings.TrimPrefix(target, "TrentService.")]; lim != nil {
			if err := lim.Wait(req.Context()); err != nil {
				return nil, err
			}
		}
	}
	return l.next.Do(req)
}

// fleetConfig is a place's client configuration: the SDK's adaptive retry
// mode (standard retries, plus client-side slowing down when throttled)
// with the project's bound on attempts, a kept-alive connection for each
// of the parallel keys in flight, and on AWS the request limiter.
// Emulators have no quotas; limiting them would only measure the limiter.
// It changes c, a copy the run owns (Target.InRegion).
func fleetConfig(c *targets.Conn, limit bool, parallel int) {
	c.Config.Retryer = func() aws.Retryer {
		return retry.NewAdaptiveMode(func(o *retry.AdaptiveModeOptions) {
			o.StandardOptions = append(o.StandardOptions, func(so *retry.StandardOptions) { so.MaxAttempts = targets.MaxAttempts })
		})
	}
	c.Config.HTTPClient = keepAlive(c.Config.HTTPClient, parallel)
	if limit {
		c.Config.HTTPClient = newLimited(c.Config.HTTPClient, KMSQuotas, QuotaShare)
	}
}

// keepAlive is the SDK's client (or client) keeping n idle connections a
// host, its own pool for the place. The SDK keeps 10, and past that a
// call's connection was closed after it and another dialled for the next:
// at --parallel 32 a run opened 67 connections for 32 keys in flight, and
// had half as many calls in flight as a client that kept them
// (internal/testkit/floorbench). Another client is the caller's to tune.
func keepAlive(client aws.HTTPClient, n int) aws.HTTPClient {
	idle := func(t *http.Transport) { t.MaxIdleConnsPerHost = max(n, t.MaxIdleConnsPerHost) }
	switch c := client.(type) {
	case nil:
		return awshttp.NewBuildableClient().WithTransportOptions(idle)
	case *awshttp.BuildableClient:
		return c.WithTransportOptions(idle)
	}
	return client
}
