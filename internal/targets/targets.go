// Package targets opens the place a key is inspected or provisioned: the
// embedded local-kms (in-process, on loopback), a LocalStack endpoint, or
// AWS itself. Every target yields an aws.Config the SDK clients use as is.
package targets

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/aep-cmk/cmkcheck/internal/awsid"
	"github.com/aep-cmk/cmkcheck/internal/keystate"
)

// Defaults for the embedded target when the caller names no account or region.
const (
	DefaultAccount = "111122223333"
	DefaultRegion  = "us-east-1"
)

// LocalStackDefaultAccount is the account LocalStack acts in when the
// credentials name none.
const LocalStackDefaultAccount = "000000000000"

// AccessKeyAccount is the account an access key ID names on LocalStack, as
// LocalStack and the AWS CLI take it: a 12-digit ID is the account; any
// other names none ("").
func AccessKeyAccount(accessKeyID string) string {
	if awsid.IsAccountID(accessKeyID) {
		return accessKeyID
	}
	return ""
}

// MaxAttempts bounds the SDK's retries so a fault never turns into a hang.
const MaxAttempts = 3

// ErrNoLocalStack says no LocalStack could be reached or started.
var ErrNoLocalStack = errors.New("no LocalStack endpoint: set LOCALSTACK_ENDPOINT or start one with scripts/localstack.sh start")

// StartFunc starts a LocalStack and returns its endpoint and how to stop
// it. An error that means "cannot start one here" (no Docker engine)
// wraps ErrNoLocalStack.
type StartFunc func(ctx context.Context) (endpoint string, stop func(), err error)

// Opener opens targets with settings that come from outside the program:
// the edges (cmd/cmkcheck, the suites) fill it from flags and the
// environment, and nothing here reads the environment itself. The zero
// Opener opens the embedded target, a LocalStack only through an endpoint
// it is given, and AWS through the SDK's default configuration alone.
type Opener struct {
	// DefaultRegion is the region when the caller names none (AWS_REGION).
	DefaultRegion string
	// LocalStackEndpoint is a running LocalStack (LOCALSTACK_ENDPOINT, else
	// AWS_ENDPOINT_URL).
	LocalStackEndpoint string
	// StartLocalStack starts one when no endpoint is given; nil means this
	// program cannot, and opening a LocalStack says how to get one. The
	// suites set it (internal/container, testcontainers-go); the command
	// only in a build with -tags testcontainers, so that the binary does
	// not link Docker's client.
	StartLocalStack StartFunc
	// AssumeRole is a role ARN the aws target assumes with the default
	// credentials (TERRATEST_IAM_ROLE, terratest's name for it).
	AssumeRole string
	// LocalStackAccount is the account the credentials name on LocalStack
	// (AccessKeyAccount of AWS_ACCESS_KEY_ID): LocalStack acts in it when
	// no account is asked for; "" is LocalStackDefaultAccount.
	LocalStackAccount string
}

// Conn is an opened target, a place to talk KMS to: where it is (the
// evidence's one description of a target, keystate.TargetFacts, whose
// Kind is a live kind and Endpoint "" for the SDK's own AWS endpoints)
// and the client configuration that reaches it.
type Conn struct {
	keystate.TargetFacts
	Config aws.Config

	// Caller is the STS caller identity, asked once when the target opens;
	// nil where the target has no STS (embedded).
	Caller *keystate.Caller
	// CallerAnswer is GetCallerIdentity's answer as JSON, kept as evidence.
	CallerAnswer []byte

	dataDir string // the embedded database, removed on Close
	closers []func()
}

// HasSTS says whether the target answers sts:GetCallerIdentity.
func (t *Conn) HasSTS() bool { return t.Kind != keystate.KindEmbedded }

// Emulated says whether the target is an emulator rather than AWS.
func (t *Conn) Emulated() bool { return t.Kind != keystate.KindAWS }

// Close releases what Open started. It is safe to call more than once.
func (t *Conn) Close() {
	if t == nil {
		return
	}
	for i := len(t.closers) - 1; i >= 0; i-- {
		t.closers[i]()
	}
	t.closers = nil
}

// Open opens a target with the zero Opener: see Opener.Open.
func Open(ctx context.Context, kind, region, account string) (*Conn, error) {
	return Opener{}.Open(ctx, kind, region, account)
}

// Open opens a target of the given kind ("" means embedded). Region and
// account may be "": each kind then finds its own (see the kind's doc);
// LocalStack and AWS take o.DefaultRegion first, the embedded target, which
// lives in this process only, its own DefaultRegion.
func (o Opener) Open(ctx context.Context, kind, region, account string) (*Conn, error) {
	if region != "" && !awsid.IsRegion(region) {
		return nil, fmt.Errorf("target: %q is not an AWS region name (like us-east-1)", region)
	}
	if account != "" && !awsid.IsAccountID(account) {
		return nil, fmt.Errorf("target: %q is not a 12-digit AWS account ID", account)
	}
	if region == "" && kind != "" && kind != keystate.KindEmbedded {
		region = o.DefaultRegion
		if region != "" && !awsid.IsRegion(region) {
			return nil, fmt.Errorf("target: the default region %q (AWS_REGION) is not an AWS region name (like us-east-1)", region)
		}
	}
	if a := o.LocalStackAccount; a != "" && !awsid.IsAccountID(a) {
		return nil, fmt.Errorf("target: the credentials' account %q is not a 12-digit AWS account ID", a)
	}
	switch kind {
	case "", keystate.KindEmbedded:
		return openEmbedded(region, account)
	case keystate.KindLocalStack:
		return o.openLocalStack(ctx, region, account)
	case keystate.KindAWS:
		return o.openAWS(ctx, region, account)
	}
	return nil, fmt.Errorf("target: %w", keystate.CheckLiveKind(kind))
}

// emulatorConfig is the config of an emulator: fixed region, dummy
// credentials, the emulator's endpoint.
func emulatorConfig(endpoint, region, accessKey string) aws.Config {
	cfg := aws.Config{
		Region:           region,
		Credentials:      aws.NewCredentialsCache(credentials.NewStaticCredentialsProvider(accessKey, "test", "")),
		RetryMaxAttempts: MaxAttempts,
		BaseEndpoint:     aws.String(endpoint),
	}
	return cfg
}

// openLocalStack uses an endpoint that already runs, or starts one with
// o.StartLocalStack; without either it is an error, never a silent skip.
func (o Opener) openLocalStack(ctx context.Context, region, account string) (*Conn, error) {
	if region == "" {
		region = DefaultRegion
	}
	t := &Conn{TargetFacts: keystate.TargetFacts{Kind: keystate.KindLocalStack, Region: region}}
	endpoint := o.LocalStackEndpoint
	if endpoint == "" {
		if o.StartLocalStack == nil {
			return nil, fmt.Errorf("target localstack: %w (this program cannot start one: cmkcheck does so only when built with -tags testcontainers)", ErrNoLocalStack)
		}
		ep, stop, err := o.StartLocalStack(ctx)
		if err != nil {
			return nil, fmt.Errorf("target localstack: %w", err)
		}
		endpoint = ep
		t.closers = append(t.closers, stop)
	}
	t.Endpoint = strings.TrimRight(endpoint, "/")
	// LocalStack takes a 12-digit access key ID as the account to act in:
	// the one asked for, else the credentials', else its default.
	if account == "" {
		account = o.LocalStackAccount
	}
	if account == "" {
		account = LocalStackDefaultAccount
	}
	t.Config = emulatorConfig(t.Endpoint, region, account)
	if err := t.askCaller(ctx); err != nil {
		t.Close()
		return nil, fmt.Errorf("target localstack at %s: %w", t.Endpoint, err)
	}
	if t.Account != account {
		t.Close()
		return nil, fmt.Errorf("target localstack at %s: acts in account %s, not %s", t.Endpoint, t.Account, account)
	}
	return t, nil
}

// openAWS uses the SDK's default configuration: its credential chain
// (environment, shared profiles, SSO, instance roles) and, when no region
// is given, its region (AWS_REGION, the config profile). That is the SDK
// reading the environment, by design: it is the chain users configure.
// o.AssumeRole names a role to assume with those credentials.
func (o Opener) openAWS(ctx context.Context, region, account string) (*Conn, error) {
	if o.AssumeRole != "" {
		// A typo here would otherwise surface as an STS error about
		// credentials; say what is wrong with the value instead.
		a, err := awsid.ParseARN(o.AssumeRole)
		if err != nil || a.Service != "iam" || !strings.HasPrefix(a.Resource, "role/") || !awsid.IsAccountID(a.Account) {
			return nil, fmt.Errorf("target aws: the role to assume (TERRATEST_IAM_ROLE) %q is not an IAM role ARN (arn:aws:iam::123456789012:role/NAME)", o.AssumeRole)
		}
	}
	opts := []func(*config.LoadOptions) error{config.WithRetryMaxAttempts(MaxAttempts)}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	cfg, err := config.LoadDefaultConfig(ctx, opts...)
	if err != nil {
		return nil, fmt.Errorf("target aws: loading the SDK's default configuration: %w", err)
	}
	if cfg.Region == "" {
		return nil, errors.New("target aws: no region: set the profile's region, AWS_REGION, or a region in the AWS config profile")
	}
	if role := o.AssumeRole; role != "" {
		// terratest's NewAuthenticatedSessionFromRole retrieves the role's
		// credentials once and drops the rest of the config; a provider in a
		// cache refreshes them and keeps the retry bound.
		cfg.Credentials = aws.NewCredentialsCache(stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), role))
	}
	// Without credentials the caller-identity call below fails deep in the
	// SDK's provider chain; say so plainly first.
	if err := hasCredentials(ctx, cfg); err != nil {
		if role := o.AssumeRole; role != "" {
			return nil, fmt.Errorf("target aws: no usable AWS credentials for assuming %s: %w", role, err)
		}
		return nil, fmt.Errorf("target aws: no usable AWS credentials (the SDK looked in the environment, the shared config and credentials files, SSO, web identity, and container and instance roles): %w", err)
	}
	t := &Conn{TargetFacts: keystate.TargetFacts{Kind: keystate.KindAWS, Region: cfg.Region}, Config: cfg}
	if cfg.BaseEndpoint != nil {
		t.Endpoint = *cfg.BaseEndpoint // AWS_ENDPOINT_URL honoured by the SDK
	}
	if err := t.askCaller(ctx); err != nil {
		return nil, fmt.Errorf("target aws: %w", err)
	}
	if account != "" && t.Account != account {
		return nil, fmt.Errorf("target aws: the credentials are for account %s, not the %s asked for", t.Account, account)
	}
	return t, nil
}

func hasCredentials(ctx context.Context, cfg aws.Config) error {
	if cfg.Credentials == nil {
		return errors.New("no credential provider")
	}
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	_, err := cfg.Credentials.Retrieve(ctx)
	return err
}

// askCaller asks STS who we are, once per target, and records the answer.
func (t *Conn) askCaller(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	out, err := sts.NewFromConfig(t.Config).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return fmt.Errorf("sts:GetCallerIdentity: %w", err)
	}
	c := &keystate.Caller{Account: aws.ToString(out.Account), Arn: aws.ToString(out.Arn), UserID: aws.ToString(out.UserId)}
	if !awsid.IsAccountID(c.Account) {
		return fmt.Errorf("sts:GetCallerIdentity answered account %q, not a 12-digit account ID", c.Account)
	}
	t.Caller = c
	t.Account = c.Account
	t.CallerAnswer, err = json.Marshal(map[string]string{"UserId": c.UserID, "Account": c.Account, "Arn": c.Arn})
	return err
}
